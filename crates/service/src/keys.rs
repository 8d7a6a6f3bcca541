//! The server's keyed hashes. One key per purpose (SECURITY.md §1.3).

use hmac::{Hmac, KeyInit, Mac};
use sesame_domain::ActivationCode;
use sha2::Sha256;

/// Keys derived from the configuration's secrets.
#[derive(Clone)]
pub struct Keys {
    code_hmac: Vec<u8>,
    token_hmac: Vec<u8>,
    /// Derived once: the key of the forms' CSRF tokens.
    csrf: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(********)")
    }
}

fn hex(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(H[usize::from(b >> 4)] as char);
        s.push(H[usize::from(b & 15)] as char);
    }
    s
}

fn hmac_hex(key: &[u8], data: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(data);
    hex(&mac.finalize().into_bytes())
}

impl Keys {
    /// Keys from raw secrets.
    pub fn new(code_hmac: &[u8], token_hmac: &[u8]) -> Self {
        let mut keys = Self {
            code_hmac: code_hmac.to_vec(),
            token_hmac: token_hmac.to_vec(),
            csrf: [0; 32],
        };
        keys.csrf = keys.derived("csrf");
        keys
    }

    /// HMAC-SHA256 of an activation code, hex: the only form stored.
    pub fn code_hmac(&self, code: &ActivationCode) -> String {
        hmac_hex(&self.code_hmac, code.canonical().as_bytes())
    }

    /// A 256-bit key derived for one purpose (e.g. encrypting the OpenID
    /// Connect signing keys at rest): HMAC-SHA256 of a label under the
    /// token key, so that each use has its own key.
    pub fn derived(&self, label: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.token_hmac)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"sesame:derived:");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// HMAC-SHA256 of a token (confirmation link, unlock link...), hex.
    pub fn token_hmac(&self, token: &str) -> String {
        hmac_hex(&self.token_hmac, token.as_bytes())
    }

    /// A pseudonym for logs and audit events: a keyed hash of `s` (an
    /// identifiant, an address), short but stable for one key.
    pub fn pseudonym(&self, s: &str) -> String {
        self.token_hmac(&format!("pseudonym:{s}"))[..16].to_owned()
    }

    /// HMAC-SHA256 of a form's CSRF token fields, under the key derived for
    /// CSRF tokens only (so that no other MAC of the server passes as one).
    pub fn csrf_mac(&self, fields: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.csrf)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        for f in fields {
            // Each field length-prefixed: no two field lists give one input.
            mac.update(&u64::try_from(f.len()).unwrap_or(u64::MAX).to_be_bytes());
            mac.update(f);
        }
        mac.finalize().into_bytes().into()
    }
}
