//! The server's keyed hashes. One key per purpose (SECURITY.md §1.3), each
//! with the keys it replaced (rotation, issue 18 §3): what is written uses
//! the current key; what is looked up or verified is tried under the
//! current key, then under each previous one, until the operator drops
//! them (at once, when a key may have leaked).
//!
//! - `code_hmac_key`: activation codes at rest (written under the current
//!   key with its id; a row matches only under the key it names, or under
//!   any key of the ring when it names none: rows of the release before).
//! - `token_hmac_key`: tokens at rest in the database (confirmation, unlock
//!   and address links, stored like the codes) and the encryption of the
//!   signing keys (each blob names its key id).
//! - `cookie_key`: the MAC of the forms' CSRF tokens (each names its key
//!   id).
//!
//! Identifiers that must never change (OIDC subjects and `sid`s, audit
//! pseudonyms, the lookup keys of the shared store, which holds only
//! hashes of 256-bit random tokens) use the *stable* key: `subject_key`
//! when set, else the oldest `token_hmac_key` of the ring, so that a
//! rotation changes none of them.

use hmac::{Hmac, KeyInit, Mac};
use sesame_domain::ActivationCode;
use sesame_store::KeyedHash;
use sha2::{Digest, Sha256};

/// A key and the keys it replaced, newest first.
#[derive(Clone)]
struct Ring {
    keys: Vec<Vec<u8>>,
}

impl Ring {
    fn new(current: &[u8], previous: &[Vec<u8>]) -> Self {
        let mut keys = vec![current.to_vec()];
        keys.extend(previous.iter().filter(|k| k.as_slice() != current).cloned());
        Self { keys }
    }

    fn current(&self) -> &[u8] {
        &self.keys[0]
    }

    fn keyed(&self, key: &[u8], data: &[u8]) -> KeyedHash {
        KeyedHash::new(key_id(key), hmac_hex(key, data))
    }

    /// `data` under every key of the ring, current first.
    fn all(&self, data: &[u8]) -> Vec<KeyedHash> {
        self.keys.iter().map(|k| self.keyed(k, data)).collect()
    }
}

/// The id of a key: the first 4 bytes of its SHA-256, hex (names a key in
/// what it protects without revealing it).
pub fn key_id(key: &[u8]) -> String {
    hex(&Sha256::digest(key)[..4])
}

/// Keys derived from the configuration's secrets.
#[derive(Clone)]
pub struct Keys {
    code: Ring,
    token: Ring,
    /// Derived once per cookie key: the keys of the forms' CSRF tokens.
    csrf: Vec<([u8; 32], [u8; 4])>,
    stable: Vec<u8>,
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

fn hmac_raw(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn hmac_hex(key: &[u8], data: &[u8]) -> String {
    hex(&hmac_raw(key, &[data]))
}

/// The secrets the keys are made of.
#[derive(Debug, Clone, Copy)]
pub struct Secrets<'a> {
    /// `code_hmac_key`, then the previous ones.
    pub code: (&'a [u8], &'a [Vec<u8>]),
    /// `token_hmac_key`, then the previous ones.
    pub token: (&'a [u8], &'a [Vec<u8>]),
    /// `cookie_key`, then the previous ones.
    pub cookie: (&'a [u8], &'a [Vec<u8>]),
    /// `subject_key`, when set.
    pub subject: Option<&'a [u8]>,
}

impl Keys {
    /// Keys from the configured secrets and their previous values.
    pub fn with(s: &Secrets<'_>) -> Self {
        let token = Ring::new(s.token.0, s.token.1);
        let cookie = Ring::new(s.cookie.0, s.cookie.1);
        let stable = s
            .subject
            .map(<[u8]>::to_vec)
            .unwrap_or_else(|| token.keys.last().cloned().unwrap_or_default());
        let csrf = cookie
            .keys
            .iter()
            .map(|k| {
                let id: [u8; 4] = Sha256::digest(k)[..4].try_into().unwrap_or([0; 4]);
                (hmac_raw(k, &[b"sesame:derived:csrf"]), id)
            })
            .collect();
        Self {
            code: Ring::new(s.code.0, s.code.1),
            token,
            csrf,
            stable,
        }
    }

    /// HMAC-SHA256 of an activation code under the current key, hex, with
    /// the key's id: the only form stored.
    pub fn code_hmac(&self, code: &ActivationCode) -> KeyedHash {
        self.code
            .keyed(self.code.current(), code.canonical().as_bytes())
    }

    /// The stored forms a typed code may have: under the current key, then
    /// under each previous one, each with its key's id.
    pub fn code_hmacs(&self, code: &ActivationCode) -> Vec<KeyedHash> {
        self.code.all(code.canonical().as_bytes())
    }

    /// A 256-bit key derived for one purpose from token key `kid` (the
    /// current one when `None`); none when no key of the ring has that id.
    pub fn derived_by(&self, label: &str, kid: Option<&str>) -> Option<(String, [u8; 32])> {
        let key = match kid {
            None => self.token.current(),
            Some(id) => self.token.keys.iter().find(|k| key_id(k) == id)?,
        };
        let d = hmac_raw(key, &[b"sesame:derived:", label.as_bytes()]);
        Some((key_id(key), d))
    }

