//! Activation codes: the secrets printed on the paper letters that let a
//! guardian (Code Activation Responsable) or a pupil (Code Activation Élève)
//! create an account.
//!
//! A code is 13 Crockford base32 characters (65 bits) from a CSPRNG, printed
//! `XXXX-XXXX-XXXXX`, and typed tolerantly: case, spaces and dashes are
//! ignored, `O` reads as `0`, `I` and `L` read as `1` (SECURITY.md §1.3).

use rand::{CryptoRng, Rng};
use std::fmt;

/// Crockford's base32 alphabet: digits and letters without I, L, O and U.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Number of characters in a code.
pub const CODE_LEN: usize = 13;

/// Which kind of code this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeKind {
    /// Code Activation Responsable: one per (legal guardian, pupil) pair.
    Responsable,
    /// Code Activation Élève: one per pupil.
    Eleve,
}

impl CodeKind {
    /// The short name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeKind::Responsable => "car",
            CodeKind::Eleve => "cae",
        }
    }

    /// Reads the short name stored in the database.
    pub fn from_db(s: &str) -> Option<Self> {
        match s {
            "car" => Some(CodeKind::Responsable),
            "cae" => Some(CodeKind::Eleve),
            _ => None,
        }
    }
}

/// Why typed text is not an activation code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The code has the wrong number of characters.
    #[error("un code d'activation compte 13 caractères")]
    Length,
    /// The code holds a character outside the alphabet.
    #[error("un code d'activation ne contient que des chiffres et des lettres")]
    Character,
}

/// A well-formed activation code, held in canonical form (13 upper-case
/// Crockford characters). It is a secret: its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ActivationCode(String);

impl fmt::Debug for ActivationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ActivationCode(***)")
    }
}

impl ActivationCode {
    /// Draws a new code from a cryptographically secure generator.
    pub fn generate<R: Rng + CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; CODE_LEN];
        rng.fill_bytes(&mut bytes);
        // Security: 32 divides 256, so keeping 5 bits of each byte is uniform.
        let code = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(b & 0x1f)] as char)
            .collect();
        Self(code)
    }

    /// Reads a code as a person typed it, forgiving case, spaces, dashes and
    /// the look-alike letters O, I and L.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let mut out = String::with_capacity(CODE_LEN);
        for c in input.chars() {
            let c = match c.to_ascii_uppercase() {
                ' ' | '-' | '\u{a0}' | '\t' | '.' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return Err(CodeError::Character);
            }
            if out.len() == CODE_LEN {
                return Err(CodeError::Length);
            }
            out.push(c);
        }
        if out.len() != CODE_LEN {
            return Err(CodeError::Length);
        }
        Ok(Self(out))
    }

    /// The canonical form, the input of the keyed hash.
    pub fn canonical(&self) -> &str {
        &self.0
    }

    /// The printed form, in groups: `XXXX-XXXX-XXXXX`.
    pub fn display(&self) -> String {
        format!("{}-{}-{}", &self.0[..4], &self.0[4..8], &self.0[8..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_use_the_alphabet_and_length() {
        let mut rng = rand::rng();
        for _ in 0..1000 {
            let code = ActivationCode::generate(&mut rng);
            assert_eq!(code.canonical().len(), CODE_LEN);
            assert!(code.canonical().bytes().all(|b| ALPHABET.contains(&b)));
            assert_eq!(ActivationCode::parse(&code.display()).as_ref(), Ok(&code));
        }
    }

    #[test]
    fn typing_is_forgiven() {
        let code = ActivationCode::parse("AB1C-D0EF-GHJKM").expect("valid");
        for typed in [
            "ab1c-d0ef-ghjkm",
            "AB1C D0EF GHJKM",
            "abic-doef-ghjkm",
            "ABLC-DOEF-GHJKM",
            " ab1cd0efghjkm ",
        ] {
            assert_eq!(ActivationCode::parse(typed), Ok(code.clone()), "{typed}");
        }
    }

    #[test]
    fn bad_input_is_refused() {
        assert_eq!(ActivationCode::parse("AB1C-D0EF"), Err(CodeError::Length));
        assert_eq!(
            ActivationCode::parse("AB1C-D0EF-GHJKMN"),
            Err(CodeError::Length)
        );
        assert_eq!(
            ActivationCode::parse("AB1C-D0EF-GHJKU"),
            Err(CodeError::Character)
        );
        assert_eq!(
            ActivationCode::parse("AB1C-D0EF-GHJKé"),
            Err(CodeError::Character)
        );
        assert_eq!(ActivationCode::parse(""), Err(CodeError::Length));
    }

    #[test]
    fn debug_does_not_show_the_secret() {
        let code = ActivationCode::parse("AB1C-D0EF-GHJKM").expect("valid");
        assert!(!format!("{code:?}").contains("AB1C"));
    }
}
