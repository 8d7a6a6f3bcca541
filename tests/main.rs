//! Sésame's black-box tests: through the `sesame` command line and HTTP, as
//! an administrator or a browser would. They run against SQLite and the
//! in-process store by default, and against PostgreSQL and Redis when
//! `SESAME_TEST_DATABASE_URL` and `SESAME_TEST_REDIS_URL` are set (`.ci/run`
//! runs both).

mod support;

mod accessibility;
mod account;
mod audit_retention;
mod browser;
mod campaign;
mod cas;
mod cas_interop;
mod cli;
mod codes;
mod concurrency;
mod config;
mod csrf;
mod demo;
mod error_pages;
mod files;
mod helpdesk;
mod import;
mod import_limits;
mod languages;
mod letters;
mod listeners;
mod mail;
mod mail_languages;
mod migrations;
mod nodes;
mod notices;
mod observability;
mod oidc;
mod pages;
mod parents;
mod passwords;
mod redaction;
mod redis_tls;
mod reports;
mod revocation;
mod rights;
mod rotation;
mod school_year;
mod schools;
mod selftest;
mod server;
mod sms;
mod theme;
mod throttle;
mod upstream;
