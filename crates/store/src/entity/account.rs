//! The `accounts` table.

use sea_orm::entity::prelude::*;

/// The password hash of an account that has no password (created through
/// an upstream provider): it never verifies, and the password paths
/// (login, lost password, unlock mail) treat the account as unknown.
pub const NO_PASSWORD: &str = "!federated";

/// One row of `accounts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub identifiant: String,
    pub identifiant_display: String,
    pub password_hash: String,
    pub email: Option<String>,
    pub state: String,
    pub kind: String,
    pub joint: bool,
    pub must_change_password: bool,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub confirmed_at: Option<TimeDateTimeWithTimeZone>,
    pub last_login_at: Option<TimeDateTimeWithTimeZone>,
    pub session_generation: i64,
    pub left_at: Option<TimeDateTimeWithTimeZone>,
    pub deletion_notice_at: Option<TimeDateTimeWithTimeZone>,
    /// Confirmation reminders sent to this pending account.
    pub confirmation_reminders: i32,
    /// When the owner chose the identifiant in « gérer son compte » (an
    /// account given its name by an upstream provider may, once).
    pub identifiant_chosen_at: Option<TimeDateTimeWithTimeZone>,
    /// The password-renewal campaign that marked this account, until its
    /// owner chooses a new password (or the campaign stops): a login with
    /// the password then leads only to the new-password page.
    pub renewal_campaign_id: Option<i32>,
    /// The language of its mails (`None`: French, as before languages).
    pub language: Option<String>,
}

/// No relations are navigated through the ORM; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The account's state. A value this version does not know reads as
    /// `Pending`, which no login, ticket or token accepts (fail closed).
    pub fn state(&self) -> sesame_domain::AccountState {
        sesame_domain::AccountState::from_db(&self.state)
            .unwrap_or(sesame_domain::AccountState::Pending)
    }

    /// Whether the account is active (confirmed, usable).
    pub fn is_active(&self) -> bool {
        self.state() == sesame_domain::AccountState::Active
    }

    /// Whether the account has a password of its own (not an account
    /// created through an upstream provider).
    pub fn has_password(&self) -> bool {
        self.password_hash != NO_PASSWORD
    }

    /// Whether the owner may still choose the identifiant: it was given
    /// (an account created through an upstream provider, which has no
    /// password of its own) and not chosen yet.
    pub fn may_choose_identifiant(&self) -> bool {
        !self.has_password() && self.identifiant_chosen_at.is_none()
    }

    /// The language of its mails; French when none is stored or the
    /// stored one is unknown to this version.
    pub fn language(&self) -> sesame_domain::Language {
        sesame_domain::Language::from_db(self.language.as_deref())
    }

    /// Whose account it is. A value this version does not know reads as
    /// `Federe`, which carries no school data.
    pub fn kind(&self) -> sesame_domain::AccountKind {
        sesame_domain::AccountKind::from_db(&self.kind)
            .unwrap_or(sesame_domain::AccountKind::Federe)
    }
}
