//! The OpenID Connect provider: signing keys (`keys`), the discovery
//! document (`discovery`), the authorization endpoint and consent (`flow`),
//! the token endpoint (`token`), the endpoints that take a token: userinfo,
//! revocation, introspection (`resource`), and RP-initiated logout
//! (`logout`). Back-channel logout is part of the single logout of both
//! protocols (`crate::slo`).

pub mod discovery;
pub mod flow;
pub mod keys;
pub mod logout;
pub mod resource;
pub mod token;
