//! PKCE (RFC 7636): the authorization request carries a challenge, the
//! token request the verifier it was made from. Sésame accepts S256 only
//! (§4.2) and requires PKCE of public clients (RFC 9700 §2.1.1).

use crate::error::ErrorCode;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The S256 challenge of a verifier (RFC 7636 §4.2):
/// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`, without padding.
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether a verifier has the syntax of RFC 7636 §4.1: 43 to 128
/// characters among `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
pub fn is_well_formed_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Checks the PKCE parameters of an authorization request (RFC 7636
/// §4.3, §4.4.1): a challenge needs `code_challenge_method=S256` (`plain`,
/// explicit or by default, is refused), a method needs a challenge, and a
/// public client must send one. Every refusal is `invalid_request`.
pub fn check_request(
    challenge: Option<&str>,
    method: Option<&str>,
    public_client: bool,
) -> Result<(), ErrorCode> {
    match (challenge, method) {
        (Some(_), Some("S256")) => Ok(()),
        (Some(_), _) | (None, Some(_)) => Err(ErrorCode::InvalidRequest),
        (None, None) if public_client => Err(ErrorCode::InvalidRequest),
        (None, None) => Ok(()),
    }
}

/// Why a token request's verifier is refused; the token endpoint answers
/// `invalid_grant` to each (RFC 7636 §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    /// A verifier for a code obtained without a challenge: a downgrade.
    #[error("a verifier for a code issued without a challenge")]
    Downgrade,
    /// The verifier does not have the syntax of RFC 7636 §4.1.
    #[error("malformed code verifier")]
    Malformed,
    /// The code was issued with a challenge and no verifier came.
    #[error("missing code verifier")]
    Missing,
    /// The verifier does not hash to the challenge.
    #[error("code verifier does not match the challenge")]
    Mismatch,
}

impl PkceError {
    /// The error code the token endpoint answers.
    pub fn code(self) -> ErrorCode {
        ErrorCode::InvalidGrant
    }
}

/// Checks a token request's verifier against the challenge the code was
/// issued with (RFC 7636 §4.6), in constant time.
pub fn verify(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), PkceError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(PkceError::Downgrade),
        (Some(_), None) => Err(PkceError::Missing),
        (Some(_), Some(v)) if !is_well_formed_verifier(v) => Err(PkceError::Malformed),
        (Some(c), Some(v)) => {
            // Security: constant-time, so that timing tells nothing of the
            // challenge.
            if bool::from(s256(v).as_bytes().ct_eq(c.as_bytes())) {
                Ok(())
            } else {
                Err(PkceError::Mismatch)
            }
        }
    }
}

#[cfg(test)]
mod tests;
