//! Why a token request is refused (RFC 6749 §5.2), or failed inside.
//!
//! A failure inside keeps its cause, and tells unavailability (the
//! database or the ephemeral store did not answer) from the rest; both
//! answer `server_error` today, and the cause is logged once, by the
//! endpoint (`log_once`), never sent to the client.

use crate::oidc::keys::KeyError;
use sesame_oidc::ErrorCode;
use sesame_oidc::claims::IdTokenError;
use sesame_store::{DbErr, EphemeralError, StoreError};

/// Why a token, revocation or introspection request is refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Malformed request.
    #[error("invalid_request")]
    InvalidRequest,
    /// Client authentication failed (401).
    #[error("invalid_client")]
    InvalidClient,
    /// Bad, used or expired code, wrong redirect URI or verifier.
    #[error("invalid_grant")]
    InvalidGrant,
    /// Not `authorization_code` or `refresh_token`.
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    /// A grant the client is not registered for.
    #[error("unauthorized_client")]
    UnauthorizedClient,
    /// The database or the ephemeral store did not answer: the same
    /// request may succeed later.
    #[error("storage unavailable")]
    Unavailable(#[source] StoreError),
    /// Something else failed inside (a signing key that does not decrypt,
    /// an ID token that cannot be made).
    #[error("internal error")]
    ServerError(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl TokenError {
    /// The error code the client is answered (RFC 6749 §5.2).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidRequest => ErrorCode::InvalidRequest,
            Self::InvalidClient => ErrorCode::InvalidClient,
            Self::InvalidGrant => ErrorCode::InvalidGrant,
            Self::UnsupportedGrantType => ErrorCode::UnsupportedGrantType,
            Self::UnauthorizedClient => ErrorCode::UnauthorizedClient,
            Self::Unavailable(_) | Self::ServerError(_) => ErrorCode::ServerError,
        }
    }

    /// Whether the database or the ephemeral store did not answer.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// Whether something failed inside (rather than the request being
    /// refused).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::ServerError(_))
    }

    /// A failure inside, with its cause.
    pub(crate) fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::ServerError(Box::new(e))
    }
}

impl From<StoreError> for TokenError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            Self::Unavailable(e)
        } else {
            Self::ServerError(Box::new(e))
        }
    }
}

impl From<EphemeralError> for TokenError {
    fn from(e: EphemeralError) -> Self {
        StoreError::from(e).into()
    }
}

impl From<DbErr> for TokenError {
    fn from(e: DbErr) -> Self {
        StoreError::from(e).into()
    }
}

impl From<KeyError> for TokenError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Store(s) => Self::Unavailable(s),
            other => Self::internal(other),
        }
    }
}

impl From<IdTokenError> for TokenError {
    fn from(e: IdTokenError) -> Self {
        Self::internal(e)
    }
}

/// An error and its causes, `: `-separated; a cause whose text its error
/// already ends with (`#[error("…: {0}")]` and `#[source]` both) once.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = c.source();
    }
    out
}

/// Logs the cause of a failure inside, once, at the endpoint that answers
/// `endpoint`; a refusal is the client's business and is not logged here.
pub(crate) fn log_once<T>(
    endpoint: &'static str,
    r: Result<T, TokenError>,
) -> Result<T, TokenError> {
    if let Err(e) = &r
        && e.is_internal()
    {
        tracing::error!(
            endpoint,
            unavailable = e.is_unavailable(),
            error = %chain(e),
            "token request failed inside"
        );
    }
    r
}

#[cfg(test)]
mod tests {
    use super::{TokenError, chain};
    use crate::oidc::keys::KeyError;
    use sesame_oidc::ErrorCode;
    use sesame_store::{DbErr, EphemeralError, StoreError};

    fn redis_down() -> EphemeralError {
        EphemeralError::from_text("redis: connection refused")
    }

    #[test]
    fn each_error_answers_its_code_and_keeps_its_cause() {
        // (error, code answered, unavailable, internal, logged text)
        let table: Vec<(TokenError, ErrorCode, bool, bool, &str)> = vec![
            (
                TokenError::InvalidRequest,
                ErrorCode::InvalidRequest,
                false,
                false,
                "invalid_request",
            ),
            (
                TokenError::InvalidClient,
                ErrorCode::InvalidClient,
                false,
                false,
                "invalid_client",
            ),
            (
                TokenError::InvalidGrant,
                ErrorCode::InvalidGrant,
                false,
                false,
                "invalid_grant",
            ),
            (
                TokenError::UnsupportedGrantType,
                ErrorCode::UnsupportedGrantType,
                false,
                false,
                "unsupported_grant_type",
            ),
            (
                TokenError::UnauthorizedClient,
                ErrorCode::UnauthorizedClient,
                false,
                false,
                "unauthorized_client",
            ),
            (
                redis_down().into(),
                ErrorCode::ServerError,
                true,
                true,
                "storage unavailable: ephemeral store: redis: connection refused",
            ),
            (
                DbErr::Conn(sesame_store::RuntimeErr::Internal("refused".into())).into(),
                ErrorCode::ServerError,
                true,
                true,
                "storage unavailable: database: Connection Error: refused",
            ),
            (
                DbErr::Custom("a row the code cannot read".into()).into(),
                ErrorCode::ServerError,
                false,
                true,
                "internal error: database: Custom Error: a row the code cannot read",
            ),
            (
                KeyError::Store(StoreError::Ephemeral(redis_down())).into(),
                ErrorCode::ServerError,
                true,
                true,
                "storage unavailable: ephemeral store: redis: connection refused",
            ),
            (
                KeyError::Crypto("cannot decrypt (were the secrets changed?)".into()).into(),
                ErrorCode::ServerError,
                false,
                true,
                "internal error: signing key: cannot decrypt (were the secrets changed?)",
            ),
        ];
        for (e, code, unavailable, internal, text) in table {
            assert_eq!(e.code(), code, "{e:?}");
            assert_eq!(e.is_unavailable(), unavailable, "{e:?}");
            assert_eq!(e.is_internal(), internal, "{e:?}");
            assert_eq!(chain(&e), text, "{e:?}");
        }
    }
}
