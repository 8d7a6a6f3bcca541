//! The OAuth 2.0 and OpenID Connect error codes Sésame answers: at the
//! authorization endpoint (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6), sent
//! back to the client's redirect URI; at the token endpoint (RFC 6749
//! §5.2), in a JSON body.

use serde::{Serialize, Serializer};

/// An error code, serialised as its registered name (`invalid_grant`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// RFC 6749 §4.1.2.1, §5.2: a parameter is missing, repeated, invalid
    /// or unsupported.
    InvalidRequest,
    /// RFC 6749 §5.2: client authentication failed.
    InvalidClient,
    /// RFC 6749 §5.2: the code or refresh token is invalid, expired,
    /// revoked, or was issued to another client or redirect URI.
    InvalidGrant,
    /// RFC 6749 §4.1.2.1, §5.2: the client may not use this grant or
    /// response type.
    UnauthorizedClient,
    /// RFC 6749 §5.2: a grant type the server does not support.
    UnsupportedGrantType,
    /// RFC 6749 §4.1.2.1: the user or the server refused.
    AccessDenied,
    /// RFC 6749 §4.1.2.1: a response type the server does not support.
    UnsupportedResponseType,
    /// RFC 6749 §4.1.2.1, §5.2: a scope unknown or not allowed.
    InvalidScope,
    /// RFC 6749 §4.1.2.1: something failed inside the server.
    ServerError,
    /// RFC 6749 §4.1.2.1: the server cannot answer now.
    TemporarilyUnavailable,
    /// OIDC Core §3.1.2.6: `prompt=none`, and the user must log in.
    LoginRequired,
    /// OIDC Core §3.1.2.6: `prompt=none`, and the user must consent.
    ConsentRequired,
    /// OIDC Core §3.1.2.6: `prompt=none`, and the user must act.
    InteractionRequired,
    /// OIDC Core §3.1.2.6: the `request` parameter is not supported.
    RequestNotSupported,
    /// OIDC Core §3.1.2.6: the `request_uri` parameter is not supported.
    RequestUriNotSupported,
}

impl ErrorCode {
    /// Every code, for parsing and tests.
    pub const ALL: [Self; 15] = [
        Self::InvalidRequest,
        Self::InvalidClient,
        Self::InvalidGrant,
        Self::UnauthorizedClient,
        Self::UnsupportedGrantType,
        Self::AccessDenied,
        Self::UnsupportedResponseType,
        Self::InvalidScope,
        Self::ServerError,
        Self::TemporarilyUnavailable,
        Self::LoginRequired,
        Self::ConsentRequired,
        Self::InteractionRequired,
        Self::RequestNotSupported,
        Self::RequestUriNotSupported,
    ];

    /// Its registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
        }
    }

    /// From its registered name (exact, case-sensitive: RFC 6749 §A.7).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Whether RFC 6749 §5.2 lists it as an answer of the token endpoint.
    pub fn is_token_error(self) -> bool {
        matches!(
            self,
            Self::InvalidRequest
                | Self::InvalidClient
                | Self::InvalidGrant
                | Self::UnauthorizedClient
                | Self::UnsupportedGrantType
                | Self::InvalidScope
                // Not in §5.2's list, but the only honest answer to a
                // failure inside (RFC 6749 §4.1.2.1 defines it).
                | Self::ServerError
        )
    }

    /// Whether the client must authenticate with HTTP authentication: the
    /// token endpoint then answers 401 with `WWW-Authenticate` (RFC 6749
    /// §5.2, `invalid_client`).
    pub fn wants_authentication(self) -> bool {
        self == Self::InvalidClient
    }

    /// The JSON body of a token-endpoint error (RFC 6749 §5.2):
    /// `{"error": "<code>"}`.
    pub fn body(self) -> serde_json::Value {
        serde_json::json!({ "error": self.as_str() })
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
