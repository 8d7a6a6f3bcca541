//! The CAS 3.0 server through HTTP, as a browser and as a service would
//! use it (SECURITY.md CAS-01…CAS-14).

mod logout;
mod proxy;
mod registration;
mod tickets;

use crate::support::cas::{
    login_for, parse_xml, proxy_setup, proxy_ticket, setup, ticket_of, validate, value,
};
use crate::support::fixtures::{CANTINE, ENT, now_clock, pupil_account};
use crate::support::http::{callback, enc, get, location, receiver};
use crate::support::{TestEnv, TestServer};
use reqwest::Client;
