//! Identifiants: the login names people choose or are given, and email
//! addresses. Parsed once at the edge (parse, don't validate).

use std::fmt;

/// An identifiant in canonical form: trimmed, 3 to 64 ASCII letters, digits,
/// `.`, `-` or `_`, in lower case. Other characters make it invalid
/// (AUTH-11: homoglyphs never name a distinct account).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identifiant(String);

/// Why text is not an identifiant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentifiantError {
    /// Fewer than 3 or more than 64 characters.
    #[error("L'identifiant doit compter de 3 à 64 caractères.")]
    Length,
    /// A character other than ASCII letters, digits, `.`, `-`, `_`.
    #[error(
        "L'identifiant ne peut contenir que des lettres sans accent, des chiffres et les caractères . - _"
    )]
    Character,
}

impl Identifiant {
    /// Parses typed text: surrounding spaces are ignored, case folded.
    pub fn parse(input: &str) -> Result<Self, IdentifiantError> {
        let t = input.trim();
        if !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err(IdentifiantError::Character);
        }
        if !(3..=64).contains(&t.len()) {
            return Err(IdentifiantError::Length);
        }
        Ok(Self(t.to_ascii_lowercase()))
    }

    /// The canonical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Identifiant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Identifiant> for String {
    fn from(i: Identifiant) -> String {
        i.0
    }
}

/// The longest base [`federated_base`] gives: room is left for a suffix
/// (`2`, `3`, … up to 4 digits) within the 64 characters of an identifiant.
pub const FEDERATED_BASE_MAX: usize = 60;

/// The identifiant an upstream provider's name suggests (its
/// `preferred_username`, or "first.last"): accents removed, case folded,
/// every character an identifiant cannot hold (spaces, `@`, `'`…) read as
/// a `.`, dots collapsed and trimmed, at most [`FEDERATED_BASE_MAX`]
/// characters; `fallback` when too little is left (fewer than 3).
pub fn federated_base(suggested: &str, fallback: &str) -> Identifiant {
    fn fold(s: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        use unicode_normalization::char::is_combining_mark;
        let mut out = String::new();
        for c in s.nfkd().filter(|c| !is_combining_mark(*c)) {
            let c = match c {
                'œ' | 'Œ' => {
                    out.push_str("oe");
                    continue;
                }
                'æ' | 'Æ' => {
                    out.push_str("ae");
                    continue;
                }
                'ß' => {
                    out.push_str("ss");
                    continue;
                }
                c if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') => c.to_ascii_lowercase(),
                _ => '.',
            };
            if !(c == '.' && (out.is_empty() || out.ends_with('.'))) {
                out.push(c);
            }
        }
        let mut out: String = out
            .trim_matches('.')
            .chars()
            .take(FEDERATED_BASE_MAX)
            .collect();
        while out.ends_with('.') {
            out.pop();
        }
        out
    }
    [fold(suggested), fold(fallback)]
        .into_iter()
        .find_map(|s| Identifiant::parse(&s).ok())
        .unwrap_or_else(|| Identifiant("compte".to_owned()))
}

/// The `n`-th identifiant of `base` (`n` ≥ 2): `thomas.u2`, `thomas.u3`…;
/// `n` ≤ 1 is the base itself.
pub fn numbered(base: &Identifiant, n: u32) -> Identifiant {
    if n <= 1 {
        base.clone()
    } else {
        Identifiant(format!("{}{n}", base.0))
    }
}

/// An email address as Sésame accepts it: one `@`, a dotted domain, at most
/// 254 bytes, no space, control character or `<>,;"` (which would let an
/// address smuggle a second recipient or header). Held trimmed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why text is not an email address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("L'adresse électronique n'est pas valide.")]
pub struct EmailError;

