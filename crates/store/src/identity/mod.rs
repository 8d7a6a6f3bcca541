//! What an account's holder is, for the attributes released to services:
//! names, schools, classes, children.

use crate::entity::{account_guardian, account_pupil, guardian, pupil, school};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Order};
use sesame_domain::AccountKind;

/// The facts attributes are made of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// First name (the pupil's, or the guardian's).
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// UAIs of the schools concerned (the pupil's, or the children's).
    pub uais: Vec<String>,
    /// Classes (the pupil's, or the children's).
    pub classes: Vec<String>,
    /// For a parent: the children's ids in their school's export.
    pub children: Vec<String>,
    /// For a parent: the same children as `UAI/ELEVE_ID` (a bare id is
    /// unique only within its school: a family with children in two
    /// schools may hold two equal ids).
    pub children_qualified: Vec<String>,
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

/// One row of [`identity`]'s query: a linked pupil (`src` 0, with its
/// school's UAI) or a linked guardian (`src` 1, names only).
#[derive(Debug, FromQueryResult)]
struct Row {
    src: i32,
    first_name: String,
    last_name: String,
    external_id: Option<String>,
    class_code: Option<String>,
    left_on: Option<time::Date>,
    uai: Option<String>,
}

/// The linked pupils (with their school's UAI) of an account, in the
/// order of their ids, then, with `guardians`, its linked guardians in
/// the order of theirs (once the caller orders by `src` then `k`): one
/// statement (`UNION ALL`), so that an attribute release costs one round
/// trip whatever the family's size.
fn rows_query(account_id: i32, guardians: bool) -> SelectStatement {
    let ap = account_pupil::Entity;
    let mut q = Query::select()
        .expr_as(Expr::cust("0"), "src")
        .expr_as(Expr::col((ap, account_pupil::Column::PupilId)), "k")
        .column((pupil::Entity, pupil::Column::FirstName))
        .column((pupil::Entity, pupil::Column::LastName))
        .column((pupil::Entity, pupil::Column::ExternalId))
        .column((pupil::Entity, pupil::Column::ClassCode))
        .column((pupil::Entity, pupil::Column::LeftOn))
        .column((school::Entity, school::Column::Uai))
        .from(ap)
        .inner_join(
            pupil::Entity,
            Expr::col((pupil::Entity, pupil::Column::Id))
                .equals((ap, account_pupil::Column::PupilId)),
        )
        .left_join(
            school::Entity,
            Expr::col((school::Entity, school::Column::Id))
                .equals((pupil::Entity, pupil::Column::SchoolId)),
        )
        .and_where(Expr::col((ap, account_pupil::Column::AccountId)).eq(account_id))
        .to_owned();
    if guardians {
        let ag = account_guardian::Entity;
        // The NULLs take the types of the pupil columns above.
        let g = Query::select()
            .expr_as(Expr::cust("1"), "src")
            .expr_as(Expr::col((ag, account_guardian::Column::GuardianId)), "k")
            .column((guardian::Entity, guardian::Column::FirstName))
            .column((guardian::Entity, guardian::Column::LastName))
            .expr(Expr::cust("NULL"))
            .expr(Expr::cust("NULL"))
            .expr(Expr::cust("NULL"))
            .expr(Expr::cust("NULL"))
            .from(ag)
            .inner_join(
                guardian::Entity,
                Expr::col((guardian::Entity, guardian::Column::Id))
                    .equals((ag, account_guardian::Column::GuardianId)),
            )
            .and_where(Expr::col((ag, account_guardian::Column::AccountId)).eq(account_id))
            .to_owned();
        q.union(UnionType::All, g);
    }
    q
}

/// The identity behind an account of `kind` (`eleve` or `responsable`) on
/// `today`: a pupil who left by then carries no school attributes (a
/// pupil keeps their name, a guardian loses the child). One query (two
/// for an account of an upstream provider, whose claims are read too).
pub async fn identity(
    db: &impl ConnectionTrait,
    account_id: i32,
    kind: AccountKind,
    today: time::Date,
) -> Result<Identity, DbErr> {
    let q = rows_query(account_id, kind != AccountKind::Eleve)
        .order_by(Alias::new("src"), Order::Asc)
        .order_by(Alias::new("k"), Order::Asc)
        .to_owned();
    let rows = Row::find_by_statement(db.get_database_backend().build(&q))
        .all(db)
        .await?;
    with_upstream_claims(db, account_id, kind, fold(rows, kind, today)).await
}

mod release;

pub use release::{Holder, account_with_identity};
#[cfg(test)]
use release::{JOINED, joined};

