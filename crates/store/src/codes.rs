//! Activation codes at rest: only their keyed hash (HMAC-SHA256, hex) is
//! stored, with the pair or pupil they open, an expiry and a revocation mark.

use crate::entity::{activation_code, guardian, guardian_pupil, pupil, school};
use crate::school_data::ts;
use futures_util::TryStreamExt;
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, Set,
    StreamTrait,
};
use sesame_domain::{CodeKind, ResponsibilityLevel};
use time::{Date, OffsetDateTime};

/// A (legal guardian, pupil) pair that needs a Code Activation Responsable,
/// with what the letter prints.
#[derive(Debug, Clone, FromQueryResult)]
pub struct GuardianPair {
    /// Guardian row id.
    pub guardian_id: i32,
    /// Pupil row id.
    pub pupil_id: i32,
    /// The school's id for the guardian.
    pub guardian_external_id: String,
    /// Guardian civility.
    pub civility: Option<String>,
    /// Guardian family name.
    pub guardian_last_name: String,
    /// Guardian first name.
    pub guardian_first_name: String,
    /// Guardian email.
    pub email: Option<String>,
    /// Guardian postal address.
    pub address: Option<String>,
    /// Pupil first name.
    pub pupil_first_name: String,
    /// Pupil family name.
    pub pupil_last_name: String,
    /// Pupil class.
    pub class_code: Option<String>,
    /// Pupil birth date.
    pub birth_date: Date,
}

/// A pupil who needs a Code Activation Élève.
#[derive(Debug, Clone, FromQueryResult)]
pub struct PupilNeed {
    /// Pupil row id.
    pub pupil_id: i32,
    /// The school's id for the pupil.
    pub external_id: String,
    /// First name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Class.
    pub class_code: Option<String>,
    /// Birth date.
    pub birth_date: Date,
}

/// A code to store.
#[derive(Debug, Clone)]
pub struct NewCode {
    /// CAR or CAE.
    pub kind: CodeKind,
    /// The pupil it opens.
    pub pupil_id: i32,
    /// For a CAR, the guardian it belongs to.
    pub guardian_id: Option<i32>,
    /// HMAC-SHA256 of the canonical code, hex, and its key's id.
    pub hmac: crate::KeyedHash,
    /// End of validity.
    pub expires_at: OffsetDateTime,
}

/// A stored code found by its hash, with whom it belongs to.
#[derive(Debug, Clone, FromQueryResult)]
pub struct CodeInfo {
    /// Code row id.
    pub id: i32,
    /// `car` or `cae`.
    pub kind: String,
    /// School UAI.
    pub uai: String,
    /// Pupil row id.
    pub pupil_id: i32,
    /// Pupil first name.
    pub pupil_first_name: String,
    /// Pupil family name.
    pub pupil_last_name: String,
    /// Guardian row id, for a CAR.
    pub guardian_id: Option<i32>,
    /// Guardian first name, for a CAR.
    pub guardian_first_name: Option<String>,
    /// Guardian family name, for a CAR.
    pub guardian_last_name: Option<String>,
    /// End of validity.
    pub expires_at: OffsetDateTime,
    /// Revocation time.
    pub revoked_at: Option<OffsetDateTime>,
    /// The account that used it.
    pub used_by_account_id: Option<i32>,
    /// Failed attempts counted against it.
    pub failed_attempts: i32,
}

fn current_pupil(today: Date) -> Cond {
    Cond::any()
        .add(Expr::col((pupil::Entity, pupil::Column::LeftOn)).is_null())
        .add(Expr::col((pupil::Entity, pupil::Column::LeftOn)).gt(today))
}

/// A code the pupil (or the pair) already holds: not revoked, and either
/// used by an account or still within its validity. Whoever holds one gets
/// no new code from `letters` (a September run skips the accounts opened
/// last year).
fn held_code_exists(kind: CodeKind, with_guardian: bool, now: OffsetDateTime) -> SelectStatement {
    let c = Alias::new("c");
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from_as(activation_code::Entity, c.clone())
        .and_where(
            Expr::col((c.clone(), activation_code::Column::PupilId))
                .equals((pupil::Entity, pupil::Column::Id)),
        )
        .and_where(Expr::col((c.clone(), activation_code::Column::Kind)).eq(kind.as_str()))
        .and_where(Expr::col((c.clone(), activation_code::Column::RevokedAt)).is_null())
        .cond_where(
            Cond::any()
                .add(Expr::col((c.clone(), activation_code::Column::UsedByAccountId)).is_not_null())
                .add(Expr::col((c.clone(), activation_code::Column::ExpiresAt)).gt(ts(now))),
        );
    if with_guardian {
        q.and_where(
            Expr::col((c, activation_code::Column::GuardianId))
                .equals((guardian::Entity, guardian::Column::Id)),
        );
    }
    q.take()
}

