//! OpenID Connect provider. This first part: the signing keys (created on
//! first use, encrypted at rest, rotated by `sesame keys rotate`), the
//! JWKS and the discovery document. The authorization, token, userinfo and
//! logout endpoints come next.

pub mod discovery;
pub mod flow;
pub mod keys;
pub mod logout;
pub mod token;
