//! Schools, pupils, guardians and their links: applying an export snapshot.
//!
//! An export is a full snapshot of one school (SIECLE FORMAT.md §6.2): the
//! functions here diff it against what is stored and write only the
//! differences, so that importing the same file twice changes nothing.
//! They run inside the caller's transaction.

use crate::bulk::{Bulk, CopyRows};
use crate::entity::{activation_code, guardian, guardian_pupil, pupil, school};
use futures_util::TryStreamExt;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set, StreamTrait,
};
use sesame_domain::{
    GuardianRecord, LinkRecord, PupilRecord, ResponsibilityLevel, Uai, normalize_first_name,
};
use std::collections::{HashMap, HashSet};
use time::{Date, OffsetDateTime};

/// Rows per multi-row INSERT (well under SQLite's and PostgreSQL's bind limits).
const CHUNK: usize = 1000;

/// What an import changed, for one kind of row.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Rows added.
    pub created: u64,
    /// Rows whose values changed.
    pub updated: u64,
    /// Rows already up to date.
    pub unchanged: u64,
    /// Rows that left: pupils gone from the school, links removed,
    /// guardians without any link any more.
    pub left: u64,
    /// Input rows not stored (guardians without a link to a known pupil,
    /// links to an unknown pupil or person).
    pub ignored: u64,
    /// Accounts that lost a child (or, for a pupil's own account, were
    /// stamped as a leaver's) because of these changes.
    pub accounts: u64,
}

/// What importing a guardians file changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GuardianCounts {
    /// Guardians (persons).
    pub guardians: Counts,
    /// Guardian↔pupil links.
    pub links: Counts,
}

/// A school as stored.
pub type School = school::Model;

