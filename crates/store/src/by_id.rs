//! Statements whose only values are one id, their text built once per
//! backend (issue 21: building a sea-query statement with its column list
//! cost a hot read about as much as running it).

use sea_orm::{DbBackend, Statement, Value};
use std::sync::OnceLock;

/// An id no row has: the values of a statement built with it must all be
/// it, else the statement binds something else and is built each time.
const SENTINEL: i32 = 1_234_567_891;

/// The text of one statement for each backend, and how many times it
/// binds the id (`None`: it binds something else).
pub(crate) struct ByIdSql([OnceLock<Option<(String, usize)>>; 3]);

impl ByIdSql {
    /// Nothing built yet.
    pub(crate) const fn new() -> Self {
        Self([OnceLock::new(), OnceLock::new(), OnceLock::new()])
    }

    /// `build(id)` on `backend`, from the text built once.
    pub(crate) fn statement(
        &self,
        backend: DbBackend,
        id: i32,
        build: impl Fn(i32) -> Statement,
    ) -> Statement {
        match self.text(backend, &build) {
            Some((sql, n)) => Statement::from_sql_and_values(
                backend,
                sql.as_str(),
                std::iter::repeat_n(Value::Int(Some(id)), *n),
            ),
            None => build(id),
        }
    }

    /// The text for `backend` and how many times it binds the id.
    pub(crate) fn text(
        &self,
        backend: DbBackend,
        build: impl Fn(i32) -> Statement,
    ) -> Option<&(String, usize)> {
        let slot = match backend {
            DbBackend::Sqlite => 0,
            DbBackend::Postgres => 1,
            _ => 2,
        };
        self.0[slot]
            .get_or_init(|| {
                let st = build(SENTINEL);
                let values = st.values.map(|v| v.0).unwrap_or_default();
                values
                    .iter()
                    .all(|v| *v == Value::Int(Some(SENTINEL)))
                    .then_some((st.sql, values.len()))
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::account;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait};

    #[test]
    fn the_text_is_kept_only_when_the_id_is_its_only_value() {
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            // The id twice: kept, bound twice.
            let twice = ByIdSql::new();
            let build = |id: i32| {
                account::Entity::find_by_id(id)
                    .filter(account::Column::Id.eq(id))
                    .build(backend)
            };
            let st = twice.statement(backend, 7, build);
            assert_eq!(st, build(7), "{backend:?}");
            assert_eq!(twice.text(backend, build).map(|t| t.1), Some(2));
            // Another value besides the id: built each time, still right.
            let other = ByIdSql::new();
            let build = |id: i32| {
                account::Entity::find_by_id(id)
                    .filter(account::Column::Kind.eq("eleve"))
                    .build(backend)
            };
            assert_eq!(other.statement(backend, 7, build), build(7));
            assert_eq!(other.statement(backend, 8, build), build(8));
            assert!(other.text(backend, build).is_none());
        }
        // What the hot reads use: kept.
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let by_pk = |id: i32| account::Entity::find_by_id(id).build(backend);
            assert_eq!(ByIdSql::new().text(backend, by_pk).map(|t| t.1), Some(1));
        }
    }
}
