//! Passwords: the policy (from the domain crate, re-exported here) and
//! argon2id hashing, run off the async threads behind a semaphore.

pub use sesame_domain::password::*;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;
use unicode_normalization::UnicodeNormalization;

/// argon2id hashing with bounded concurrency (memory = m_cost × permits).
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    dummy: Arc<String>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Hasher(m={}, t={}, p={})",
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost()
        )
    }
}

/// Normalises a password before hashing (NFKC, SECURITY.md §1.1), so that
/// "é" typed precomposed or decomposed verifies the same.
fn normalized(password: &str) -> String {
    password.nfkc().collect()
}

impl Hasher {
    /// A hasher with argon2id parameters (memory in KiB, iterations,
    /// parallelism) and a bound on concurrent hashes.
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        max_concurrent: usize,
    ) -> Result<Self, String> {
        let params =
            Params::new(memory_kib, iterations, parallelism, None).map_err(|e| e.to_string())?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let dummy = argon
            .hash_password(b"dummy password for unknown identifiants")
            .map_err(|e| e.to_string())?
            .to_string();
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy: Arc::new(dummy),
        })
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: &str) -> Result<String, String> {
        let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
        let argon = self.argon();
        let pw = normalized(password);
        tokio::task::spawn_blocking(move || {
            argon
                .hash_password(pw.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// Whether a stored hash was made with weaker (or other) parameters
    /// than the configured ones, or not by argon2id: it is then replaced at
    /// the next successful login (AUTH-12).
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(h) = PasswordHash::new(phc) else {
            return true;
        };
        let same = Params::try_from(&h).is_ok_and(|p| {
            p.m_cost() >= self.params.m_cost()
                && p.t_cost() >= self.params.t_cost()
                && p.p_cost() == self.params.p_cost()
        });
        h.algorithm.as_str() != "argon2id" || !same
    }

    /// Verifies a password against a PHC string; with `None`, verifies
    /// against a dummy hash so that unknown identifiants cost the same time.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let known = phc.is_some();
        metrics::counter!("sesame_password_verifications_total").increment(1);
        let phc = phc.map_or_else(|| self.dummy.as_str().to_owned(), str::to_owned);
        let argon = self.argon();
        let pw = normalized(password);
        let ok = tokio::task::spawn_blocking(move || match PasswordHash::new(&phc) {
            Ok(h) => argon.verify_password(pw.as_bytes(), &h).is_ok(),
            Err(_) => false,
        })
        .await
        .unwrap_or(false);
        known && ok
    }
}
