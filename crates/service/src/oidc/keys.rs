//! Signing keys: RS256 (RSA 2048) always, ES256 (P-256) and EdDSA
//! (Ed25519) when `[oidc] signing_algorithms` lists them. Here they are
//! made, stored, listed and rotated; the algorithms, the signatures and
//! the check of a JWS are `sesame_oidc::jws`'s.
//! The private key is stored (PKCS#8 for RSA, the 32-byte secret for the
//! others) encrypted with ChaCha20-Poly1305 under a key derived from the
//! server's secrets; only the public JWK is published.
//!
//! Rotation: a new key is published at once and starts signing
//! [`PUBLISH_AHEAD`] later (relying parties refresh their JWKS first); the
//! keys it replaces stay published for [`KEEP_AFTER`] more, until the
//! tokens they signed have expired.

use crate::app::App;
pub use crate::oidc::cache::Jwks;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use rand::Rng;
use rsa::pkcs8::EncodePrivateKey;
use rsa::traits::PublicKeyParts;
use sesame_oidc::jws::PublicKey;
pub use sesame_oidc::{Alg, Signing};
use sesame_store::signing_keys::{self, NewKey, StoredKey};
use sesame_store::{Ns, StoreError};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// How long a new key is published before it signs.
pub const PUBLISH_AHEAD: Duration = Duration::hours(24);
/// How long a replaced key stays published after its successor signs.
pub const KEEP_AFTER: Duration = Duration::hours(24);

const LABEL: &str = "oidc-signing-keys";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Key generation, encryption or decoding failed.
    #[error("signing key: {0}")]
    Crypto(String),
    /// A stored key does not parse.
    #[error(transparent)]
    Parse(#[from] sesame_oidc::KeyError),
}

impl From<sesame_store::DbErr> for KeyError {
    fn from(e: sesame_store::DbErr) -> Self {
        Self::Store(StoreError::Db(e))
    }
}

fn cipher(key: &[u8; 32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(key.into())
}

/// Encrypts under the current token key; the blob names the key's id
/// (`v2:KID:BASE64`) so that a rotation knows which key opens it.
fn encrypt(app: &App, plain: &[u8]) -> Result<String, KeyError> {
    let (kid, key) = app
        .keys
        .derived_by(LABEL, None)
        .ok_or_else(|| KeyError::Crypto("no current token key".into()))?;
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher(&key)
        .encrypt(&Nonce::from(nonce), plain)
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    let mut out = nonce.to_vec();
    out.extend(ct);
    Ok(format!("v2:{kid}:{}", b64(&out)))
}

fn decrypt_with(key: &[u8; 32], b64_blob: &str) -> Result<Vec<u8>, KeyError> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64_blob)
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    let (Some(nonce), Some(ct)) = (raw.get(..12), raw.get(12..)) else {
        return Err(KeyError::Crypto("truncated key".into()));
    };
    let nonce: [u8; 12] = nonce
        .try_into()
        .map_err(|e| KeyError::Crypto(format!("truncated key: {e}")))?;
    cipher(key)
        .decrypt(&Nonce::from(nonce), ct)
        .map_err(|e| KeyError::Crypto(format!("cannot decrypt: {e}")))
}

/// Decrypts a stored private key: under the key its blob names, or (a
/// blob written before key ids) under each token key in turn.
fn decrypt(app: &App, stored: &str) -> Result<Vec<u8>, KeyError> {
    if let Some((kid, blob)) = stored.strip_prefix("v2:").and_then(|r| r.split_once(':')) {
        let Some((_, key)) = app.keys.derived_by(LABEL, Some(kid)) else {
            return Err(KeyError::Crypto(format!(
                "the signing keys are encrypted under token key {kid}, which is neither `secrets.token_hmac_key` nor in `secrets.previous_token_hmac_keys`"
            )));
        };
        return decrypt_with(&key, blob);
    }
    for kid in app.keys.token_ids() {
        if let Some((_, key)) = app.keys.derived_by(LABEL, Some(&kid))
            && let Ok(plain) = decrypt_with(&key, stored)
        {
            return Ok(plain);
        }
    }
    Err(KeyError::Crypto(
        "the signing keys cannot be decrypted with `secrets.token_hmac_key` or `secrets.previous_token_hmac_keys` (was the key replaced without listing the old one?)".into(),
    ))
}

