//! A request to the token endpoint, as read from the form and the
//! `Authorization` header (RFC 6749 §4.1.3, §6, §2.3.1).

/// A token request.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// `grant_type`.
    pub grant_type: String,
    /// `code`.
    pub code: String,
    /// `redirect_uri`.
    pub redirect_uri: String,
    /// `code_verifier`.
    pub code_verifier: Option<String>,
    /// `refresh_token`.
    pub refresh_token: String,
    /// The client id (Basic or form).
    pub client_id: String,
    /// The client secret (Basic or form).
    pub client_secret: Option<String>,
    /// The caller's address: wrong secrets are counted per client and
    /// address, so that nobody can lock a client out (CONC-04).
    pub ip: String,
}
