//! Identifiants are unique across every kind of account (issue 22 §1).
//! Accounts made through an upstream provider had an internal identifiant
//! (`provider:subject`) and released the provider's name, unchecked: a
//! local account and a federated one could release the same name. Each
//! such account now holds, in `accounts.identifiant` (whose unique index
//! is the constraint), the name it releases: the provider's name made an
//! identifiant, or `name2`, `name3`… when another account holds it. Local
//! accounts keep theirs; the oldest federated account keeps the plain name.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, TryGetable};
use std::collections::HashSet;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Identifiant,
    IdentifiantDisplay,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = db.get_database_backend();
        let select = Query::select()
            .columns([
                Accounts::Id,
                Accounts::Identifiant,
                Accounts::IdentifiantDisplay,
            ])
            .from(Accounts::Table)
            .order_by(Accounts::Id, Order::Asc)
            .to_owned();
        let mut rows = Vec::new();
        for r in db.query_all_raw(backend.build(&select)).await? {
            let get = |c: &str| String::try_get_by(&r, c).map_err(DbErr::from);
            rows.push((
                i32::try_get_by(&r, "id").map_err(DbErr::from)?,
                get("identifiant")?,
                get("identifiant_display")?,
            ));
        }
        let internal = |id: &str| id.contains(':');
        let mut taken: HashSet<String> = rows
            .iter()
            .filter(|(_, id, _)| !internal(id))
            .map(|(_, id, _)| id.clone())
            .collect();
        for (id, identifiant, display) in rows.iter().filter(|(_, i, _)| internal(i)) {
            let subject = identifiant.split_once(':').map_or("", |(_, s)| s);
            let base = sesame_domain::identifiant::federated_base(display, subject);
            let name = (1..)
                .map(|n| sesame_domain::identifiant::numbered(&base, n))
                .find(|i| !taken.contains(i.as_str()))
                .map(String::from)
                .unwrap_or_default();
            taken.insert(name.clone());
            let update = Query::update()
                .table(Accounts::Table)
                .value(Accounts::Identifiant, name.clone())
                .value(Accounts::IdentifiantDisplay, name)
                .and_where(Expr::col(Accounts::Id).eq(*id))
                .to_owned();
            m.exec_stmt(update).await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        // The internal names are still in `federated_identities`, but the
        // released names changed on purpose: nothing to undo.
        Ok(())
    }
}