/// Whether a stored blob is under the current token key.
fn under_current(app: &App, stored: &str) -> bool {
    let current = app.keys.token_ids().into_iter().next().unwrap_or_default();
    stored
        .strip_prefix("v2:")
        .and_then(|r| r.split_once(':'))
        .is_some_and(|(kid, _)| kid == current)
}

/// Re-encrypts under the current token key every stored private key that
/// is under another one (after a rotation of `token_hmac_key`, while the
/// old key is still listed), so that the old key can then be dropped.
/// Answers how many were re-encrypted.
pub async fn reencrypt(app: &App) -> Result<usize, KeyError> {
    let mut n = 0;
    for k in signing_keys::all(app.db.conn()).await? {
        if under_current(app, &k.private_key) {
            continue;
        }
        let plain = decrypt(app, &k.private_key)?;
        signing_keys::set_private(app.db.conn(), k.id, &encrypt(app, &plain)?).await?;
        n += 1;
    }
    if n > 0 {
        app.signing_keys.forget();
        tracing::info!(
            count = n,
            "signing keys re-encrypted under the current token key"
        );
    }
    Ok(n)
}

/// Whether every configured algorithm has a key that signs now and opens:
/// `/readyz` is not green while they cannot be decrypted.
pub async fn usable(app: &App) -> Result<(), KeyError> {
    for alg in configured(app) {
        signing_key(app, alg).await?;
    }
    Ok(())
}

/// The stored keys, read again when the cached list is older than
/// [`super::cache::LIST_TTL`] by the application clock.
async fn stored(app: &App) -> Result<Arc<Vec<StoredKey>>, KeyError> {
    let now = app.clock.now();
    if let Some(keys) = app.signing_keys.list(now) {
        return Ok(keys);
    }
    let keys = Arc::new(signing_keys::all(app.db.conn()).await?);
    app.signing_keys.keep_list(now, keys.clone());
    Ok(keys)
}

/// The configured algorithms.
fn configured(app: &App) -> Vec<Alg> {
    app.config.oidc.signing_algorithms.clone()
}

/// Makes a new key of `alg` that signs from `usable_from`.
async fn create(app: &App, alg: Alg, usable_from: OffsetDateTime) -> Result<StoredKey, KeyError> {
    let crypto = |e: &dyn std::fmt::Display| KeyError::Crypto(e.to_string());
    let (secret, jwk, thumb) = match alg {
        Alg::Rs256 => {
            let key = tokio::task::spawn_blocking(|| rsa::PrivateKey::new(&mut rand::rng(), 2048))
                .await
                .map_err(|e| crypto(&e))?
                .map_err(|e| crypto(&e))?;
            let der = key.to_pkcs8_der().map_err(|e| crypto(&e))?;
            let public = key.to_public_key();
            let (n, e) = (public.n_bytes(), public.e_bytes());
            let jwk = serde_json::json!({ "kty": "RSA", "n": b64(&n), "e": b64(&e) });
            (der.as_bytes().to_vec(), jwk, n.to_vec())
        }
        Alg::Es256 => {
            let (sk, raw) = loop {
                let mut raw = [0u8; 32];
                rand::rng().fill_bytes(&mut raw);
                if let Ok(sk) = p256::ecdsa::SigningKey::from_slice(&raw) {
                    break (sk, raw);
                }
            };
            let point = sk.verifying_key().to_sec1_point(false);
            let xy = point.as_bytes().get(1..65).unwrap_or_default().to_vec();
            let (x, y) = xy.split_at(32.min(xy.len()));
            let jwk = serde_json::json!({ "kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y) });
            (raw.to_vec(), jwk, xy.clone())
        }
        Alg::EdDsa => {
            let mut raw = [0u8; 32];
            rand::rng().fill_bytes(&mut raw);
            let public = ed25519_dalek::SigningKey::from_bytes(&raw)
                .verifying_key()
                .to_bytes();
            let jwk = serde_json::json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(&public) });
            (raw.to_vec(), jwk, public.to_vec())
        }
    };
    let kid = b64(&Sha256::digest(&thumb)[..12]);
    let mut jwk = jwk;
    jwk["use"] = "sig".into();
    jwk["alg"] = alg.name().into();
    jwk["kid"] = kid.clone().into();
    let stored = signing_keys::insert(
        app.db.conn(),
        NewKey {
            kid,
            alg: alg.name().into(),
            private_key: encrypt(app, &secret)?,
            public_jwk: jwk.to_string(),
            usable_from,
        },
        app.clock.now(),
    )
    .await?;
    app.signing_keys.forget();
    tracing::info!(kid = %stored.kid, alg = alg.name(), "new OpenID Connect signing key");
    Ok(stored)
}

