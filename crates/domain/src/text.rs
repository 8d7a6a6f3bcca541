//! Control characters in stored text: which ones imports refuse, and how
//! output that may still meet them (from an older import, a manual SQL
//! fix...) renders them harmlessly, in XML 1.0 and on a terminal.

use std::borrow::Cow;

/// Whether `c` is a control character that no imported value may hold: C0
/// (U+0000–U+001F) except TAB, LF and CR, DEL (U+007F), and C1
/// (U+0080–U+009F).
pub fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}'
}

/// The first forbidden control character of `s` and its byte offset.
pub fn first_forbidden_control(s: &str) -> Option<(usize, char)> {
    s.char_indices().find(|(_, c)| is_forbidden_control(*c))
}

/// `s` with every character that XML 1.0 cannot carry, even escaped (C0
/// except TAB, LF and CR; U+FFFE and U+FFFF), and DEL and C1 as well,
/// replaced by U+FFFD, so that a response stays well-formed whatever was
/// stored.
pub fn xml10_safe(s: &str) -> Cow<'_, str> {
    let bad = |c: char| is_forbidden_control(c) || matches!(c, '\u{fffe}' | '\u{ffff}');
    if s.chars().any(bad) {
        Cow::Owned(
            s.chars()
                .map(|c| if bad(c) { '\u{fffd}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` ready for a terminal: every control character but LF and TAB (CR,
/// ESC, other C0, DEL, C1) written as `\u{1b}`, so that stored text cannot
/// move the cursor, rewrite a line or send escape sequences.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && !matches!(c, '\n' | '\t');
    if s.chars().any(bad) {
        let mut out = String::with_capacity(s.len() + 8);
        for c in s.chars() {
            if bad(c) {
                out.extend(c.escape_unicode());
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // REST-05: the characters refused, replaced and escaped.
    #[test]
    fn control_characters_are_classified_replaced_and_escaped() {
        for (c, forbidden) in [
            ('\u{1b}', true),
            ('\u{0}', true),
            ('\u{7f}', true),
            ('\u{85}', true),
            ('\u{9f}', true),
            ('\t', false),
            ('\n', false),
            ('\r', false),
            ('é', false),
            ('\u{a0}', false),
            ('€', false),
        ] {
            assert_eq!(is_forbidden_control(c), forbidden, "{c:?}");
        }
        assert_eq!(first_forbidden_control("ab\u{1b}c"), Some((2, '\u{1b}')));
        assert_eq!(first_forbidden_control("Chloé\tX\n"), None);
        assert_eq!(
            xml10_safe("a\u{1b}b\u{85}\u{ffff}"),
            "a\u{fffd}b\u{fffd}\u{fffd}"
        );
        assert!(matches!(xml10_safe("Noé\n"), Cow::Borrowed(_)));
        assert_eq!(
            terminal_safe("a\u{1b}[2Jb\r\u{7f}"),
            "a\\u{1b}[2Jb\\u{d}\\u{7f}"
        );
        assert_eq!(terminal_safe("a\tb\nc"), "a\tb\nc");
    }
}
