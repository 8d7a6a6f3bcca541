//! Keyed hashes at rest (issue 18 §3): each stored hash names the key it
//! was made with, so that a lookup matches a row only under that key.
//! Rows written before the key id was stored (schema before migration
//! 000025) have none: they are matched under any key of the ring, and
//! disappear from lookups once their key leaves the ring.

use sea_orm::sea_query::{Cond, Expr, ExprTrait, IntoColumnRef};

/// A keyed hash (HMAC-SHA256, hex) and the id of its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedHash {
    /// The id of the key (`None` for what is not a keyed hash, such as a
    /// temporary password's argon2id string, and for rows of the release
    /// before).
    pub kid: Option<String>,
    /// The hash, hex.
    pub hash: String,
}

impl KeyedHash {
    /// A hash made with key `kid`.
    pub fn new(kid: impl Into<String>, hash: impl Into<String>) -> Self {
        Self {
            kid: Some(kid.into()),
            hash: hash.into(),
        }
    }
}

/// The condition matching a stored (`hash`, `kid`) pair against the forms
/// a typed secret has under each key of the ring: a row matches under its
/// own key only, or under any key when it names none.
pub(crate) fn matching<C: IntoColumnRef + Clone>(
    hash: C,
    kid: C,
    candidates: &[KeyedHash],
) -> Cond {
    let mut any = Cond::any();
    for c in candidates {
        let key = match &c.kid {
            Some(k) => Cond::any()
                .add(Expr::col(kid.clone()).eq(k.clone()))
                .add(Expr::col(kid.clone()).is_null()),
            None => Cond::all().add(Expr::col(kid.clone()).is_null()),
        };
        any = any.add(
            Cond::all()
                .add(Expr::col(hash.clone()).eq(c.hash.clone()))
                .add(key),
        );
    }
    // No candidate: nothing matches (an empty `any` would match all).
    if candidates.is_empty() {
        any = any.add(Expr::val(1).eq(0));
    }
    any
}