/// Makes a key for each configured algorithm that has none (first start,
/// or an algorithm added to the configuration).
pub async fn ensure(app: &App) -> Result<(), KeyError> {
    let now = app.clock.now();
    let keys = stored(app).await?;
    for alg in configured(app) {
        if !keys
            .iter()
            .any(|k| k.alg == alg.name() && k.retired_at.is_none_or(|r| r > now))
        {
            create_once(app, alg, now).await?;
        }
    }
    Ok(())
}

/// Creates the first key of `alg` on one node only: nodes starting
/// together take a lease in the shared store; the others wait for its key
/// (and make one themselves if it never comes).
async fn create_once(app: &App, alg: Alg, now: OffsetDateTime) -> Result<(), KeyError> {
    let lease = Ns::Job.key(format_args!("first-key:{}", alg.name()));
    let mine = app
        .store
        .put_if_absent(&lease, b"1", std::time::Duration::from_secs(30))
        .await
        .map_err(StoreError::from)?;
    if !mine {
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if signing_keys::all(app.db.conn())
                .await?
                .iter()
                .any(|k| k.alg == alg.name() && k.retired_at.is_none_or(|r| r > now))
            {
                app.signing_keys.forget();
                return Ok(());
            }
        }
    }
    create(app, alg, now).await.map(|_| ())
}

/// Adds, for each configured algorithm, a key that signs after
/// [`PUBLISH_AHEAD`]; the current keys stay published [`KEEP_AFTER`]
/// beyond that. Returns the new keys.
pub async fn rotate(app: &App) -> Result<Vec<StoredKey>, KeyError> {
    ensure(app).await?;
    let now = app.clock.now();
    let old: Vec<i32> = signing_keys::all(app.db.conn())
        .await?
        .iter()
        .filter(|k| k.retired_at.is_none())
        .map(|k| k.id)
        .collect();
    let mut new = Vec::new();
    for alg in configured(app) {
        new.push(create(app, alg, now + PUBLISH_AHEAD).await?);
    }
    signing_keys::retire(app.db.conn(), &old, now + PUBLISH_AHEAD + KEEP_AFTER).await?;
    app.signing_keys.forget();
    Ok(new)
}

/// A key retired at once, and the key that signs in its place when it was
/// the one signing.
#[derive(Debug, Clone)]
pub struct Retired {
    /// The key retired.
    pub key: StoredKey,
    /// The key made to sign from now on, if one was needed.
    pub replacement: Option<StoredKey>,
}

/// Retires key `kid` at once (it is compromised): it is no longer
/// published, so what it signed stops verifying, and it no longer signs;
/// when no other key of its algorithm signs now, a new one does at once
/// (not a day later: relying parties fetch the JWKS again on an unknown
/// `kid`). Every node reads the change within [`super::cache::LIST_TTL`].
/// None when no published key has that id.
pub async fn retire(app: &App, kid: &str) -> Result<Option<Retired>, KeyError> {
    let now = app.clock.now();
    let Some(key) = signing_keys::retire_now(app.db.conn(), kid, now).await? else {
        return Ok(None);
    };
    app.signing_keys.forget();
    let keys = signing_keys::all(app.db.conn()).await?;
    let replacement = match Alg::parse(&key.alg) {
        Some(alg) if current(&keys, now, alg).is_none() && configured(app).contains(&alg) => {
            // Usable a minute back: no node's clock finds it in the future.
            Some(create(app, alg, now - Duration::minutes(1)).await?)
        }
        _ => None,
    };
    sesame_store::accounts::audit(
        app.db.conn(),
        "signing_key_retired",
        None,
        Some(kid),
        None,
        now,
    )
    .await?;
    tracing::warn!(kid, "OpenID Connect signing key retired at once");
    Ok(Some(Retired { key, replacement }))
}

