//! The test harness and everything the test files share; no test file
//! imports from another.
//!
//! - [`env`]: one test's world ([`TestEnv`]): a working directory, a fresh
//!   database (an SQLite file, or a new PostgreSQL database), a Redis key
//!   prefix, the `sesame` binary run as a child process on them.
//! - [`server`]: the server spawned in-process on a free port
//!   ([`TestServer`]) and the browsers that talk to it.
//! - [`fixtures`]: the sample school and its families, the accounts the
//!   tests open, the services and clients with their secrets, the password.
//! - [`personas`]: the people of the fixtures ([`CAMILLE`], [`OLIVIER`]) and
//!   what they do with a browser: [`login_as`], [`log_in`], [`log_out`].
//! - [`oidc`] and [`cas`]: the two protocols as a client speaks them
//!   ([`oidc::authorize`], [`oidc::exchange`], [`cas::login_for`]…).
//! - [`http`], [`mail`]: pages, forms and small endpoints; the outbox and a
//!   real SMTP server.
//! - [`serve`], [`proxy`], [`samples`]: `sesame serve` as a child process, a
//!   round-robin proxy in front of several nodes, the sample SIECLE files.

#![allow(dead_code)]

pub mod cas;
pub mod english;
pub mod env;
pub mod fixtures;
pub mod http;
pub mod layout;
pub mod mail;
pub mod oidc;
pub mod personas;
pub mod proxy;
pub mod samples;
pub mod serve;
pub mod server;

pub use env::{Run, TestEnv, block_on};
pub use fixtures::{PASSWORD, UAI};
pub use http::csrf_of;
pub use mail::{MailSink, Smtp, SmtpServer, TestTls, decode_qp, link_in, outbox, parse_message};
pub use personas::{CAMILLE, OLIVIER, Persona, log_in, log_out, login_as};
pub use server::{TestServer, free_port, worker_app};
