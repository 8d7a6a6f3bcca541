//! sea-orm entities, one per table. They stay inside the store crate's API:
//! other crates get plain rows or domain types from the repository functions.
#![allow(missing_docs)]

pub mod account;
pub mod account_guardian;
pub mod account_pupil;
pub mod account_token;
pub mod activation_code;
pub mod audit_event;
pub mod federated_identity;
pub mod guardian;
pub mod guardian_pupil;
pub mod mail_outbox;
pub mod oidc_consent;
pub mod oidc_refresh_token;
pub mod oidc_spent_code;
pub mod pupil;
pub mod report;
pub mod school;
pub mod signing_key;
pub mod sms_challenge;
pub mod sms_outbox;
