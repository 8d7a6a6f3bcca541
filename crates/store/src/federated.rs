//! Accounts linked to upstream identity providers.

use crate::entity::{activation_code, federated_identity, guardian, guardian_pupil, pupil};
use crate::school_data::ts;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use time::OffsetDateTime;

/// The identity as the provider gave it, mapped to Sésame's names.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Claims {
    /// Identifiant shown and released.
    #[serde(default)]
    pub identifiant: String,
    /// Given name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Birth date, `YYYY-MM-DD`.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// UAIs.
    #[serde(default)]
    pub uai: Vec<String>,
    /// Role.
    #[serde(default)]
    pub role: Option<String>,
}

/// The account linked to `(provider, subject)`.
pub async fn account_of(
    db: &impl ConnectionTrait,
    provider: &str,
    subject: &str,
) -> Result<Option<i32>, DbErr> {
    Ok(federated_identity::Entity::find()
        .filter(federated_identity::Column::Provider.eq(provider))
        .filter(federated_identity::Column::Subject.eq(subject))
        .one(db)
        .await?
        .map(|f| f.account_id))
}

/// Links `(provider, subject)` to an account.
pub async fn link(
    db: &impl ConnectionTrait,
    provider: &str,
    subject: &str,
    account_id: i32,
    claims: &Claims,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    federated_identity::ActiveModel {
        provider: Set(provider.to_owned()),
        subject: Set(subject.to_owned()),
        account_id: Set(account_id),
        claims: Set(serde_json::to_string(claims).unwrap_or_default()),
        created_at: Set(ts(now)),
        last_login_at: Set(ts(now)),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// Records a login: the claims as received this time.
pub async fn touch(
    db: &impl ConnectionTrait,
    provider: &str,
    subject: &str,
    claims: &Claims,
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    federated_identity::Entity::update_many()
        .col_expr(
            federated_identity::Column::Claims,
            Expr::value(serde_json::to_string(claims).unwrap_or_default()),
        )
        .col_expr(
            federated_identity::Column::LastLoginAt,
            Expr::value(ts(now)),
        )
        .filter(federated_identity::Column::Provider.eq(provider))
        .filter(federated_identity::Column::Subject.eq(subject))
        .exec(db)
        .await
        .map(|_| ())
}

/// The claims of an account's most recent upstream login.
pub async fn claims_of(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Option<Claims>, DbErr> {
    let mut rows = federated_identity::Entity::find()
        .filter(federated_identity::Column::AccountId.eq(account_id))
        .all(db)
        .await?;
    rows.sort_by_key(|r| r.last_login_at);
    Ok(rows
        .pop()
        .and_then(|r| serde_json::from_str(&r.claims).ok()))
}

/// The providers an account is linked to.
pub async fn providers_of(
    db: &impl ConnectionTrait,
    account_id: i32,
) -> Result<Vec<String>, DbErr> {
    Ok(federated_identity::Entity::find()
        .filter(federated_identity::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.provider)
        .collect())
}

/// A guardian record: (id, school id, last name, first name).
pub type GuardianName = (i32, i32, String, String);

/// Every guardian record (all schools).
pub async fn guardians(db: &impl ConnectionTrait) -> Result<Vec<GuardianName>, DbErr> {
    Ok(guardian::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.school_id, g.last_name, g.first_name))
        .collect())
}

/// The pupils of these guardian records, still at school on `today`:
/// (id, normalized first name, birth date).
pub async fn pupils_of(
    db: &impl ConnectionTrait,
    guardian_ids: &[i32],
    today: time::Date,
) -> Result<Vec<(i32, String, time::Date)>, DbErr> {
    let mut ids: Vec<i32> = guardian_pupil::Entity::find()
        .filter(guardian_pupil::Column::GuardianId.is_in(guardian_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.pupil_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(pupil::Entity::find()
        .filter(pupil::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .filter(|p| p.left_on.is_none_or(|d| d > today))
        .map(|p| (p.id, p.first_name_key, p.birth_date))
        .collect())
}

/// The guardian activation codes of these guardian records: (code id,
/// account that used it).
pub async fn codes_of(
    db: &impl ConnectionTrait,
    guardian_ids: &[i32],
) -> Result<Vec<(i32, Option<i32>)>, DbErr> {
    Ok(activation_code::Entity::find()
        .filter(activation_code::Column::GuardianId.is_in(guardian_ids.iter().copied()))
        .filter(activation_code::Column::RevokedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.used_by_account_id))
        .collect())
}