/// The identity the linked pupils then guardians (in that order) make.
fn fold(rows: Vec<Row>, kind: AccountKind, today: time::Date) -> Identity {
    let mut id = Identity::default();
    let mut guardian_named = false;
    for p in rows {
        if p.src != 0 {
            // The first linked guardian names a parent's account.
            if !guardian_named {
                guardian_named = true;
                id.first_name = Some(p.first_name);
                id.last_name = Some(p.last_name);
            }
            continue;
        }
        if p.left_on.is_some_and(|d| d <= today) {
            if kind == AccountKind::Eleve {
                id.first_name = Some(p.first_name);
                id.last_name = Some(p.last_name);
            }
            continue;
        }
        if let Some(uai) = &p.uai {
            push_unique(&mut id.uais, uai.clone());
        }
        if let Some(c) = p.class_code {
            push_unique(&mut id.classes, c);
        }
        if kind == AccountKind::Eleve {
            id.first_name = Some(p.first_name);
            id.last_name = Some(p.last_name);
        } else if let Some(external_id) = p.external_id {
            if let Some(uai) = &p.uai {
                push_unique(&mut id.children_qualified, format!("{uai}/{external_id}"));
            }
            push_unique(&mut id.children, external_id);
        }
    }
    id
}

/// An account of an upstream provider (staff, guest): its claims name it.
async fn with_upstream_claims(
    db: &impl ConnectionTrait,
    account_id: i32,
    kind: AccountKind,
    mut id: Identity,
) -> Result<Identity, DbErr> {
    if kind == AccountKind::Federe
        && let Some(c) = crate::federated::claims_of(db, account_id).await?
    {
        id.first_name = c.first_name;
        id.last_name = c.last_name;
        id.uais = c.uai;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{self, NewAccount};
    use crate::db::{Database, DbOptions};
    use sea_orm::{ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, QueryFilter, Set};
    use sesame_domain::AccountState;
    use time::macros::{date, datetime};

    /// The N+1 reading this module did before it read in one query (in
    /// SQLite's order: the links' primary key, pupil then guardian id):
    /// the new one must give the same identity, in the same order.
    async fn reference(
        db: &impl ConnectionTrait,
        account_id: i32,
        kind: AccountKind,
        today: time::Date,
    ) -> Identity {
        let mut id = Identity::default();
        let links = account_pupil::Entity::find()
            .filter(account_pupil::Column::AccountId.eq(account_id))
            .all(db)
            .await
            .expect("links");
        for l in links {
            let p = pupil::Entity::find_by_id(l.pupil_id)
                .one(db)
                .await
                .expect("pupil")
                .expect("pupil");
            if p.left_on.is_some_and(|d| d <= today) {
                if kind == AccountKind::Eleve {
                    id.first_name = Some(p.first_name);
                    id.last_name = Some(p.last_name);
                }
                continue;
            }
            let uai = school::Entity::find_by_id(p.school_id)
                .one(db)
                .await
                .expect("school")
                .map(|s| s.uai);
            if let Some(uai) = &uai {
                push_unique(&mut id.uais, uai.clone());
            }
            if let Some(c) = p.class_code.clone() {
                push_unique(&mut id.classes, c);
            }
            if kind == AccountKind::Eleve {
                id.first_name = Some(p.first_name);
                id.last_name = Some(p.last_name);
            } else {
                if let Some(uai) = &uai {
                    push_unique(
                        &mut id.children_qualified,
                        format!("{uai}/{}", p.external_id),
                    );
                }
                push_unique(&mut id.children, p.external_id);
            }
        }
        if kind != AccountKind::Eleve
            && let Some(link) = account_guardian::Entity::find()
                .filter(account_guardian::Column::AccountId.eq(account_id))
                .one(db)
                .await
                .expect("link")
            && let Some(g) = guardian::Entity::find_by_id(link.guardian_id)
                .one(db)
                .await
                .expect("guardian")
        {
            id.first_name = Some(g.first_name);
            id.last_name = Some(g.last_name);
        }
        id
    }

    /// A database in a new file, so that [`Database::read`] uses its held
    /// connections; the directory goes with the returned guard.
    /// (PostgreSQL runs these queries through the black-box tests.)
    async fn db() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::connect(
            &format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("identity.db").display()
            ),
            &DbOptions {
                max_connections: 1,
                ..DbOptions::default()
            },
        )
        .await
        .expect("connect");
        db.prepare_schema(true).await.expect("schema");
        (dir, db)
    }

    const NOW: time::OffsetDateTime = datetime!(2026-09-01 08:00 UTC);

    async fn school(db: &impl ConnectionTrait, uai: &str) -> i32 {
        school::ActiveModel {
            uai: Set(uai.into()),
            name: Set(format!("Collège {uai}")),
            created_at: Set(NOW),
            updated_at: Set(NOW),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("school")
        .id
    }

    async fn pupil(
        db: &impl ConnectionTrait,
        school_id: i32,
        external: &str,
        first: &str,
        class: Option<&str>,
        left_on: Option<time::Date>,
    ) -> i32 {
        pupil::ActiveModel {
            school_id: Set(school_id),
            external_id: Set(external.into()),
            last_name: Set("MARTIN".into()),
            first_name: Set(first.into()),
            first_name_key: Set(first.to_lowercase()),
            birth_date: Set(date!(2012 - 03 - 04)),
            class_code: Set(class.map(str::to_owned)),
            left_on: Set(left_on),
            created_at: Set(NOW),
            updated_at: Set(NOW),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("pupil")
        .id
    }

    async fn guardian(db: &impl ConnectionTrait, school_id: i32, first: &str) -> i32 {
        guardian::ActiveModel {
            school_id: Set(school_id),
            external_id: Set(format!("g-{first}")),
            last_name: Set("MARTIN".into()),
            first_name: Set(first.into()),
            created_at: Set(NOW),
            updated_at: Set(NOW),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("guardian")
        .id
    }

    async fn account(db: &impl ConnectionTrait, name: &str, kind: AccountKind) -> i32 {
        accounts::insert(
            db,
            NewAccount {
                identifiant: name.into(),
                identifiant_display: name.into(),
                password_hash: "unused".into(),
                email: None,
                state: AccountState::Active,
                kind,
                joint: false,
                language: sesame_domain::Language::Fr,
            },
            NOW,
        )
        .await
        .expect("account")
        .id
    }

    #[tokio::test]
    async fn one_query_gives_what_the_n_plus_one_reading_gave() {
        let (_dir, db) = db().await;
        let c = db.conn();
        let suffix = std::process::id();
        let (a, b) = (
            school(c, &format!("A{suffix}")).await,
            school(c, &format!("B{suffix}")).await,
        );
        let today = date!(2026 - 09 - 01);
        // Two children in two schools with the same bare id, one in the
        // same class as another, one without a class, one who left.
        let p1 = pupil(c, b, "100", "Léa", Some("5C"), None).await;
        let p2 = pupil(c, a, "100", "Jean", Some("4B"), None).await;
        let p3 = pupil(c, a, "101", "Lou", Some("4B"), None).await;
        let p4 = pupil(c, a, "102", "Tom", None, None).await;
        let p5 = pupil(c, b, "103", "Max", Some("3A"), Some(today)).await;
        let p6 = pupil(c, a, "104", "Zoé", Some("6A"), Some(date!(2027 - 07 - 01))).await;
        let g_low = guardian(c, a, "Sophie").await;
        let g_high = guardian(c, b, "Olivier").await;
        let parent = account(c, &format!("parent{suffix}"), AccountKind::Responsable).await;
        // Linked in another order than the pupils' ids.
        for p in [p4, p5, p1, p3, p6, p2] {
            accounts::link_pupil(c, parent, p).await.expect("link");
        }
        // Linked highest id first: the lowest names the account, as before.
        for g in [g_high, g_low] {
            accounts::link_guardian(c, parent, g).await.expect("link");
        }
        let alone = account(c, &format!("alone{suffix}"), AccountKind::Responsable).await;
        accounts::link_guardian(c, alone, g_high)
            .await
            .expect("link");
        let eleve = account(c, &format!("eleve{suffix}"), AccountKind::Eleve).await;
        accounts::link_pupil(c, eleve, p2).await.expect("link");
        let left = account(c, &format!("left{suffix}"), AccountKind::Eleve).await;
        accounts::link_pupil(c, left, p5).await.expect("link");
        let nobody = account(c, &format!("nobody{suffix}"), AccountKind::Eleve).await;

        for (who, kind) in [
            (parent, AccountKind::Responsable),
            (alone, AccountKind::Responsable),
            (eleve, AccountKind::Eleve),
            (left, AccountKind::Eleve),
            (nobody, AccountKind::Eleve),
            (parent, AccountKind::Eleve),
        ] {
            let got = identity(c, who, kind, today).await.expect("identity");
            assert_eq!(got, reference(c, who, kind, today).await, "account {who}");
        }
        // The joined reading gives the row and the identity of its kind.
        for who in [parent, alone, eleve, left, nobody] {
            let (a, got) = account_with_identity(&db, who, today)
                .await
                .expect("query")
                .expect("account");
            assert_eq!(
                Some(a.clone()),
                accounts::find(c, who)
                    .await
                    .expect("find")
                    .as_ref()
                    .map(Holder::from)
            );
            assert_eq!(
                got,
                reference(c, who, a.kind(), today).await,
                "account {who}"
            );
        }
        // The text built once binds only the account's id, on both backends.
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let (sql, n) = JOINED
                .text(backend, joined(backend))
                .expect("cached statement");
            assert_eq!(*n, 3, "{sql}");
        }
        assert!(
            account_with_identity(&db, nobody + 1000, today)
                .await
                .expect("query")
                .is_none()
        );
        let got = identity(c, parent, AccountKind::Responsable, today)
            .await
            .expect("identity");
        // Sanity: what the comparison covered.
        assert_eq!(got.first_name.as_deref(), Some("Sophie"));
        // Bare ids repeat across schools; qualified ones do not.
        assert_eq!(got.children, ["100", "101", "102", "104"], "{got:?}");
        assert_eq!(got.children_qualified.len(), 5, "{got:?}");
        assert!(!got.children.contains(&"103".to_owned()), "{got:?}");
        let left = identity(c, left, AccountKind::Eleve, today)
            .await
            .expect("identity");
        assert_eq!(left.first_name.as_deref(), Some("Max"));
        assert!(left.uais.is_empty(), "{left:?}");
    }
}
