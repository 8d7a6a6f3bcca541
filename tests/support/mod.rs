//! The test harness and everything the test files share.
//!
//! - [`env`]: one test's world ([`TestEnv`]): a working directory, a fresh
//!   database (an SQLite file, or a new PostgreSQL database), a Redis key
//!   prefix, the `sesame` binary run as a child process on them.
//! - [`server`]: the server spawned in-process on a free port
//!   ([`TestServer`]) and the browsers that talk to it.
//! - [`fixtures`]: the sample school and its families, the accounts the
//!   tests open, the services and clients with their secrets, the password.
//! - [`http`], [`mail`]: pages, forms and small endpoints; the outbox and a
//!   real SMTP server.
//! - [`serve`], [`proxy`], [`samples`]: `sesame serve` as a child process, a
//!   round-robin proxy in front of several nodes, the sample SIECLE files.

#![allow(dead_code)]

pub mod env;
pub mod fixtures;
pub mod http;
pub mod mail;
pub mod proxy;
pub mod samples;
pub mod serve;
pub mod server;

pub use env::{Run, TestEnv, block_on};
pub use fixtures::{UAI, printed_codes, pupil_code, sign_up_camille};
pub use http::csrf_of;
pub use mail::{MailSink, Smtp, SmtpServer, decode_qp, link_in, outbox, parse_message};
pub use server::{TestServer, free_port, worker_app};