/// How many activation codes account `account_id` used.
pub async fn used_by(db: &impl ConnectionTrait, account_id: i32) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    activation_code::Entity::find()
        .filter(activation_code::Column::UsedByAccountId.eq(account_id))
        .count(db)
        .await
}

/// Revokes every unused, unrevoked code of a school's pupils; returns how
/// many. Codes already used by an account are left alone.
pub async fn revoke_unused(
    db: &impl ConnectionTrait,
    school_id: i32,
    now: OffsetDateTime,
) -> Result<u64, DbErr> {
    let school_pupils = Query::select()
        .column(pupil::Column::Id)
        .from(pupil::Entity)
        .and_where(pupil::Column::SchoolId.eq(school_id))
        .to_owned();
    let r = activation_code::Entity::update_many()
        .col_expr(activation_code::Column::RevokedAt, Expr::value(ts(now)))
        .filter(activation_code::Column::PupilId.in_subquery(school_pupils))
        .filter(activation_code::Column::RevokedAt.is_null())
        .filter(activation_code::Column::UsedByAccountId.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// The (legal guardian, current pupil) pairs of a school without a held
/// Code Activation Responsable (valid or used), ordered by guardian then
/// child; only guardian `only`'s when given.
pub async fn guardian_pairs_without_code(
    db: &(impl ConnectionTrait + StreamTrait),
    school_id: i32,
    only: Option<i32>,
    today: Date,
    now: OffsetDateTime,
) -> Result<Vec<GuardianPair>, DbErr> {
    let gp = guardian_pupil::Entity;
    let mut q = Query::select();
    if let Some(id) = only {
        q.and_where(Expr::col((guardian::Entity, guardian::Column::Id)).eq(id));
    }
    let q = q
        .expr_as(
            Expr::col((guardian::Entity, guardian::Column::Id)),
            "guardian_id",
        )
        .expr_as(Expr::col((pupil::Entity, pupil::Column::Id)), "pupil_id")
        .expr_as(
            Expr::col((guardian::Entity, guardian::Column::ExternalId)),
            "guardian_external_id",
        )
        .column((guardian::Entity, guardian::Column::Civility))
        .expr_as(
            Expr::col((guardian::Entity, guardian::Column::LastName)),
            "guardian_last_name",
        )
        .expr_as(
            Expr::col((guardian::Entity, guardian::Column::FirstName)),
            "guardian_first_name",
        )
        .column((guardian::Entity, guardian::Column::Email))
        .column((guardian::Entity, guardian::Column::Address))
        .expr_as(
            Expr::col((pupil::Entity, pupil::Column::FirstName)),
            "pupil_first_name",
        )
        .expr_as(
            Expr::col((pupil::Entity, pupil::Column::LastName)),
            "pupil_last_name",
        )
        .column((pupil::Entity, pupil::Column::ClassCode))
        .column((pupil::Entity, pupil::Column::BirthDate))
        .from(gp)
        .inner_join(
            guardian::Entity,
            Expr::col((guardian::Entity, guardian::Column::Id))
                .equals((gp, guardian_pupil::Column::GuardianId)),
        )
        .inner_join(
            pupil::Entity,
            Expr::col((pupil::Entity, pupil::Column::Id))
                .equals((gp, guardian_pupil::Column::PupilId)),
        )
        .and_where(Expr::col((pupil::Entity, pupil::Column::SchoolId)).eq(school_id))
        .and_where(
            Expr::col((gp, guardian_pupil::Column::Level)).eq(ResponsibilityLevel::Legal.as_i16()),
        )
        .cond_where(current_pupil(today))
        .and_where(Expr::exists(held_code_exists(CodeKind::Responsable, true, now)).not())
        .order_by(
            (guardian::Entity, guardian::Column::LastName),
            sea_orm::Order::Asc,
        )
        .order_by(
            (guardian::Entity, guardian::Column::FirstName),
            sea_orm::Order::Asc,
        )
        .order_by(
            (guardian::Entity, guardian::Column::Id),
            sea_orm::Order::Asc,
        )
        .order_by(
            (pupil::Entity, pupil::Column::BirthDate),
            sea_orm::Order::Asc,
        )
        .order_by((pupil::Entity, pupil::Column::Id), sea_orm::Order::Asc)
        .to_owned();
    // Streamed: the rows are turned into records one by one, not all
    // fetched first (a school of 100,000 pupils has 200,000 pairs).
    let backend = ConnectionTrait::get_database_backend(db);
    let mut rows = GuardianPair::find_by_statement(backend.build(&q))
        .stream(db)
        .await?;
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        out.push(row);
    }
    Ok(out)
}

/// The current pupils of a school without a held Code Activation Élève
/// (valid or used); only pupil `only` when given.
pub async fn pupils_without_code(
    db: &(impl ConnectionTrait + StreamTrait),
    school_id: i32,
    only: Option<i32>,
    today: Date,
    now: OffsetDateTime,
) -> Result<Vec<PupilNeed>, DbErr> {
    let mut q = Query::select();
    if let Some(id) = only {
        q.and_where(Expr::col((pupil::Entity, pupil::Column::Id)).eq(id));
    }
    let q = q
        .expr_as(Expr::col((pupil::Entity, pupil::Column::Id)), "pupil_id")
        .column((pupil::Entity, pupil::Column::ExternalId))
        .column((pupil::Entity, pupil::Column::FirstName))
        .column((pupil::Entity, pupil::Column::LastName))
        .column((pupil::Entity, pupil::Column::ClassCode))
        .column((pupil::Entity, pupil::Column::BirthDate))
        .from(pupil::Entity)
        .and_where(Expr::col((pupil::Entity, pupil::Column::SchoolId)).eq(school_id))
        .cond_where(current_pupil(today))
        .and_where(Expr::exists(held_code_exists(CodeKind::Eleve, false, now)).not())
        .order_by(
            (pupil::Entity, pupil::Column::ClassCode),
            sea_orm::Order::Asc,
        )
        .order_by(
            (pupil::Entity, pupil::Column::LastName),
            sea_orm::Order::Asc,
        )
        .order_by(
            (pupil::Entity, pupil::Column::FirstName),
            sea_orm::Order::Asc,
        )
        .to_owned();
    // Streamed: the rows are turned into records one by one, not all
    // fetched first (a school of 100,000 pupils has 200,000 pairs).
    let backend = ConnectionTrait::get_database_backend(db);
    let mut rows = PupilNeed::find_by_statement(backend.build(&q))
        .stream(db)
        .await?;
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        out.push(row);
    }
    Ok(out)
}