/// Truncates a timestamp to the second, the precision Sésame stores, so that
/// stored values compare as text in SQLite.
pub fn ts(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

/// Finds the school with this UAI.
pub async fn find_school(db: &impl ConnectionTrait, uai: &Uai) -> Result<Option<School>, DbErr> {
    school::Entity::find()
        .filter(school::Column::Uai.eq(uai.as_str()))
        .one(db)
        .await
}

/// Lists every school, by UAI.
pub async fn list_schools(db: &impl ConnectionTrait) -> Result<Vec<School>, DbErr> {
    use sea_orm::QueryOrder;
    school::Entity::find()
        .order_by_asc(school::Column::Uai)
        .all(db)
        .await
}

/// Finds the school with this UAI, creating it when missing; renames it when
/// a name is given.
pub async fn ensure_school(
    db: &impl ConnectionTrait,
    uai: &Uai,
    name: Option<&str>,
    now: OffsetDateTime,
) -> Result<School, DbErr> {
    let now = ts(now);
    match find_school(db, uai).await? {
        Some(s) => match name {
            Some(n) if n != s.name => {
                let mut am: school::ActiveModel = s.into();
                am.name = Set(n.to_owned());
                am.updated_at = Set(now);
                am.update(db).await
            }
            _ => Ok(s),
        },
        None => {
            school::ActiveModel {
                uai: Set(uai.as_str().to_owned()),
                name: Set(name.map_or_else(|| format!("Établissement {uai}"), str::to_owned)),
                academie: Set(None),
                last_pupils_export: Set(None),
                last_guardians_export: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await
        }
    }
}

/// Records the timestamp of the last export imported, per kind of file.
pub async fn set_export_stamp(
    db: &impl ConnectionTrait,
    school: &School,
    pupils: bool,
    stamp: &str,
) -> Result<(), DbErr> {
    let mut am: school::ActiveModel = school.clone().into();
    if pupils {
        am.last_pupils_export = Set(Some(stamp.to_owned()));
    } else {
        am.last_guardians_export = Set(Some(stamp.to_owned()));
    }
    am.update(db).await.map(|_| ())
}

/// Applies a pupils snapshot to a school. Pupils absent from the snapshot are
/// marked as having left on `today`, and their unused activation codes are
/// revoked. Answers the counts and the ids of the pupils who left (for
/// `leavers::pupils_left`, in the same transaction).
pub async fn apply_pupils(
    db: &(impl ConnectionTrait + StreamTrait),
    bulk: &Bulk,
    school: &School,
    records: &[PupilRecord],
    today: Date,
    now: OffsetDateTime,
) -> Result<(Counts, Vec<i32>), DbErr> {
    let now = ts(now);
    let mut existing: HashMap<String, pupil::Model> = HashMap::new();
    {
        let mut rows = pupil::Entity::find()
            .filter(pupil::Column::SchoolId.eq(school.id))
            .stream(db)
            .await?;
        while let Some(p) = rows.try_next().await? {
            existing.insert(p.external_id.clone(), p);
        }
    }
    let mut counts = Counts::default();
    let mut inserts = Vec::new();
    let mut departed = Vec::new();
    for r in records {
        let Some(old) = existing.remove(&r.external_id) else {
            counts.created += 1;
            inserts.push(r);
            continue;
        };
        let same = old.ine == r.ine
            && old.last_name == r.last_name
            && old.first_name == r.first_name
            && old.other_first_names == r.other_first_names
            && old.birth_date == r.birth_date
            && old.class_code == r.class
            && old.level == r.level
            && old.left_on == r.left_on;
        if same {
            counts.unchanged += 1;
            continue;
        }
        let was_current = old.left_on.is_none_or(|d| d > today);
        if was_current && r.left_on.is_some_and(|d| d <= today) {
            counts.left += 1;
            departed.push(old.id);
        } else {
            counts.updated += 1;
        }
        let mut am: pupil::ActiveModel = old.into();
        let key = normalize_first_name(&r.first_name);
        am.ine = Set(r.ine.clone());
        am.last_name = Set(r.last_name.clone());
        am.first_name = Set(r.first_name.clone());
        am.other_first_names = Set(r.other_first_names.clone());
        am.first_name_key = Set(key);
        am.birth_date = Set(r.birth_date);
        am.class_code = Set(r.class.clone());
        am.level = Set(r.level.clone());
        am.left_on = Set(r.left_on);
        am.updated_at = Set(now);
        am.update(db).await?;
    }
    if bulk.uses_copy() {
        let mut rows = CopyRows::new(&[
            "school_id",
            "external_id",
            "ine",
            "last_name",
            "first_name",
            "other_first_names",
            "first_name_key",
            "birth_date",
            "class_code",
            "level",
            "left_on",
            "created_at",
            "updated_at",
        ]);
        for r in &inserts {
            rows.int(school.id.into())
                .text(&r.external_id)
                .opt_text(r.ine.as_deref())
                .text(&r.last_name)
                .text(&r.first_name)
                .opt_text(r.other_first_names.as_deref())
                .text(&normalize_first_name(&r.first_name))
                .date(r.birth_date)
                .opt_text(r.class.as_deref())
                .opt_text(r.level.as_deref())
                .opt_date(r.left_on)
                .timestamp(now)
                .timestamp(now)
                .end();
        }
        bulk.load(db, "pupils", rows).await?;
        inserts.clear();
    }
    for chunk in inserts.chunks(CHUNK) {
        let rows = chunk.iter().map(|r| pupil::ActiveModel {
            school_id: Set(school.id),
            external_id: Set(r.external_id.clone()),
            ine: Set(r.ine.clone()),
            last_name: Set(r.last_name.clone()),
            first_name: Set(r.first_name.clone()),
            other_first_names: Set(r.other_first_names.clone()),
            first_name_key: Set(normalize_first_name(&r.first_name)),
            birth_date: Set(r.birth_date),
            class_code: Set(r.class.clone()),
            level: Set(r.level.clone()),
            left_on: Set(r.left_on),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        pupil::Entity::insert_many(rows).exec(db).await?;
    }
    // Pupils missing from a full snapshot have left the school.
    let gone: Vec<i32> = existing
        .values()
        .filter(|p| p.left_on.is_none())
        .map(|p| p.id)
        .collect();
    counts.left += gone.len() as u64;
    for chunk in gone.chunks(CHUNK) {
        pupil::Entity::update_many()
            .col_expr(pupil::Column::LeftOn, Expr::value(today))
            .col_expr(pupil::Column::UpdatedAt, Expr::value(now))
            .filter(pupil::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    departed.extend(gone);
    for chunk in departed.chunks(CHUNK) {
        activation_code::Entity::update_many()
            .col_expr(activation_code::Column::RevokedAt, Expr::value(now))
            .filter(activation_code::Column::PupilId.is_in(chunk.iter().copied()))
            .filter(activation_code::Column::RevokedAt.is_null())
            .filter(activation_code::Column::UsedByAccountId.is_null())
            .exec(db)
            .await?;
    }
    Ok((counts, departed))
}

/// Applies a guardians snapshot (persons and their links) to a school whose
/// pupils are already stored. Persons with no link to a known pupil are not
/// stored; links that vanished are removed and their unused codes revoked.
/// Answers the counts and the (guardian, pupil) pairs that stopped being a
/// legal guardian's link (for `leavers::links_removed`, in the same
/// transaction). Mobile numbers in the file replace the stored ones (a
/// person without one loses it); every number kept is marked with
/// `as_of`, the export's date.
pub async fn apply_guardians(
    db: &(impl ConnectionTrait + StreamTrait),
    bulk: &Bulk,
    school: &School,
    guardians: &[GuardianRecord],
    links: &[LinkRecord],
    as_of: &str,
    now: OffsetDateTime,
) -> Result<(GuardianCounts, Vec<(i32, i32)>), DbErr> {
    let now = ts(now);
    let pupil_ids: HashMap<String, i32> = pupil::Entity::find()
        .select_only()
        .columns([pupil::Column::ExternalId, pupil::Column::Id])
        .filter(pupil::Column::SchoolId.eq(school.id))
        .into_tuple::<(String, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let person_ids: HashSet<&str> = guardians.iter().map(|g| g.external_id.as_str()).collect();
    let mut out = GuardianCounts::default();

    // Links whose both ends are known; the others are counted and skipped.
    let mut wanted_links: HashMap<(&str, i32), &LinkRecord> = HashMap::new();
    for l in links {
        match pupil_ids.get(&l.pupil_id) {
            Some(&pid) if person_ids.contains(l.guardian_id.as_str()) => {
                wanted_links.insert((l.guardian_id.as_str(), pid), l);
            }
            _ => out.links.ignored += 1,
        }
    }
    let linked: HashSet<&str> = wanted_links.keys().map(|(g, _)| *g).collect();

    // Persons.
    let mut existing: HashMap<String, guardian::Model> = HashMap::new();
    {
        let mut rows = guardian::Entity::find()
            .filter(guardian::Column::SchoolId.eq(school.id))
            .stream(db)
            .await?;
        while let Some(g) = rows.try_next().await? {
            existing.insert(g.external_id.clone(), g);
        }
    }
    let mut inserts = Vec::new();
    for r in guardians {
        let Some(old) = existing.remove(&r.external_id) else {
            if !linked.contains(r.external_id.as_str()) {
                out.guardians.ignored += 1;
                continue;
            }
            out.guardians.created += 1;
            inserts.push(r);
            continue;
        };
        let same = old.civility == r.civility
            && old.last_name == r.last_name
            && old.first_name == r.first_name
            && old.email == r.email
            && old.address == r.address
            && old.mobile == r.mobile;
        if same {
            out.guardians.unchanged += 1;
            continue;
        }
        out.guardians.updated += 1;
        let mut am: guardian::ActiveModel = old.into();
        am.civility = Set(r.civility.clone());
        am.last_name = Set(r.last_name.clone());
        am.first_name = Set(r.first_name.clone());
        am.email = Set(r.email.clone());
        am.address = Set(r.address.clone());
        am.mobile = Set(r.mobile.clone());
        am.updated_at = Set(now);
        am.update(db).await?;
    }
    out.guardians.left = existing.len() as u64;
    if bulk.uses_copy() {
        let mut rows = CopyRows::new(&[
            "school_id",
            "external_id",
            "civility",
            "last_name",
            "first_name",
            "email",
            "address",
            "mobile",
            "created_at",
            "updated_at",
        ]);
        for r in &inserts {
            rows.int(school.id.into())
                .text(&r.external_id)
                .opt_text(r.civility.as_deref())
                .text(&r.last_name)
                .text(&r.first_name)
                .opt_text(r.email.as_deref())
                .opt_text(r.address.as_deref())
                .opt_text(r.mobile.as_deref())
                .timestamp(now)
                .timestamp(now)
                .end();
        }
        bulk.load(db, "guardians", rows).await?;
        inserts.clear();
    }
    for chunk in inserts.chunks(CHUNK) {
        let rows = chunk.iter().map(|r| guardian::ActiveModel {
            school_id: Set(school.id),
            external_id: Set(r.external_id.clone()),
            civility: Set(r.civility.clone()),
            last_name: Set(r.last_name.clone()),
            first_name: Set(r.first_name.clone()),
            email: Set(r.email.clone()),
            address: Set(r.address.clone()),
            mobile: Set(r.mobile.clone()),
            mobile_as_of: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        guardian::Entity::insert_many(rows).exec(db).await?;
    }
    drop(inserts);
    drop(existing);
    // Every number of this snapshot carries the snapshot's date, whether
    // it changed or not (one statement; the counts above stay about
    // changes).
    guardian::Entity::update_many()
        .col_expr(guardian::Column::MobileAsOf, Expr::value(as_of.to_owned()))
        .filter(guardian::Column::SchoolId.eq(school.id))
        .filter(guardian::Column::Mobile.is_not_null())
        .exec(db)
        .await?;
    let guardian_ids: HashMap<String, i32> = guardian::Entity::find()
        .select_only()
        .columns([guardian::Column::ExternalId, guardian::Column::Id])
        .filter(guardian::Column::SchoolId.eq(school.id))
        .into_tuple::<(String, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();

    // Links.
    let school_guardians = Query::select()
        .column(guardian::Column::Id)
        .from(guardian::Entity)
        .and_where(guardian::Column::SchoolId.eq(school.id))
        .to_owned();
    let mut stored: HashMap<(i32, i32), guardian_pupil::Model> = HashMap::new();
    {
        let mut rows = guardian_pupil::Entity::find()
            .filter(guardian_pupil::Column::GuardianId.in_subquery(school_guardians))
            .stream(db)
            .await?;
        while let Some(l) = rows.try_next().await? {
            stored.insert((l.guardian_id, l.pupil_id), l);
        }
    }
    let mut link_inserts = Vec::new();
    let mut revoke_pairs = Vec::new();
    for ((gext, pid), l) in &wanted_links {
        let Some(&gid) = guardian_ids.get(*gext) else {
            out.links.ignored += 1;
            continue;
        };
        let level = l.level.as_i16();
        match stored.remove(&(gid, *pid)) {
            None => {
                out.links.created += 1;
                link_inserts.push((gid, *pid, level, l.relationship));
            }
            Some(old) if old.level == level && old.relationship == l.relationship => {
                out.links.unchanged += 1;
            }
            Some(old) => {
                out.links.updated += 1;
                if old.level == ResponsibilityLevel::Legal.as_i16() && !l.level.is_legal() {
                    revoke_pairs.push((gid, *pid));
                }
                let mut am: guardian_pupil::ActiveModel = old.into();
                am.level = Set(level);
                am.relationship = Set(l.relationship);
                am.update(db).await?;
            }
        }
    }
    if bulk.uses_copy() {
        let mut rows = CopyRows::new(&[
            "guardian_id",
            "pupil_id",
            "level",
            "relationship",
            "created_at",
        ]);
        for &(gid, pid, level, relationship) in &link_inserts {
            rows.int(gid.into())
                .int(pid.into())
                .int(level.into())
                .opt_int(relationship.map(i64::from))
                .timestamp(now)
                .end();
        }
        bulk.load(db, "guardian_pupils", rows).await?;
        link_inserts.clear();
    }
    for chunk in link_inserts.chunks(CHUNK) {
        let rows =
            chunk.iter().map(
                |&(gid, pid, level, relationship)| guardian_pupil::ActiveModel {
                    guardian_id: Set(gid),
                    pupil_id: Set(pid),
                    level: Set(level),
                    relationship: Set(relationship),
                    created_at: Set(now),
                    ..Default::default()
                },
            );
        guardian_pupil::Entity::insert_many(rows).exec(db).await?;
    }
    out.links.left = stored.len() as u64;
    let removed: Vec<i32> = stored.values().map(|l| l.id).collect();
    revoke_pairs.extend(stored.keys().copied());
    for chunk in removed.chunks(CHUNK) {
        guardian_pupil::Entity::delete_many()
            .filter(guardian_pupil::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    for &(gid, pid) in &revoke_pairs {
        activation_code::Entity::update_many()
            .col_expr(activation_code::Column::RevokedAt, Expr::value(now))
            .filter(activation_code::Column::GuardianId.eq(gid))
            .filter(activation_code::Column::PupilId.eq(pid))
            .filter(activation_code::Column::RevokedAt.is_null())
            .filter(activation_code::Column::UsedByAccountId.is_null())
            .exec(db)
            .await?;
    }
    Ok((out, revoke_pairs))
}
