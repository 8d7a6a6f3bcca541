//! Signing: the JWS algorithms Sésame signs with (RFC 7518 §3.3, §3.4,
//! RFC 8037 §3.1), a signing key made from its stored parts, compact JWS
//! (RFC 7515 §7.1), and the check of a JWS signed by one of the published
//! keys.
//!
//! The keys are passed in: making, storing and encrypting them is the
//! service's business.

use base64::Engine;
use openidconnect::core::{CoreJsonWebKey, CoreJwsSigningAlgorithm};
use openidconnect::{JsonWebKey, PrivateSigningKey, SigningError};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn b64d(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

/// A JWS algorithm Sésame signs with. In the configuration, its JOSE name
/// (`"RS256"`, `"ES256"`, `"EdDSA"`), read once when the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256, RSA 2048 (RFC 7518 §3.3).
    Rs256,
    /// ECDSA P-256 with SHA-256 (RFC 7518 §3.4).
    Es256,
    /// Ed25519 (RFC 8037 §3.1).
    EdDsa,
}

impl Alg {
    /// Every algorithm, RS256 first (OIDC Core §15.1: mandatory).
    pub const ALL: [Self; 3] = [Self::Rs256, Self::Es256, Self::EdDsa];

    /// Its JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// From its JOSE name (case-sensitive, RFC 7515 §4.1.1).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The JOSE names, for messages.
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// `openidconnect`'s name for it.
    pub fn jws(self) -> CoreJwsSigningAlgorithm {
        match self {
            Self::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            Self::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            Self::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
        }
    }
}

impl TryFrom<String> for Alg {
    type Error = String;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name)
            .ok_or_else(|| format!("unknown algorithm {name:?}; use {}", Self::names()))
    }
}

impl From<Alg> for String {
    fn from(a: Alg) -> String {
        a.name().to_owned()
    }
}

/// Why a signing key cannot be made from its parts.
#[derive(Debug, thiserror::Error)]
#[error("signing key {kid}: {reason}")]
pub struct KeyError {
    kid: String,
    reason: String,
}

impl KeyError {
    fn new(kid: &str, reason: impl std::fmt::Display) -> Self {
        Self {
            kid: kid.to_owned(),
            reason: reason.to_string(),
        }
    }
}

enum Private {
    /// AWS-LC's RSA (through aws-lc-rs): constant-time, the same PKCS#1
    /// v1.5 bytes as ring, and faster (`cargo bench -p sesame-oidc`).
    Rsa(aws_lc_rs::signature::RsaKeyPair),
    Ec(p256::ecdsa::SigningKey),
    Ed(ed25519_dalek::SigningKey),
}

/// A key that signs, parsed once.
pub struct Signing {
    /// Its `kid`.
    pub kid: String,
    /// Its algorithm.
    pub alg: Alg,
    key: Private,
    jwk: CoreJsonWebKey,
}

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signing")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Signing {
    /// A key from its parts: `secret` is the PKCS#8 DER of an RSA key, or
    /// the 32-byte secret of a P-256 or Ed25519 key; `public_jwk` its
    /// published JWK.
    pub fn from_parts(
        kid: &str,
        alg: Alg,
        secret: &[u8],
        public_jwk: &str,
    ) -> Result<Self, KeyError> {
        let err = |e: &dyn std::fmt::Display| KeyError::new(kid, e);
        let key = match alg {
            Alg::Rs256 => Private::Rsa(
                aws_lc_rs::signature::RsaKeyPair::from_pkcs8(secret).map_err(|e| err(&e))?,
            ),
            Alg::Es256 => {
                Private::Ec(p256::ecdsa::SigningKey::from_slice(secret).map_err(|e| err(&e))?)
            }
            Alg::EdDsa => {
                let raw: [u8; 32] = secret.try_into().map_err(|e| err(&e))?;
                Private::Ed(ed25519_dalek::SigningKey::from_bytes(&raw))
            }
        };
        let jwk = serde_json::from_str(public_jwk).map_err(|e| err(&e))?;
        Ok(Self {
            kid: kid.to_owned(),
            alg,
            key,
            jwk,
        })
    }

    /// The JWS signature of `message` (RFC 7515 §5.1 step 5). Each of the
    /// three algorithms is deterministic for a given key.
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        match &self.key {
            Private::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                // PKCS#1 v1.5 padding uses no randomness; the API asks
                // for an RNG all the same. Only fails for a buffer of the
                // wrong size, sized above.
                let _ = k.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    message,
                    &mut sig,
                );
                sig
            }
            Private::Ec(k) => {
                use p256::ecdsa::signature::Signer;
                // RFC 6979 deterministic nonces.
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_bytes().to_vec()
            }
            Private::Ed(k) => {
                use ed25519_dalek::Signer;
                k.sign(message).to_bytes().to_vec()
            }
        }
    }

    /// A compact JWS of `claims` (RFC 7515 §7.1), with `typ` in the header
    /// when given.
    pub fn jwt(&self, typ: Option<&str>, claims: &serde_json::Value) -> String {
        let mut header = serde_json::json!({ "alg": self.alg.name(), "kid": self.kid });
        if let Some(t) = typ {
            header["typ"] = serde_json::Value::from(t);
        }
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self.sign_bytes(signed.as_bytes());
        format!("{signed}.{}", b64(&sig))
    }
}

impl PrivateSigningKey for Signing {
    type VerificationKey = CoreJsonWebKey;

    fn sign(&self, alg: &CoreJwsSigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        if *alg != self.alg.jws() {
            return Err(SigningError::UnsupportedAlg(format!("{alg:?}")));
        }
        Ok(self.sign_bytes(message))
    }

    fn as_verification_key(&self) -> CoreJsonWebKey {
        self.jwk.clone()
    }
}

/// A published key, as stored.
#[derive(Debug, Clone, Copy)]
pub struct PublicKey<'a> {
    /// Its `kid`.
    pub kid: &'a str,
    /// Its algorithm's JOSE name.
    pub alg: &'a str,
    /// Its JWK, JSON.
    pub jwk: &'a str,
}

/// The claims of a compact JWS signed by one of `keys` (matched by `kid`
/// and `alg`, RFC 7515 §4.1.4); `None` for anything else. Neither the
/// expiry nor the issuer is checked: that is the caller's business (an
/// `id_token_hint` may be expired).
pub fn verify(jwt: &str, keys: &[PublicKey<'_>]) -> Option<serde_json::Value> {
    let mut parts = jwt.split('.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let header: serde_json::Value = serde_json::from_slice(&b64d(h)?).ok()?;
    let (payload, sig) = (b64d(p)?, b64d(sig)?);
    let alg = header["alg"].as_str().and_then(Alg::parse)?;
    let k = keys
        .iter()
        .find(|k| header["kid"] == k.kid && k.alg == alg.name())?;
    let jwk = serde_json::from_str::<CoreJsonWebKey>(k.jwk).ok()?;
    jwk.verify_signature(&alg.jws(), format!("{h}.{p}").as_bytes(), &sig)
        .ok()?;
    serde_json::from_slice(&payload).ok()
}

#[cfg(test)]
pub(crate) mod tests;
