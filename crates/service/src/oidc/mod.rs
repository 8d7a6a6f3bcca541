//! The OpenID Connect provider, IO side: the rules (error codes, PKCE,
//! request checks, discovery, token claims and signing, scopes) are
//! `sesame_oidc`'s; here they meet the configuration, the database and
//! the ephemeral store.
//!
//! - `clients`: the registered clients and their subjects;
//! - `keys`: signing keys, made, stored, rotated; `cache`: what is kept in
//!   memory (a leaf that `App` holds);
//! - `discovery`: the discovery document;
//! - `flow`: the authorization endpoint and consent;
//! - `token`: the token endpoint, by job;
//! - `resource`: the endpoints that take a token: userinfo, revocation,
//!   introspection;
//! - `logout`: RP-initiated logout, and the hooks of single logout
//!   (`crate::slo`).

pub mod cache;
pub mod clients;
pub mod discovery;
pub mod flow;
pub mod keys;
pub mod logout;
pub mod resource;
pub mod token;