/// How many (legal guardian, current pupil) pairs and current pupils a
/// school has: what a full run of `letters` would cover.
pub async fn current_counts(
    db: &impl ConnectionTrait,
    school_id: i32,
    today: Date,
) -> Result<(u64, u64), DbErr> {
    #[derive(FromQueryResult)]
    struct N {
        n: i64,
    }
    let gp = guardian_pupil::Entity;
    let pairs = Query::select()
        .expr_as(
            Expr::col((gp, guardian_pupil::Column::PupilId)).count(),
            "n",
        )
        .from(gp)
        .inner_join(
            pupil::Entity,
            Expr::col((pupil::Entity, pupil::Column::Id))
                .equals((gp, guardian_pupil::Column::PupilId)),
        )
        .and_where(Expr::col((pupil::Entity, pupil::Column::SchoolId)).eq(school_id))
        .and_where(
            Expr::col((gp, guardian_pupil::Column::Level)).eq(ResponsibilityLevel::Legal.as_i16()),
        )
        .cond_where(current_pupil(today))
        .to_owned();
    let pupils = Query::select()
        .expr_as(Expr::col((pupil::Entity, pupil::Column::Id)).count(), "n")
        .from(pupil::Entity)
        .and_where(Expr::col((pupil::Entity, pupil::Column::SchoolId)).eq(school_id))
        .cond_where(current_pupil(today))
        .to_owned();
    let b = db.get_database_backend();
    let count = |n: Option<N>| n.map_or(0, |n| u64::try_from(n.n).unwrap_or(0));
    Ok((
        count(N::find_by_statement(b.build(&pairs)).one(db).await?),
        count(N::find_by_statement(b.build(&pupils)).one(db).await?),
    ))
}

/// Revokes the unused, unrevoked codes of one person: a guardian's Codes
/// Activation Responsable, or a pupil's Code Activation Élève; returns how
/// many.
pub async fn revoke_unused_of(
    db: &impl ConnectionTrait,
    person: Person,
    now: OffsetDateTime,
) -> Result<u64, DbErr> {
    let q = activation_code::Entity::update_many()
        .col_expr(activation_code::Column::RevokedAt, Expr::value(ts(now)))
        .filter(activation_code::Column::RevokedAt.is_null())
        .filter(activation_code::Column::UsedByAccountId.is_null());
    let q = match person {
        Person::Guardian(id) => q
            .filter(activation_code::Column::Kind.eq(CodeKind::Responsable.as_str()))
            .filter(activation_code::Column::GuardianId.eq(id)),
        Person::Pupil(id) => q
            .filter(activation_code::Column::Kind.eq(CodeKind::Eleve.as_str()))
            .filter(activation_code::Column::PupilId.eq(id)),
    };
    Ok(q.exec(db).await?.rows_affected)
}