/// Every key, with whether it is published and whether it signs now.
pub async fn list(app: &App) -> Result<Vec<(StoredKey, bool, bool)>, KeyError> {
    let now = app.clock.now();
    let keys = signing_keys::all(app.db.conn()).await?;
    let signing: Vec<i32> = Alg::ALL
        .into_iter()
        .filter_map(|a| current(&keys, now, a).map(|k| k.id))
        .collect();
    Ok(keys
        .into_iter()
        .map(|k| {
            let published = k.retired_at.is_none_or(|r| r > now);
            let signs = signing.contains(&k.id);
            (k, published, signs)
        })
        .collect())
}

/// The key of `alg` that signs at `now`: the newest one already usable.
fn current(keys: &[StoredKey], now: OffsetDateTime, alg: Alg) -> Option<&StoredKey> {
    keys.iter()
        .filter(|k| {
            k.alg == alg.name() && k.usable_from <= now && k.retired_at.is_none_or(|r| r > now)
        })
        .max_by_key(|k| k.usable_from)
}

/// The JWKS: every published public key, serialised once per key list
/// (re-read every [`super::cache::LIST_TTL`], at once after a change made
/// by this process) and once more when a key leaves it: serving it reads
/// no database. A key made or retired on another node or by the command
/// line appears within [`super::cache::LIST_TTL`].
pub async fn jwks(app: &App) -> Result<Arc<Jwks>, KeyError> {
    ensure(app).await?;
    let now = app.clock.now();
    let keys = stored(app).await?;
    if let Some(j) = app.signing_keys.jwks(&keys, now) {
        return Ok(j);
    }
    let published: Vec<serde_json::Value> = keys
        .iter()
        .filter(|k| k.retired_at.is_none_or(|r| r > now))
        .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
        .collect();
    let body = serde_json::json!({ "keys": published }).to_string();
    let etag = format!("\"{}\"", b64(&Sha256::digest(body.as_bytes())[..16]));
    let until = keys
        .iter()
        .filter_map(|k| k.retired_at)
        .filter(|r| *r > now)
        .min();
    let j = Arc::new(Jwks { body, etag });
    app.signing_keys.keep_jwks(keys, now, until, j.clone());
    Ok(j)
}

fn parse(app: &App, k: &StoredKey) -> Result<Arc<Signing>, KeyError> {
    if let Some(s) = app.signing_keys.parsed(&k.kid) {
        return Ok(s);
    }
    let alg = Alg::parse(&k.alg)
        .ok_or_else(|| KeyError::Crypto(format!("unknown algorithm {}", k.alg)))?;
    let secret = decrypt(app, &k.private_key)?;
    let s = Arc::new(Signing::from_parts(&k.kid, alg, &secret, &k.public_jwk)?);
    app.signing_keys.keep_parsed(s.clone());
    Ok(s)
}

/// The key of `alg` that signs now.
pub async fn signing_key(app: &App, alg: Alg) -> Result<Arc<Signing>, KeyError> {
    let now = app.clock.now();
    let keys = stored(app).await?;
    let k = match current(&keys, now, alg) {
        Some(k) => k.clone(),
        None => {
            ensure(app).await?;
            let keys = signing_keys::all(app.db.conn()).await?;
            // The key ensure just made is usable from its own later "now":
            // compared with the time read before it, it would not sign yet
            // (the first /readyz of a node failed so, at times, on
            // PostgreSQL, whose timestamps keep the microseconds).
            current(&keys, app.clock.now(), alg)
                .cloned()
                .ok_or_else(|| KeyError::Crypto(format!("no usable {} key", alg.name())))?
        }
    };
    parse(app, &k)
}

/// Checks a JWT signed by one of our published keys and answers its
/// claims; expiry is not checked (an `id_token_hint` may be expired).
pub async fn verify_own_jwt(app: &App, jwt: &str) -> Result<Option<serde_json::Value>, KeyError> {
    let now = app.clock.now();
    let keys = stored(app).await?;
    let published: Vec<PublicKey<'_>> = keys
        .iter()
        .filter(|k| k.retired_at.is_none_or(|r| r > now))
        .map(|k| PublicKey {
            kid: &k.kid,
            alg: &k.alg,
            jwk: &k.public_jwk,
        })
        .collect();
    Ok(sesame_oidc::jws::verify(jwt, &published))
}
