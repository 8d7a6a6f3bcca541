//! What an account's holder is, for the attributes released to services:
//! names, schools, classes, children.

use crate::entity::{account_guardian, account_pupil, guardian, pupil, school};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
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

/// The identity behind an account of `kind` (`eleve` or `responsable`) on
/// `today`: a pupil who left by then carries no school attributes (a
/// pupil keeps their name, a guardian loses the child).
pub async fn identity(
    db: &impl ConnectionTrait,
    account_id: i32,
    kind: AccountKind,
    today: time::Date,
) -> Result<Identity, DbErr> {
    let mut id = Identity::default();
    let links = account_pupil::Entity::find()
        .filter(account_pupil::Column::AccountId.eq(account_id))
        .all(db)
        .await?;
    for l in links {
        let Some(p) = pupil::Entity::find_by_id(l.pupil_id).one(db).await? else {
            continue;
        };
        if p.left_on.is_some_and(|d| d <= today) {
            if kind == AccountKind::Eleve {
                id.first_name = Some(p.first_name);
                id.last_name = Some(p.last_name);
            }
            continue;
        }
        let uai = school::Entity::find_by_id(p.school_id)
            .one(db)
            .await?
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
            .await?
        && let Some(g) = guardian::Entity::find_by_id(link.guardian_id)
            .one(db)
            .await?
    {
        id.first_name = Some(g.first_name);
        id.last_name = Some(g.last_name);
    }
    // An account of an upstream provider (staff, guest): its claims.
    if kind == AccountKind::Federe
        && let Some(c) = crate::federated::claims_of(db, account_id).await?
    {
        id.first_name = c.first_name;
        id.last_name = c.last_name;
        id.uais = c.uai;
    }
    Ok(id)
}
