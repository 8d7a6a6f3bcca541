//! What the OpenID Connect provider keeps in memory, per process: the
//! signing keys (the stored list and the parsed private keys) and the
//! client secrets already verified. `App` holds them; they know nothing
//! of `App` (a leaf: no import circle).

use sesame_oidc::Signing;
use sesame_store::signing_keys::StoredKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// How long the key list is trusted, by the application clock: a key made
/// on another node signs only a day after it is made, so this delay never
/// matters.
pub const LIST_TTL: time::Duration = time::Duration::seconds(10);

/// The signing keys: the stored list (re-read every [`LIST_TTL`]) and the
/// parsed private keys (by `kid`; a key never changes once stored).
#[derive(Debug, Default)]
pub struct KeyCache {
    list: Mutex<Option<(OffsetDateTime, Arc<Vec<StoredKey>>)>>,
    parsed: Mutex<HashMap<String, Arc<Signing>>>,
    jwks: Mutex<Option<BuiltJwks>>,
}

/// The JWKS as served: its JSON bytes and their entity tag, built once
/// for a key list.
#[derive(Debug)]
pub struct Jwks {
    /// The JSON document.
    pub body: String,
    /// Its strong entity tag, quoted (`"…"`).
    pub etag: String,
}

/// A JWKS and what it was built from: the key list, the time, and the
/// first retirement after that time (when a key leaves it).
#[derive(Debug)]
struct BuiltJwks {
    from: Arc<Vec<StoredKey>>,
    at: OffsetDateTime,
    until: Option<OffsetDateTime>,
    jwks: Arc<Jwks>,
}

impl KeyCache {
    /// The list read less than [`LIST_TTL`] before or after `now` (tests
    /// move the clock both ways).
    pub fn list(&self, now: OffsetDateTime) -> Option<Arc<Vec<StoredKey>>> {
        let l = self.list.lock().ok()?;
        let (at, keys) = l.as_ref()?;
        ((now - *at).abs() < LIST_TTL).then(|| keys.clone())
    }

    /// Keeps the list read at `now`.
    pub fn keep_list(&self, now: OffsetDateTime, keys: Arc<Vec<StoredKey>>) {
        if let Ok(mut l) = self.list.lock() {
            *l = Some((now, keys));
        }
    }

    /// Forgets the list (a key was made or retired).
    pub fn forget(&self) {
        if let Ok(mut l) = self.list.lock() {
            *l = None;
        }
    }

    /// The JWKS built from `keys` (the same list) if it still holds at
    /// `now`: no key of it has been retired since.
    pub fn jwks(&self, keys: &Arc<Vec<StoredKey>>, now: OffsetDateTime) -> Option<Arc<Jwks>> {
        let j = self.jwks.lock().ok()?;
        let b = j.as_ref()?;
        (Arc::ptr_eq(&b.from, keys) && b.at <= now && b.until.is_none_or(|u| now < u))
            .then(|| b.jwks.clone())
    }

    /// Keeps the JWKS built from `keys` at `now`, valid until `until`.
    pub fn keep_jwks(
        &self,
        keys: Arc<Vec<StoredKey>>,
        now: OffsetDateTime,
        until: Option<OffsetDateTime>,
        jwks: Arc<Jwks>,
    ) {
        if let Ok(mut j) = self.jwks.lock() {
            *j = Some(BuiltJwks {
                from: keys,
                at: now,
                until,
                jwks,
            });
        }
    }

    /// The parsed key `kid`, if parsed before.
    pub fn parsed(&self, kid: &str) -> Option<Arc<Signing>> {
        self.parsed.lock().ok()?.get(kid).cloned()
    }

    /// Keeps a parsed key.
    pub fn keep_parsed(&self, key: Arc<Signing>) {
        if let Ok(mut p) = self.parsed.lock() {
            p.insert(key.kid.clone(), key);
        }
    }
}

/// Client secrets verified by argon2id, per client: a keyed hash of the
/// secret and of the stored argon2 hash (a changed registration forgets
/// it). Per process, never stored.
#[derive(Debug, Default)]
pub struct SecretCache(
    Mutex<HashMap<String, String>>,
    Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
);

impl SecretCache {
    /// The turn of `client_id`'s argon2id verifications on this node: one
    /// at a time, so that requests arriving together with a secret not
    /// yet verified wait for the first verification instead of each
    /// reserving a failure count.
    pub fn turn(&self, client_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.1.lock() {
            Ok(mut m) => m.entry(client_id.to_owned()).or_default().clone(),
            // A poisoned map: a turn of its own (no waiting, as before).
            Err(_) => Arc::default(),
        }
    }

    /// Whether `digest` is the one remembered for `client_id`, compared
    /// in constant time.
    pub fn knows(&self, client_id: &str, digest: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.0.lock().is_ok_and(|m| {
            m.get(client_id)
                .is_some_and(|known| bool::from(known.as_bytes().ct_eq(digest.as_bytes())))
        })
    }

    /// Remembers `digest` for `client_id`.
    pub fn remember(&self, client_id: &str, digest: String) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(client_id.to_owned(), digest);
        }
    }
}
