//! Comparison of first names typed by a person with those of the school data.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Normalises a first name for comparison (SIECLE FORMAT.md §6.3): NFKD,
/// combining marks removed, ligatures spelt out, case folded, `-`, `'` and
/// `’` read as spaces, spaces collapsed and trimmed. "JEAN-BAPTISTE" and
/// "jean baptiste" are then equal, and so are "chloe" and "Chloé".
pub fn normalize_first_name(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        let piece: &str = match c {
            'œ' | 'Œ' => "oe",
            'æ' | 'Æ' => "ae",
            'ß' => "ss",
            '-' | '\'' | '’' | '‘' | '‐' | '‑' | '–' => " ",
            _ => "",
        };
        let mut push = |c: char| {
            if c.is_whitespace() {
                pending_space = !out.is_empty();
            } else {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.extend(c.to_lowercase());
            }
        };
        if piece.is_empty() {
            push(c);
        } else {
            piece.chars().for_each(&mut push);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize_first_name as n;

    #[test]
    fn accents_case_and_separators_are_ignored() {
        assert_eq!(n("Chloé"), "chloe");
        assert_eq!(n("CHLOE"), "chloe");
        assert_eq!(n("Jean-Baptiste"), "jean baptiste");
        assert_eq!(n("  jean   baptiste "), "jean baptiste");
        assert_eq!(n("JEAN-BAPTISTE"), n("jean baptiste"));
        assert_eq!(n("Zoé"), n("ZOE"));
        assert_eq!(n("Noé"), "noe");
        assert_eq!(n("Œdipe"), "oedipe");
        assert_eq!(n("D’Artagnan"), "d artagnan");
        assert_eq!(n("Chloe\u{301}"), "chloe");
    }

    #[test]
    fn different_names_stay_different() {
        assert_ne!(n("Léa"), n("Léo"));
        assert_ne!(n("Jean"), n("Jean-Baptiste"));
    }
}
