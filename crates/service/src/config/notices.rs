//! `[notices]`: the notices a French public service owes (accessibility
//! declaration, legal notice, personal data, help), per académie. Every
//! text has a sound default built from the rest of the configuration, so
//! an empty value is never shown as such.

use serde::{Deserialize, Serialize};

/// Where the service stands against the RGAA (the French accessibility
/// standard), as the declaration and every page footer state it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conformity {
    /// Every RGAA criterion is met.
    Conforme,
    /// At least half of the criteria are met.
    PartiellementConforme,
    /// Less than half, or no audit yet.
    NonConforme,
}

impl Conformity {
    /// The wording of the law (décret 2019-768): « … conforme ».
    pub fn label(self) -> &'static str {
        match self {
            Conformity::Conforme => "conforme",
            Conformity::PartiellementConforme => "partiellement conforme",
            Conformity::NonConforme => "non conforme",
        }
    }
}

/// `[notices]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticesConfig {
    /// The RGAA conformity stated in every footer and in the declaration.
    pub accessibility: Conformity,
    /// The audit behind it: who, when, which pages (empty: an internal
    /// evaluation is stated).
    pub accessibility_audit: String,
    /// Who to write to about accessibility (empty: `branding.help`).
    pub accessibility_contact: String,
    /// The publisher (empty: the rectorat of `branding.academie`).
    pub publisher: String,
    /// The director of publication (empty: the recteur of the académie).
    pub publication_director: String,
    /// Who hosts the service (empty: the académie's own servers).
    pub host: String,
    /// The data controller (empty: the recteur of the académie).
    pub data_controller: String,
    /// The data-protection officer's contact (empty: the académie's DPD
    /// through the rectorat).
    pub dpo_contact: String,
    /// A contact for help beside `branding.help` (an address, a telephone
    /// number, a page), empty for none.
    pub help_contact: String,
}

impl Default for NoticesConfig {
    fn default() -> Self {
        Self {
            accessibility: Conformity::PartiellementConforme,
            accessibility_audit: String::new(),
            accessibility_contact: String::new(),
            publisher: String::new(),
            publication_director: String::new(),
            host: String::new(),
            data_controller: String::new(),
            dpo_contact: String::new(),
            help_contact: String::new(),
        }
    }
}

/// `value`, or `default` when it is blank.
pub fn or_default(value: &str, default: impl Into<String>) -> String {
    if value.trim().is_empty() {
        default.into()
    } else {
        value.trim().to_owned()
    }
}
