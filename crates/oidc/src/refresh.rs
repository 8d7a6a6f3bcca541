//! The shape of a refresh token (RFC 6749 §6, RFC 9700 §4.14.2): opaque
//! to the client, `FAMILY.ROTATION.SECRET` to Sésame. The family id and
//! rotation number let the one row a family keeps tell an older token of
//! the family (a reuse: the family is revoked) from a forged one; the
//! secret makes it unguessable. Only a keyed hash of the whole token is
//! stored.

/// What a refresh token says of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshToken<'a> {
    /// The family's id.
    pub family: &'a str,
    /// Its rotation number: 0 for the token of the code exchange.
    pub rotation: i64,
}

impl<'a> RefreshToken<'a> {
    /// A token of `family` at `rotation`, with `secret` (a fresh random
    /// token).
    pub fn format(family: &str, rotation: i64, secret: &str) -> String {
        format!("{family}.{rotation}.{secret}")
    }

    /// The family and rotation a token names; `None` for a token of the
    /// release before (a bare secret) or anything malformed.
    pub fn parse(token: &'a str) -> Option<Self> {
        let mut parts = token.split('.');
        let (Some(family), Some(rotation), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !ok(family) || !ok(secret) || rotation.len() > 18 {
            return None;
        }
        if !rotation.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let rotation = rotation.parse().ok()?;
        Some(Self { family, rotation })
    }
}

#[cfg(test)]
mod tests {
    use super::RefreshToken;

    #[test]
    fn refresh_token_shape() {
        let table: &[(&str, Option<(&str, i64)>)] = &[
            ("fam.0.secret", Some(("fam", 0))),
            ("Ab-_9.42.x-Y_z", Some(("Ab-_9", 42))),
            (
                "fam.999999999999999999.s",
                Some(("fam", 999_999_999_999_999_999)),
            ),
            // The release before: a bare secret.
            ("dGhpcyBpcyBhIHRva2Vu", None),
            ("", None),
            ("fam.0", None),
            ("fam.0.secret.more", None),
            (".0.secret", None),
            ("fam..secret", None),
            ("fam.0.", None),
            ("fam.-1.secret", None),
            ("fam.+1.secret", None),
            ("fam.1e3.secret", None),
            ("fam.9999999999999999999.secret", None),
            ("fa m.0.secret", None),
            ("fam.0.sec/ret", None),
            ("fam.0.sécret", None),
        ];
        for (token, expected) in table {
            let got = RefreshToken::parse(token).map(|t| (t.family, t.rotation));
            assert_eq!(got, *expected, "{token:?}");
        }
        let t = RefreshToken::format("fam", 7, "secret");
        assert_eq!(
            RefreshToken::parse(&t),
            Some(RefreshToken {
                family: "fam",
                rotation: 7
            })
        );
    }
}