    /// The ids of every token key, current first.
    pub fn token_ids(&self) -> Vec<String> {
        self.token.keys.iter().map(|k| key_id(k)).collect()
    }

    /// HMAC-SHA256 under the current token key, hex: for what is kept in
    /// memory or in the shared store, never in the database.
    pub fn token_hmac(&self, token: &str) -> String {
        hmac_hex(self.token.current(), token.as_bytes())
    }

    /// A token (confirmation link, unlock link...) under the current key,
    /// with the key's id: what the database stores.
    pub fn token_at_rest(&self, token: &str) -> KeyedHash {
        self.token.keyed(self.token.current(), token.as_bytes())
    }

    /// The stored forms a token may have: under the current key, then under
    /// each previous one, each with its key's id.
    pub fn token_hmacs(&self, token: &str) -> Vec<KeyedHash> {
        self.token.all(token.as_bytes())
    }

    /// HMAC-SHA256 under the stable key, hex: for what must not change when
    /// a key rotates (subjects, `sid`s, the shared store's lookup keys).
    pub fn stable_hmac(&self, data: &str) -> String {
        hmac_hex(&self.stable, data.as_bytes())
    }

    /// A pseudonym for logs and audit events: a keyed hash of `s` (an
    /// identifiant, an address), short but stable across rotations.
    pub fn pseudonym(&self, s: &str) -> String {
        self.stable_hmac(&format!("pseudonym:{s}"))[..16].to_owned()
    }

    /// A form's CSRF MAC under the current cookie key, with that key's id:
    /// HMAC-SHA256 of the token fields (each length-prefixed, so that no
    /// two field lists give one input).
    pub fn csrf_mac(&self, fields: &[&[u8]]) -> ([u8; 4], [u8; 32]) {
        let (key, id) = self.csrf.first().copied().unwrap_or(([0; 32], [0; 4]));
        (id, csrf_mac_with(&key, fields))
    }

    /// The CSRF MAC under the cookie key with id `id`, current or previous;
    /// none when no key of the ring has it (dropped, or forged).
    pub fn csrf_mac_by(&self, id: [u8; 4], fields: &[&[u8]]) -> Option<[u8; 32]> {
        let (key, _) = self.csrf.iter().find(|(_, i)| *i == id)?;
        Some(csrf_mac_with(key, fields))
    }
}

fn csrf_mac_with(key: &[u8; 32], fields: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for f in fields {
        mac.update(&u64::try_from(f.len()).unwrap_or(u64::MAX).to_be_bytes());
        mac.update(f);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(token: &[u8], previous: &[Vec<u8>], subject: Option<&[u8]>) -> Keys {
        Keys::with(&Secrets {
            code: (b"code-now", &[]),
            token: (token, previous),
            cookie: (b"cookie-now", &[b"cookie-before".to_vec()]),
            subject,
        })
    }

    #[test]
    fn a_rotation_changes_what_is_written_not_what_must_stay() {
        let before = keys(b"token-1", &[], None);
        let after = keys(b"token-2", &[b"token-1".to_vec()], None);
        let dropped = keys(b"token-2", &[], Some(b"token-1"));
        // Written under the new key, found under both while the old is listed.
        assert_ne!(before.token_at_rest("t"), after.token_at_rest("t"));
        assert!(after.token_hmacs("t").contains(&before.token_at_rest("t")));
        assert!(
            !dropped
                .token_hmacs("t")
                .contains(&before.token_at_rest("t"))
        );
        // Each form names its key: the old one under the old key's id.
        assert_eq!(
            before.token_at_rest("t").kid,
            Some(before.token_ids()[0].clone())
        );
        assert_eq!(after.token_hmacs("t")[1].kid, before.token_at_rest("t").kid);
        // Subjects, pseudonyms, store keys: the same throughout.
        for k in [&after, &dropped] {
            assert_eq!(k.stable_hmac("sub"), before.stable_hmac("sub"));
            assert_eq!(k.pseudonym("camille"), before.pseudonym("camille"));
        }
        // Encryption keys by id.
        let (old_id, old_key) = before.derived_by("x", None).expect("current");
        assert_eq!(
            after.derived_by("x", Some(&old_id)),
            Some((old_id.clone(), old_key))
        );
        assert_eq!(dropped.derived_by("x", Some(&old_id)), None);
        assert_ne!(after.derived_by("x", None).expect("current").0, old_id);
    }

    #[test]
    fn csrf_macs_name_their_key() {
        let k = keys(b"t", &[], None);
        let (id, mac) = k.csrf_mac(&[b"a", b"b"]);
        assert_eq!(k.csrf_mac_by(id, &[b"a", b"b"]), Some(mac));
        assert_ne!(
            k.csrf_mac_by(id, &[b"ab"]),
            Some(mac),
            "fields are length-prefixed"
        );
        let older = Keys::with(&Secrets {
            code: (b"c", &[]),
            token: (b"t", &[]),
            cookie: (b"cookie-before", &[]),
            subject: None,
        });
        let (old_id, old_mac) = older.csrf_mac(&[b"a"]);
        assert_eq!(
            k.csrf_mac_by(old_id, &[b"a"]),
            Some(old_mac),
            "a previous key verifies"
        );
        assert_eq!(k.csrf_mac_by([9, 9, 9, 9], &[b"a"]), None);
    }
}
