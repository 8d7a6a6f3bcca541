//! Accounts: their state (awaiting email confirmation, or active) and their
//! kind (a pupil's, a guardian's, or one that comes from an upstream
//! provider). Stored as short names; parsed once when read.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountState {
    /// Created, awaiting the confirmation of its email address (a parent
    /// account, seed guide §« création de compte »).
    Pending,
    /// Usable.
    Active,
    /// Closed by the periodic job: the pupil left the school, or the
    /// guardian account has no child any more, for longer than
    /// `accounts.leaver_grace_days`. No login, ticket or token.
    Disabled,
}

impl AccountState {
    /// The short name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Pending => "pending",
            AccountState::Active => "active",
            AccountState::Disabled => "disabled",
        }
    }

    /// Reads the short name stored in the database.
    pub fn from_db(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(AccountState::Pending),
            "active" => Some(AccountState::Active),
            "disabled" => Some(AccountState::Disabled),
            _ => None,
        }
    }
}

impl fmt::Display for AccountState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whose an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// A pupil's account, created with a Code Activation Élève.
    Eleve,
    /// A legal guardian's account, created with Codes Activation Responsable
    /// (or through an upstream provider matched to a guardian).
    Responsable,
    /// An account that authenticates at an upstream provider (staff, guests).
    Federe,
}

impl AccountKind {
    /// The short name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Eleve => "eleve",
            AccountKind::Responsable => "responsable",
            AccountKind::Federe => "federe",
        }
    }

    /// Reads the short name stored in the database.
    pub fn from_db(s: &str) -> Option<Self> {
        match s {
            "eleve" => Some(AccountKind::Eleve),
            "responsable" => Some(AccountKind::Responsable),
            "federe" => Some(AccountKind::Federe),
            _ => None,
        }
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_round_trip_and_nothing_else_parses() {
        for s in [
            AccountState::Pending,
            AccountState::Active,
            AccountState::Disabled,
        ] {
            assert_eq!(AccountState::from_db(s.as_str()), Some(s));
        }
        for k in [
            AccountKind::Eleve,
            AccountKind::Responsable,
            AccountKind::Federe,
        ] {
            assert_eq!(AccountKind::from_db(k.as_str()), Some(k));
            assert_eq!(k.to_string(), k.as_str());
        }
        for bad in ["", "Active", "ACTIVE", "Disabled", "eleve ", "parent"] {
            assert_eq!(AccountState::from_db(bad), None, "{bad:?}");
            assert_eq!(AccountKind::from_db(bad), None, "{bad:?}");
        }
    }
}
