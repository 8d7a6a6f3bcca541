//! Sésame's use cases: configuration, import of school data, activation codes
//! and letters. The only crate that combines IO (database, store, files).
//!
//! Architecture invariant: no HTTP types here; the web crate calls these
//! functions and renders their results.

pub mod account;
pub mod app;
pub mod campaign;
pub mod cas;
pub mod codes;
pub mod config;
pub mod confirm;
pub mod demo;
pub mod files;
pub mod helpdesk;
pub mod import;
pub mod keys;
pub mod leavers;
pub mod letters;
pub mod login;
pub mod mail;
pub mod mailer;
pub mod oidc;
pub mod password;
pub mod periodic;
pub mod recovery;
pub mod reports;
pub mod rights;
pub mod session;
pub mod signup;
pub mod slo;
pub mod sms;
pub mod upstream;

pub use app::{App, InitError, Readiness, Schema};
pub use config::{Config, ConfigError, ConfigSource};
