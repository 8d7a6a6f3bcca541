//! The guessability estimate (REST-04, SECURITY.md §1.1): zxcvbn's frequency
//! lists (common passwords, English words, first names and surnames, keyboard
//! walks, repeats, sequences, dates, l33t), extended with a shipped list of
//! French words, the site's words (académie…) and the person's own words
//! (identifiant, e-mail local part, children's first names, birth dates,
//! school names). It comes on top of the seed's rule and the blocklist: the
//! class rule alone rates `soleil12` or `Bonjour1` as good enough.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use zxcvbn::matching::patterns::MatchPattern;

/// Fewest guesses, as a power of ten, that a new password must need
/// (10^7.5, about 32 million). Any 8 random characters of three classes
/// (`Kq7mWz4p`, `kq7mwz4!`) are rated 10^8; a common word with a year and a
/// symbol (`Loulou2012!`, `Papillon2026x`) 10^7 to 10^7.4, the audit's other
/// weak passwords (`soleil12`, `toulouse31`…) below 10^5.
pub const MIN_GUESSES_LOG10: f64 = 7.5;

/// Words shorter than this are not fed to the estimate: two letters match
/// inside most random passwords and would only add noise.
const MIN_WORD_CHARS: usize = 3;

const FRENCH_WORDS: &str = include_str!("../../data/french-words.txt");

/// What the estimate says of a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Needs enough guesses.
    Strong,
    /// Guessable, and one of the person's own words is part of the guess.
    Personal,
    /// Guessable from common words, names, patterns.
    Common,
}

/// Lower case without diacritics: the form of every dictionary word, and of
/// the password given to the estimate (`Céline` is guessed like `celine`).
fn plain(s: &str) -> String {
    s.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

/// A word and its parts of [`MIN_WORD_CHARS`] characters or more
/// (`Collège Jean-Moulin` also gives `college`, `jean`, `moulin`).
fn with_parts(word: &str) -> impl Iterator<Item = String> + '_ {
    let whole = plain(word).to_lowercase();
    let parts: Vec<String> = whole
        .split(|c: char| !c.is_alphanumeric())
        .filter(|p| p.chars().count() >= MIN_WORD_CHARS)
        .map(str::to_owned)
        .collect();
    std::iter::once(whole.chars().filter(|c| c.is_alphanumeric()).collect())
        .chain(parts)
        .filter(|w: &String| w.chars().count() >= MIN_WORD_CHARS)
}

/// The site-wide dictionary: the site's words first (most likely), then
/// the shipped French list, in its order of frequency.
pub(super) fn dictionary(site_words: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let french = FRENCH_WORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned);
    for w in site_words.iter().flat_map(|w| with_parts(w)).chain(french) {
        if w.chars().count() >= MIN_WORD_CHARS && !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// Estimates a password; `context` holds the person's words, `dictionary`
/// the site's (from [`dictionary`]).
pub(super) fn estimate(password: &str, context: &[String], dictionary: &[String]) -> Verdict {
    let personal: Vec<String> = context.iter().flat_map(|w| with_parts(w)).collect();
    // The person's words rank first: they are the first an attacker tries.
    let inputs: Vec<&str> = personal
        .iter()
        .chain(dictionary)
        .map(String::as_str)
        .collect();
    let e = zxcvbn::zxcvbn(&plain(password), &inputs);
    if e.guesses_log10() >= MIN_GUESSES_LOG10 {
        return Verdict::Strong;
    }
    let uses_personal = e.sequence().iter().any(
        |m| matches!(&m.pattern, MatchPattern::Dictionary(d) if personal.contains(&d.matched_word)),
    );
    if uses_personal {
        Verdict::Personal
    } else {
        Verdict::Common
    }
}

#[cfg(test)]
mod tests {
    use super::super::{PasswordProblem, Policy};

    const WEAK: &str = include_str!("../../data/weak-passwords.txt");

    fn weak() -> impl Iterator<Item = &'static str> {
        WEAK.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
    }

    // REST-04: every weak password of the audit is refused, by both
    // policies, with a plain French reason.
    #[test]
    fn the_audit_weak_passwords_are_all_refused() {
        assert!(weak().count() >= 62, "the audit lists 62");
        for policy in [Policy::new(8, ""), Policy::new(8, "").cnil()] {
            for pw in weak() {
                let Err(p) = policy.check(pw, &[]) else {
                    panic!("{pw} accepted");
                };
                assert!(
                    p.to_string().contains("trop courant")
                        || p.to_string().contains("trop faible")
                        || p.to_string().contains("lettres ET des chiffres"),
                    "{pw}: {p}"
                );
            }
        }
    }

    // REST-04 with AUTH-01: the estimate keeps the catalogue's acceptances,
    // and the passwords the black-box tests choose.
    #[test]
    fn strong_passwords_stay_accepted() {
        let cnil = Policy::new(8, "").cnil();
        for ok in ["Kq7mWz4p", "qzmtrwpkvbn", "4829103746592038", "kq7mwz4!"] {
            assert_eq!(cnil.check(ok, &[]), Ok(()), "{ok}");
        }
        let seed = Policy::new(8, "");
        for ok in [
            "Kq7mWz4p",
            "kq7mwz4!",
            "Hirondelle7",
            "Hibou-Quartz-73",
            "Tournesol42",
        ] {
            assert_eq!(seed.check(ok, &[]), Ok(()), "{ok}");
        }
    }

    // REST-04, AUTH-03: the site's and the person's words count as known.
    #[test]
    fn site_and_personal_words_are_guessed_first() {
        let p = Policy::new(8, "").with_site_words(&["Académie de Bretagne-Sud".into()]);
        assert_eq!(
            p.check("Bretagnesud1", &[]),
            Err(PasswordProblem::Guessable)
        );
        let ctx = vec![
            "Collège Les Hirondelles".to_owned(),
            "Ysaline".to_owned(),
            "2014".to_owned(),
        ];
        // Reversed, or with letters for digits: not contained, still guessed.
        assert_eq!(p.check("Enilasy73", &ctx), Err(PasswordProblem::Personal));
        assert_eq!(
            p.check("Hir0ndelles1", &ctx),
            Err(PasswordProblem::Personal)
        );
        assert_eq!(p.check("Hir0ndelles1", &[]), Ok(()));
    }
}
