//! French mobile numbers, as SIECLE's `TEL_PORTABLE` and parents type them,
//! normalised to E.164 (ITU-T E.164 §6: `+`, country code, national
//! significant number). Only metropolitan mobile ranges are accepted
//! (ARCEP plan: `06` and `07`); any other text is refused, so that a
//! landline or a foreign number never receives a one-time code.

/// A French mobile number in E.164 form (`+33612345678`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mobile(String);

impl Mobile {
    /// Parses `06…`, `07…`, `+33 6…`, `+33 7…`, `0033 6…`, `0033 7…`,
    /// with spaces, dots, dashes or a `(0)` after the country code.
    pub fn parse(s: &str) -> Option<Self> {
        let mut cleaned = String::with_capacity(s.len());
        for c in s.trim().chars() {
            match c {
                ' ' | '.' | '-' | '\u{a0}' | '\u{202f}' | '\t' => {}
                '+' if cleaned.is_empty() => cleaned.push('+'),
                '0'..='9' => cleaned.push(c),
                '(' | ')' => cleaned.push(c),
                _ => return None,
            }
        }
        let cleaned = cleaned
            .replacen("+33(0)", "+33", 1)
            .replacen("0033(0)", "0033", 1);
        if cleaned.contains(['(', ')']) {
            return None;
        }
        let national = if let Some(rest) = cleaned.strip_prefix("+33") {
            rest
        } else if let Some(rest) = cleaned.strip_prefix("0033") {
            rest
        } else {
            cleaned.strip_prefix('0')?
        };
        let ok = national.len() == 9
            && national.bytes().all(|b| b.is_ascii_digit())
            && matches!(national.as_bytes()[0], b'6' | b'7');
        ok.then(|| Self(format!("+33{national}")))
    }

    /// The E.164 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as shown to its holder, middle digits hidden
    /// (`06 •• •• •• 78`).
    pub fn masked(&self) -> String {
        let n = &self.0[3..];
        format!("0{} •• •• •• {}", &n[..1], &n[7..])
    }
}

impl std::fmt::Display for Mobile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Mobile> for String {
    fn from(m: Mobile) -> Self {
        m.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_mobile_numbers_are_normalised_to_e164() {
        let cases: &[(&str, Option<&str>)] = &[
            ("0612345678", Some("+33612345678")),
            ("0712345678", Some("+33712345678")),
            ("06 12 34 56 78", Some("+33612345678")),
            ("06.12.34.56.78", Some("+33612345678")),
            ("06-12-34-56-78", Some("+33612345678")),
            (" 07 12 34 56 78 ", Some("+33712345678")),
            ("+33612345678", Some("+33612345678")),
            ("+33 6 12 34 56 78", Some("+33612345678")),
            ("+33 (0)6 12 34 56 78", Some("+33612345678")),
            ("0033612345678", Some("+33612345678")),
            ("0033 7 12 34 56 78", Some("+33712345678")),
            ("+33639980101", Some("+33639980101")),
            ("06\u{a0}12\u{a0}34\u{a0}56\u{a0}78", Some("+33612345678")),
            // Landlines, special and foreign numbers, wrong lengths.
            ("0212345678", None),
            ("0112345678", None),
            ("0812345678", None),
            ("+33212345678", None),
            ("+32612345678", None),
            ("+4479460000000", None),
            ("061234567", None),
            ("06123456789", None),
            ("612345678", None),
            ("+336123456789", None),
            ("06 12 34 56 7a", None),
            ("06/12/34/56/78", None),
            ("+ 33 6 12 34 56 78 +", None),
            ("06 12 34 56 78 (0)", None),
            ("(06) 12 34 56 78", None),
            ("", None),
            ("   ", None),
            ("+", None),
            ("0033", None),
            ("٠٦١٢٣٤٥٦٧٨", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                Mobile::parse(input).as_ref().map(Mobile::as_str),
                *want,
                "{input:?}"
            );
        }
    }

    #[test]
    fn a_masked_number_shows_its_first_and_last_digits_only() {
        let m = Mobile::parse("06 12 34 56 78").expect("mobile");
        assert_eq!(m.masked(), "06 •• •• •• 78");
    }
}
