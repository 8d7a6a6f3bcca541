//! Signing keys: RS256 (RSA 2048, signed through rsa 0.10). The private key
//! is stored as PKCS#8 encrypted with ChaCha20-Poly1305 under a key derived
//! from the server's secrets; only the public JWK is published.
//!
//! Rotation: a new key is published at once and starts signing
//! [`PUBLISH_AHEAD`] later (relying parties refresh their JWKS first); the
//! keys it replaces stay published for [`KEEP_AFTER`] more, until the
//! tokens they signed have expired.

use crate::app::App;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use rand::Rng;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use sesame_store::StoreError;
use sesame_store::signing_keys::{self, NewKey, StoredKey};
use sha2::{Digest, Sha256};
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
}

impl From<sesame_store::DbErr> for KeyError {
    fn from(e: sesame_store::DbErr) -> Self {
        Self::Store(StoreError::Db(e))
    }
}

fn cipher(app: &App) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new((&app.keys.derived(LABEL)).into())
}

fn encrypt(app: &App, plain: &[u8]) -> Result<String, KeyError> {
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher(app)
        .encrypt(&Nonce::from(nonce), plain)
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    let mut out = nonce.to_vec();
    out.extend(ct);
    Ok(b64(&out))
}

fn decrypt(app: &App, stored: &str) -> Result<Vec<u8>, KeyError> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(stored)
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    let (Some(nonce), Some(ct)) = (raw.get(..12), raw.get(12..)) else {
        return Err(KeyError::Crypto("truncated key".into()));
    };
    let nonce: [u8; 12] = nonce
        .try_into()
        .map_err(|_| KeyError::Crypto("truncated key".into()))?;
    cipher(app)
        .decrypt(&Nonce::from(nonce), ct)
        .map_err(|_| KeyError::Crypto("cannot decrypt (were the secrets changed?)".into()))
}

/// Makes a new RS256 key that signs from `usable_from`.
async fn create(app: &App, usable_from: OffsetDateTime) -> Result<StoredKey, KeyError> {
    let key = tokio::task::spawn_blocking(|| rsa::PrivateKey::new(&mut rand::rng(), 2048))
        .await
        .map_err(|e| KeyError::Crypto(e.to_string()))?
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    let der = key
        .to_pkcs8_der()
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    let public = key.to_public_key();
    let (n, e) = (public.n_bytes(), public.e_bytes());
    let kid = b64(&Sha256::digest(&n)[..12]);
    let jwk = serde_json::json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(&n), "e": b64(&e)
    });
    let stored = signing_keys::insert(
        app.db.conn(),
        NewKey {
            kid,
            alg: "RS256".into(),
            private_key: encrypt(app, der.as_bytes())?,
            public_jwk: jwk.to_string(),
            usable_from,
        },
        app.clock.now(),
    )
    .await?;
    tracing::info!(kid = %stored.kid, "new OpenID Connect signing key");
    Ok(stored)
}

/// Makes the first key when there is none (first start).
pub async fn ensure(app: &App) -> Result<(), KeyError> {
    if signing_keys::all(app.db.conn()).await?.is_empty() {
        create(app, app.clock.now()).await?;
    }
    Ok(())
}

/// Adds a key that signs after [`PUBLISH_AHEAD`]; the current keys stay
/// published [`KEEP_AFTER`] beyond that. Returns the new key.
pub async fn rotate(app: &App) -> Result<StoredKey, KeyError> {
    ensure(app).await?;
    let now = app.clock.now();
    let old: Vec<i32> = signing_keys::all(app.db.conn())
        .await?
        .iter()
        .filter(|k| k.retired_at.is_none())
        .map(|k| k.id)
        .collect();
    let new = create(app, now + PUBLISH_AHEAD).await?;
    signing_keys::retire(app.db.conn(), &old, now + PUBLISH_AHEAD + KEEP_AFTER).await?;
    Ok(new)
}

/// Every key, with whether it is published and whether it signs now.
pub async fn list(app: &App) -> Result<Vec<(StoredKey, bool, bool)>, KeyError> {
    let now = app.clock.now();
    let keys = signing_keys::all(app.db.conn()).await?;
    let signing = current(&keys, now).map(|k| k.id);
    Ok(keys
        .into_iter()
        .map(|k| {
            let published = k.retired_at.is_none_or(|r| r > now);
            let signs = Some(k.id) == signing;
            (k, published, signs)
        })
        .collect())
}

/// The key that signs at `now`: the newest one already usable.
fn current(keys: &[StoredKey], now: OffsetDateTime) -> Option<&StoredKey> {
    keys.iter()
        .filter(|k| k.usable_from <= now && k.retired_at.is_none_or(|r| r > now))
        .max_by_key(|k| k.usable_from)
}

/// The JWKS: every published public key.
pub async fn jwks(app: &App) -> Result<serde_json::Value, KeyError> {
    ensure(app).await?;
    let now = app.clock.now();
    let keys: Vec<serde_json::Value> = signing_keys::all(app.db.conn())
        .await?
        .iter()
        .filter(|k| k.retired_at.is_none_or(|r| r > now))
        .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
        .collect();
    Ok(serde_json::json!({ "keys": keys }))
}

/// The private key that signs now, with its kid.
pub async fn signing_key(app: &App) -> Result<(String, rsa::PrivateKey), KeyError> {
    ensure(app).await?;
    let keys = signing_keys::all(app.db.conn()).await?;
    let k = current(&keys, app.clock.now())
        .ok_or_else(|| KeyError::Crypto("no usable signing key".into()))?;
    let der = decrypt(app, &k.private_key)?;
    let key = rsa::PrivateKey::from_pkcs8_der(&der).map_err(|e| KeyError::Crypto(e.to_string()))?;
    Ok((k.kid.clone(), key))
}

/// Checks a JWT signed by one of our published keys (RS256) and answers
/// its claims; expiry is not checked (an `id_token_hint` may be expired).
pub async fn verify_own_jwt(app: &App, jwt: &str) -> Result<Option<serde_json::Value>, KeyError> {
    use rsa::signature::Verifier;
    let b64d = |s: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()
    };
    let mut parts = jwt.split('.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(None);
    };
    let (Some(header), Some(payload), Some(sig)) = (b64d(h), b64d(p), b64d(sig)) else {
        return Ok(None);
    };
    let Ok(header) = serde_json::from_slice::<serde_json::Value>(&header) else {
        return Ok(None);
    };
    if header["alg"] != "RS256" {
        return Ok(None);
    }
    let now = app.clock.now();
    let keys = signing_keys::all(app.db.conn()).await?;
    let Some(k) = keys
        .iter()
        .find(|k| header["kid"] == k.kid.as_str() && k.retired_at.is_none_or(|r| r > now))
    else {
        return Ok(None);
    };
    let der = decrypt(app, &k.private_key)?;
    let private =
        rsa::PrivateKey::from_pkcs8_der(&der).map_err(|e| KeyError::Crypto(e.to_string()))?;
    let verifier = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(private.to_public_key());
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(sig.as_slice()) else {
        return Ok(None);
    };
    let signed = format!("{h}.{p}");
    if verifier.verify(signed.as_bytes(), &signature).is_err() {
        return Ok(None);
    }
    Ok(serde_json::from_slice(&payload).ok())
}
