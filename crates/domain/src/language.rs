//! The languages Sésame speaks: French by default, English. The pages
//! negotiate theirs per request (`sesame-web`'s `i18n`); an account keeps
//! one (`accounts.language`) for its mails.

/// A language of the pages and mails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// French, the default: the language of the letters, of the school's
    /// mails, and of any account without a stored language.
    #[default]
    Fr,
    /// English.
    En,
}

impl Language {
    /// Every language, the default first.
    pub const ALL: [Language; 2] = [Language::Fr, Language::En];

    /// Its tag (BCP 47 primary subtag), as stored and as `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
        }
    }

    /// The language of a stored value: French for none or for a tag this
    /// version does not know (a newer release's language).
    pub fn from_db(v: Option<&str>) -> Language {
        v.and_then(Language::from_code).unwrap_or_default()
    }

    /// The language of an exact tag (`fr`, `en`); `None` for another.
    pub fn from_code(v: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_read_back_and_unknown_ones_are_french() {
        let cases = [
            (None, Language::Fr),
            (Some("fr"), Language::Fr),
            (Some("en"), Language::En),
            (Some("de"), Language::Fr),
            (Some("EN"), Language::Fr),
            (Some(""), Language::Fr),
        ];
        for (stored, expected) in cases {
            assert_eq!(Language::from_db(stored), expected, "{stored:?}");
        }
        for l in Language::ALL {
            assert_eq!(Language::from_db(Some(l.code())), l);
        }
    }
}
