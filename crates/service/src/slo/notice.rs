//! What a protocol's single-logout hook answers: a form POSTed to a
//! registered URL. A leaf, so that the protocols need not import
//! [`crate::slo`].

/// One service to tell that a session ended.
#[derive(Debug, Clone)]
pub struct Notice {
    /// The service or client, for the logs.
    pub service: String,
    /// Where: a URL of the registry, never one from a request (no SSRF).
    pub url: url::Url,
    /// The form field (`logoutRequest`, `logout_token`).
    pub field: &'static str,
    /// Its value.
    pub value: String,
}
