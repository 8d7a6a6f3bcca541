//! OpenID Connect through HTTP, as relying parties and browsers use it
//! (SECURITY.md OIDC-01…OIDC-17), one file per feature. The helpers
//! (`authorize`, `exchange`, `refresh`…) are in `support::oidc`.

mod authorize;
mod clients;
mod consent;
mod discovery;
mod keys;
mod library;
mod logout;
mod redirects;
mod refresh;
mod requests;
mod token;
mod token_responses;