impl Email {
    /// Parses typed text; surrounding spaces are ignored.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        let Some((local, domain)) = s.split_once('@') else {
            return Err(EmailError);
        };
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && s.len() <= 254
            && !s.contains(|c: char| {
                c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(EmailError)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@` (a context word for the password policy).
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or(&self.0, |(l, _)| l)
    }
}

/// Personal data: `Debug` does not show the address.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn federated_bases_are_identifiants() {
        let cases: &[(&str, &str, &str)] = &[
            ("thomas.u", "x", "thomas.u"),
            ("Thomas.U", "x", "thomas.u"),
            ("Chloé Dupont-Lefèvre", "x", "chloe.dupont-lefevre"),
            ("jean@ac-test.fr", "x", "jean.ac-test.fr"),
            ("..a..b..", "x", "a.b"),
            ("Œdipe", "x", "oedipe"),
            ("é", "marie.curie", "marie.curie"),
            ("", "", "compte"),
            ("李", "李", "compte"),
        ];
        for (input, fallback, expected) in cases {
            assert_eq!(
                federated_base(input, fallback).as_str(),
                *expected,
                "{input:?}"
            );
        }
        let long = federated_base(&"a".repeat(100), "x");
        assert_eq!(long.as_str().len(), FEDERATED_BASE_MAX);
        assert_eq!(numbered(&long, 9999).as_str().len(), 64);
        assert!(Identifiant::parse(numbered(&long, 9999).as_str()).is_ok());
        let b = federated_base("thomas.u", "x");
        assert_eq!(numbered(&b, 1).as_str(), "thomas.u");
        assert_eq!(numbered(&b, 2).as_str(), "thomas.u2");
    }

    #[test]
    fn identifiants_are_canonical_ascii() {
        use IdentifiantError::*;
        let cases: &[(&str, Result<&str, IdentifiantError>)] = &[
            ("camille.martin", Ok("camille.martin")),
            ("  Camille.Martin ", Ok("camille.martin")),
            ("ABC", Ok("abc")),
            ("a_b-c.9", Ok("a_b-c.9")),
            ("ab", Err(Length)),
            ("", Err(Length)),
            ("   ", Err(Length)),
            (&"a".repeat(64), Ok(&"a".repeat(64))),
            (&"a".repeat(65), Err(Length)),
            ("camille martin", Err(Character)),
            ("élève", Err(Character)),
            ("саmille", Err(Character)), // Cyrillic « а »
            ("camille@martin", Err(Character)),
            ("camille/..", Err(Character)),
            ("camille\u{0}", Err(Character)),
            ("o'neil", Err(Character)),
        ];
        for (input, expected) in cases {
            let got = Identifiant::parse(input);
            assert_eq!(
                got.as_ref().map(Identifiant::as_str).map_err(|e| *e),
                expected.clone(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn email_addresses_are_parsed_strictly() {
        let cases: &[(&str, bool)] = &[
            ("parent@example.fr", true),
            ("  parent@example.fr  ", true),
            ("prenom.nom+sesame@ac-exemple.fr", true),
            ("a@b.c", true),
            ("parent@example", false),
            ("parent@.example.fr", false),
            ("parent@example.fr.", false),
            ("@example.fr", false),
            ("parent.example.fr", false),
            ("", false),
            ("pa rent@example.fr", false),
            ("parent@example.fr,autre@example.fr", false),
            ("parent@example.fr;x", false),
            ("<parent@example.fr>", false),
            ("\"p\"@example.fr", false),
            ("parent@exa\nmple.fr", false),
        ];
        for (input, ok) in cases {
            assert_eq!(Email::parse(input).is_ok(), *ok, "{input:?}");
        }
        let long = format!("{}@example.fr", "a".repeat(244));
        assert!(Email::parse(&long).is_err());
        let e = Email::parse(" Parent@Example.fr ").expect("valid");
        assert_eq!(e.as_str(), "Parent@Example.fr");
        assert_eq!(e.local_part(), "Parent");
        assert_eq!(format!("{e:?}"), "Email(…)");
    }
}
