//! The UAI (Unité Administrative Immatriculée), the national identifier of a
//! school: seven characters and a check letter, e.g. `0350001A`.

use std::fmt;

/// Letters used for the check character (no I, O or Q).
const CHECK_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

/// Why text is not a UAI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UaiError {
    /// Not seven digits followed by a letter.
    #[error("« {0} » n'est pas un UAI : il faut 7 chiffres suivis d'une lettre (ex. 0350001A)")]
    Shape(String),
    /// The check letter does not match the digits.
    #[error("« {0} » n'est pas un UAI valide : la lettre de contrôle ne correspond pas")]
    CheckLetter(String),
}

/// A school's UAI, upper-case, with a valid check letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uai(String);

impl Uai {
    /// Parses a UAI, forgiving surrounding spaces and case.
    pub fn parse(input: &str) -> Result<Self, UaiError> {
        let s = input.trim().to_ascii_uppercase();
        let bytes = s.as_bytes();
        if bytes.len() != 8
            || !bytes[..7].iter().all(u8::is_ascii_digit)
            || !bytes[7].is_ascii_uppercase()
        {
            return Err(UaiError::Shape(input.trim().to_owned()));
        }
        if bytes[7] != Self::check_letter(&s[..7]) {
            return Err(UaiError::CheckLetter(s));
        }
        Ok(Self(s))
    }

    /// Builds a UAI from its seven digits, adding the check letter.
    pub fn from_digits(digits: u32) -> Self {
        let d = format!("{:07}", digits % 10_000_000);
        let letter = Self::check_letter(&d) as char;
        Self(format!("{d}{letter}"))
    }

    fn check_letter(digits: &str) -> u8 {
        let n: u64 = digits.parse().unwrap_or(0);
        CHECK_LETTERS[(n % 23) as usize]
    }

    /// The UAI as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_uais_parse() {
        assert_eq!(Uai::parse("0999001W").map(|u| u.0), Ok("0999001W".into()));
        assert_eq!(Uai::parse(" 0999001w ").map(|u| u.0), Ok("0999001W".into()));
        assert_eq!(Uai::from_digits(999001).as_str(), "0999001W");
    }

    #[test]
    fn invalid_uais_are_refused() {
        assert!(matches!(
            Uai::parse("0999001X"),
            Err(UaiError::CheckLetter(_))
        ));
        assert!(matches!(Uai::parse("999001W"), Err(UaiError::Shape(_))));
        assert!(matches!(Uai::parse("09990O1W"), Err(UaiError::Shape(_))));
    }
}
