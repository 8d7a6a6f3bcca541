//! Sésame's OAuth 2.0 and OpenID Connect rules, as pure functions: what an
//! authorization server decides, given what it was asked, what is
//! registered, the keys and the time.
//!
//! - [`error`]: the error codes (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6).
//! - [`pkce`]: code challenges and verifiers (RFC 7636).
//! - [`authorize`]: the checks of an authorization request (RFC 6749 §4.1.1,
//!   OIDC Core §3.1.2.1) and the error redirect (RFC 6749 §4.1.2.1, RFC 9207).
//! - [`scope`]: the scopes Sésame knows and the claims each releases
//!   (OIDC Core §5.4).
//! - [`discovery`]: the provider metadata (OpenID Connect Discovery 1.0 §3).
//! - [`jws`]: the signing algorithms, signing keys and JWS (RFC 7515, 7518).
//! - [`claims`]: subjects, ID tokens (OIDC Core §2, §3.1.3.6) and logout
//!   tokens (Back-Channel Logout 1.0 §2.4).
//! - [`lifetimes`]: how long codes and tokens live.
//! - [`refresh`]: the shape of a refresh token (family, rotation, secret).
//!
//! Architecture invariant: no IO, no async, no machine clock, no store, no
//! HTTP types. Time (`now`), keys and fresh identifiers are passed in;
//! `sesame-service` does the reading and writing and calls these rules.

pub mod authorize;
pub mod claims;
pub mod discovery;
pub mod error;
pub mod jws;
pub mod lifetimes;
pub mod pkce;
pub mod refresh;
pub mod scope;

pub use authorize::{AuthRequest, AuthorizeError, PageError};
pub use error::ErrorCode;
pub use jws::{Alg, KeyError, Signing};
