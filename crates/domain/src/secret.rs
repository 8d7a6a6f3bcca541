//! Secret tokens (session cookies, links in mails, tickets' random part),
//! drawn from a caller-given cryptographic RNG so that tests can pass a
//! seeded one.

use base64::Engine;
use rand::{CryptoRng, Rng};

/// A new secret token: 32 random bytes (256 bits), base64url without
/// padding (43 characters).
pub fn new_token<R: Rng + CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new temporary password: `XXXX-XXXX-XXXX-XXXX`, 80 random bits.
pub fn new_temporary<R: Rng + CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; 10];
    rng.fill_bytes(&mut bytes);
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let chars: Vec<char> = (0..16)
        .map(|i| crate::code::ALPHABET[((bits >> (75 - 5 * i)) & 31) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The canonical form of a typed password when it has the shape of a
/// temporary one (case and spaces do not matter), else `None`.
pub fn as_temporary(typed: &str) -> Option<String> {
    let t: String = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let ok = t.len() == 19
        && t.bytes().enumerate().all(|(i, b)| {
            if i % 5 == 4 {
                b == b'-'
            } else {
                crate::code::ALPHABET.contains(&b)
            }
        });
    ok.then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let mut rng = rand::rng();
        let a = new_token(&mut rng);
        let b = new_token(&mut rng);
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
    }

    #[test]
    fn temporary_passwords_have_80_random_bits_in_a_recognisable_shape() {
        let a = new_temporary(&mut rand::rng());
        let b = new_temporary(&mut rand::rng());
        assert_ne!(a, b);
        assert_eq!(a.len(), 19);
        assert_eq!(as_temporary("Kq7mWz4p"), None);
        assert_eq!(
            as_temporary("ABCD-EFGH-IJKL-MNOP"),
            None,
            "I, L, O are not Crockford"
        );
    }

    #[test]
    fn temporary_passwords_are_read_back_whatever_the_case_and_spaces() {
        let t = new_temporary(&mut rand::rng());
        assert_eq!(as_temporary(&t), Some(t.clone()));
        assert_eq!(as_temporary(&t.to_lowercase()), Some(t.clone()));
        assert_eq!(
            as_temporary(&format!(" {} ", t.replace('-', " - "))),
            Some(t.clone())
        );
        let cases: &[(&str, Option<&str>)] = &[
            ("ABCD-EFGH-JKMN-PQRS", Some("ABCD-EFGH-JKMN-PQRS")),
            ("abcd-efgh-jkmn-pqrs", Some("ABCD-EFGH-JKMN-PQRS")),
            ("ABCD EFGH-JKMN-PQRS", None),
            ("ABCD-EFGH-JKMN-PQR", None),
            ("ABCD-EFGH-JKMN-PQRST", None),
            ("ABCDEFGHJKMNPQRS", None),
            ("ABCD-EFGH-JKMN-PQRU", None),
            ("ABCD-EFGH-JKMN-PQRI", None),
            ("Hibou-Quartz-73", None),
            ("", None),
        ];
        for (typed, expected) in cases {
            assert_eq!(as_temporary(typed).as_deref(), *expected, "{typed:?}");
        }
    }
}