/// One person of a school's data, by row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    /// A guardian row.
    Guardian(i32),
    /// A pupil row.
    Pupil(i32),
}

/// Finds the row id of the guardian (`guardian = true`) or pupil whose
/// school id is `external_id` in school `school_id`.
pub async fn find_person(
    db: &impl ConnectionTrait,
    school_id: i32,
    guardian_row: bool,
    external_id: &str,
) -> Result<Option<Person>, DbErr> {
    Ok(if guardian_row {
        guardian::Entity::find()
            .filter(guardian::Column::SchoolId.eq(school_id))
            .filter(guardian::Column::ExternalId.eq(external_id))
            .one(db)
            .await?
            .map(|g| Person::Guardian(g.id))
    } else {
        pupil::Entity::find()
            .filter(pupil::Column::SchoolId.eq(school_id))
            .filter(pupil::Column::ExternalId.eq(external_id))
            .one(db)
            .await?
            .map(|p| Person::Pupil(p.id))
    })
}

/// Stores new codes.
pub async fn insert_codes(
    db: &impl ConnectionTrait,
    codes: &[NewCode],
    now: OffsetDateTime,
) -> Result<(), DbErr> {
    let now = ts(now);
    for chunk in codes.chunks(1000) {
        let rows = chunk.iter().map(|c| activation_code::ActiveModel {
            kind: Set(c.kind.as_str().to_owned()),
            pupil_id: Set(c.pupil_id),
            guardian_id: Set(c.guardian_id),
            code_hmac: Set(c.hmac.hash.clone()),
            code_kid: Set(c.hmac.kid.clone()),
            created_at: Set(now),
            expires_at: Set(ts(c.expires_at)),
            revoked_at: Set(None),
            used_by_account_id: Set(None),
            failed_attempts: Set(0),
            ..Default::default()
        });
        activation_code::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Finds a code by its keyed hash (`hashes`: the typed code's form under
/// each key of the ring, each matching only a row of its key).
pub async fn find_by_hmac(
    db: &impl ConnectionTrait,
    hashes: &[crate::KeyedHash],
) -> Result<Option<CodeInfo>, DbErr> {
    let c = activation_code::Entity;
    let q = Query::select()
        .column((c, activation_code::Column::Id))
        .column((c, activation_code::Column::Kind))
        .column((school::Entity, school::Column::Uai))
        .column((c, activation_code::Column::PupilId))
        .expr_as(
            Expr::col((pupil::Entity, pupil::Column::FirstName)),
            "pupil_first_name",
        )
        .expr_as(
            Expr::col((pupil::Entity, pupil::Column::LastName)),
            "pupil_last_name",
        )
        .column((c, activation_code::Column::GuardianId))
        .expr_as(
            Expr::col((guardian::Entity, guardian::Column::FirstName)),
            "guardian_first_name",
        )
        .expr_as(
            Expr::col((guardian::Entity, guardian::Column::LastName)),
            "guardian_last_name",
        )
        .column((c, activation_code::Column::ExpiresAt))
        .column((c, activation_code::Column::RevokedAt))
        .column((c, activation_code::Column::UsedByAccountId))
        .column((c, activation_code::Column::FailedAttempts))
        .from(c)
        .inner_join(
            pupil::Entity,
            Expr::col((pupil::Entity, pupil::Column::Id))
                .equals((c, activation_code::Column::PupilId)),
        )
        .inner_join(
            school::Entity,
            Expr::col((school::Entity, school::Column::Id))
                .equals((pupil::Entity, pupil::Column::SchoolId)),
        )
        .left_join(
            guardian::Entity,
            Expr::col((guardian::Entity, guardian::Column::Id))
                .equals((c, activation_code::Column::GuardianId)),
        )
        .cond_where(crate::keyed::matching(
            (c, activation_code::Column::CodeHmac),
            (c, activation_code::Column::CodeKid),
            hashes,
        ))
        .to_owned();
    CodeInfo::find_by_statement(db.get_database_backend().build(&q))
        .one(db)
        .await
}

/// The pupil a code opens.
pub async fn pupil_for_code(
    db: &impl ConnectionTrait,
    pupil_id: i32,
) -> Result<Option<pupil::Model>, DbErr> {
    pupil::Entity::find_by_id(pupil_id).one(db).await
}
