//! `[password]`, `[session]`, `[throttle]`, `[profiles]` and `[accounts]`:
//! how people log in and how their accounts live.

use serde::{Deserialize, Serialize};
use sesame_domain::Profile;
use std::path::PathBuf;

/// `[password]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordConfig {
    /// `seed` (the guide's rule: letters AND digits) or `cnil` (CNIL
    /// 2022-100 case 2: three character classes, or 50 bits of class entropy).
    pub policy: PasswordPolicyKind,
    /// Minimum length in characters.
    pub min_length: usize,
    /// Extra blocklist file (one password per line), added to the shipped list.
    pub blocklist_file: PathBuf,
    /// argon2id memory cost in KiB.
    pub argon2_memory_kib: u32,
    /// argon2id iterations.
    pub argon2_iterations: u32,
    /// argon2id parallelism.
    pub argon2_parallelism: u32,
    /// Hashes computed at once per node (memory = cost × this).
    pub max_concurrent_hashes: usize,
}

/// `[session]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Minutes without activity after which the SSO session ends.
    pub idle_minutes: u64,
    /// Hours after login after which the SSO session ends anyway.
    pub absolute_hours: u64,
}

/// `[throttle]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleConfig {
    /// Consecutive failures on one identifiant after which each attempt waits (1, 2, 4… minutes).
    pub account_delay_after: i64,
    /// Consecutive failures on one identifiant that block password login for 24 h.
    pub account_block_after: i64,
    /// Failed logins per minute from one IP address before 429.
    pub ip_failures_per_minute: i64,
}

/// Where a profile authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileSource {
    /// Sésame's own accounts.
    Local,
    /// An upstream OpenID Connect provider (configured in a later version).
    Upstream,
    /// Not offered.
    Disabled,
}

/// `[profiles]`: the source of each of the five profiles.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilesConfig {
    /// Élève.
    pub eleve: ProfileSource,
    /// Parent.
    pub parent: ProfileSource,
    /// Personnel de l'Éducation nationale.
    pub personnel_education: ProfileSource,
    /// Personnel de collectivité territoriale.
    pub personnel_collectivite: ProfileSource,
    /// Invité.
    pub invite: ProfileSource,
}

impl ProfilesConfig {
    /// Where `profile` authenticates.
    pub fn source(&self, profile: Profile) -> ProfileSource {
        match profile {
            Profile::Eleve => self.eleve,
            Profile::Parent => self.parent,
            Profile::PersonnelEducation => self.personnel_education,
            Profile::PersonnelCollectivite => self.personnel_collectivite,
            Profile::Invite => self.invite,
        }
    }
}

/// Which strength rule passwords follow (the blocklist and context words
/// apply to both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordPolicyKind {
    /// The seed's rule: `min_length` characters with letters AND digits.
    Seed,
    /// SECURITY.md §1.1: at least 3 of the 4 classes, or L·log2(N) ≥ 50.
    Cnil,
}

/// `[accounts]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsConfig {
    /// Days a parent has to confirm a new account before it is deleted.
    pub confirmation_days: u32,
    /// Minutes between two runs of the purge of unconfirmed accounts.
    pub purge_interval_minutes: u64,
    /// Days a leaver's account (a pupil who left, a guardian account with
    /// no child any more) stays usable before it is disabled.
    pub leaver_grace_days: u32,
    /// Days after which a leaver's account is deleted (counted, like the
    /// grace, from the day Sésame saw the departure).
    pub retention_days: u32,
    /// Days before the deletion that a guardian gets the notice mail.
    pub deletion_notice_days: u32,
    /// Days after sign-up on which an unconfirmed parent account is sent a
    /// reminder with a fresh link (each before `confirmation_days`; empty:
    /// no reminder).
    #[serde(default = "default_reminder_days")]
    pub confirmation_reminder_days: Vec<u32>,
}

fn default_reminder_days() -> Vec<u32> {
    vec![3, 6]
}

/// `[audit]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Days an audit event is kept; older ones are deleted by the periodic
    /// job and by `sesame accounts purge`.
    pub retention_days: u32,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            retention_days: 365,
        }
    }
}
