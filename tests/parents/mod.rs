//! Parent accounts through HTTP, as a browser: personal and joint creation
//! with the children table, the matching rules, the pending state, the
//! confirmation link (GET then POST), "renvoyer le courriel", expiry and
//! purge, and the confirmation mail over a real SMTP conversation.

mod form;
mod pending;
mod reminders;
mod signup;

use crate::support::fixtures::{
    PARENT_CREATED, Signup, code_of, confirmation_links, follow_link, guardian_codes,
    martin_family, now_clock, sign_up,
};
use crate::support::http::{page, post};
use crate::support::personas::log_in_answer;
use crate::support::{
    OLIVIER, PASSWORD, Persona, SmtpServer, TestEnv, TestServer, UAI, csrf_of, decode_qp, link_in,
    outbox,
};
use sesame_domain::FixedClock;
use std::sync::Arc;

const OTHER_UAI: &str = "0350001L";

/// Anaïs DUPONT, a parent of this file's own import (three children in
/// the sample school, one in another), with the personal account she opens.
const ANAIS: Persona<'static> = Persona {
    profile: "parent",
    identifiant: "anais.dupont",
    password: "Tournesol42",
};
