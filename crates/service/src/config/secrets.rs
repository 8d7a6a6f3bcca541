//! `[secrets]`: one server key per purpose (SECURITY.md §1.3), given inline,
//! by a `*_file` path (containers' secret files) or, in development mode only,
//! generated once into the data folder.

use super::ConfigError;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::path::{Path, PathBuf};

/// Shortest key accepted in production, in bytes (256 bits of a random key
/// printed in base64 takes 43 characters).
pub const MIN_KEY_LEN: usize = 32;

/// A secret value. It prints as `********` in logs and in `check-config`.
#[derive(Clone)]
pub struct SecretKey(SecretString);

impl SecretKey {
    /// Wraps a secret.
    pub fn new(s: String) -> Self {
        Self(SecretString::from(s))
    }

    /// The secret's bytes.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(********)")
    }
}

impl Serialize for SecretKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("********")
    }
}

impl<'de> Deserialize<'de> for SecretKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

/// The server keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    /// Key of the HMAC-SHA256 that stores activation codes.
    pub code_hmac_key: Option<SecretKey>,
    /// File holding `code_hmac_key`.
    pub code_hmac_key_file: Option<PathBuf>,
    /// Key that authenticates cookies.
    pub cookie_key: Option<SecretKey>,
    /// File holding `cookie_key`.
    pub cookie_key_file: Option<PathBuf>,
    /// Key of the HMAC that stores tokens (confirmation, unlock, refresh).
    pub token_hmac_key: Option<SecretKey>,
    /// File holding `token_hmac_key`.
    pub token_hmac_key_file: Option<PathBuf>,
    /// The `code_hmac_key`s replaced, newest first: codes stored under them
    /// are still found (rotation). Drop one to cut what it protected.
    #[serde(default)]
    pub previous_code_hmac_keys: Vec<SecretKey>,
    /// The `cookie_key`s replaced, newest first: forms issued under them
    /// are still accepted.
    #[serde(default)]
    pub previous_cookie_keys: Vec<SecretKey>,
    /// The `token_hmac_key`s replaced, newest first: links stored under them
    /// are still found, and the signing keys they encrypted are opened (and
    /// re-encrypted under the new key at the next start).
    #[serde(default)]
    pub previous_token_hmac_keys: Vec<SecretKey>,
    /// The key of what must never change (OIDC subjects, audit pseudonyms,
    /// the shared store's lookup keys). Unset: the oldest `token_hmac_key`
    /// listed. Set it to that value before dropping the last previous key.
    pub subject_key: Option<SecretKey>,
    /// File holding `subject_key`.
    pub subject_key_file: Option<PathBuf>,
}

/// Reads a secret from its `*_file` path when one is given.
pub(super) fn resolve_file(
    inline: Option<SecretKey>,
    file: &Option<PathBuf>,
    key: &str,
    origin: &dyn Fn(&str) -> String,
) -> Result<Option<SecretKey>, ConfigError> {
    let Some(path) = file else { return Ok(inline) };
    let file_key = format!("{key}_file");
    if inline.is_some() {
        return Err(ConfigError::at(
            &origin(&file_key),
            &file_key,
            format!("give either `{key}` or `{file_key}`, not both"),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::at(
            &origin(&file_key),
            &file_key,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    Ok(Some(SecretKey::new(
        text.trim_end_matches(['\n', '\r']).to_owned(),
    )))
}

impl Secrets {
    fn slots(&mut self) -> [(&'static str, &mut Option<SecretKey>, &Option<PathBuf>); 3] {
        [
            (
                "secrets.code_hmac_key",
                &mut self.code_hmac_key,
                &self.code_hmac_key_file,
            ),
            (
                "secrets.cookie_key",
                &mut self.cookie_key,
                &self.cookie_key_file,
            ),
            (
                "secrets.token_hmac_key",
                &mut self.token_hmac_key,
                &self.token_hmac_key_file,
            ),
        ]
    }

    pub(super) fn resolve_files(
        &mut self,
        origin: &dyn Fn(&str) -> String,
    ) -> Result<(), ConfigError> {
        for (key, value, file) in self.slots() {
            *value = resolve_file(value.take(), file, key, origin)?;
        }
        self.subject_key = resolve_file(
            self.subject_key.take(),
            &self.subject_key_file,
            "secrets.subject_key",
            origin,
        )?;
        Ok(())
    }

    /// Puts back the values of `base` where this configuration holds the
    /// mask they serialise to.
    pub(super) fn restore_masked(&mut self, base: &Secrets) {
        let masked = |k: &Option<SecretKey>| k.as_ref().is_some_and(|k| k.expose() == "********");
        let pairs = [
            (&mut self.code_hmac_key, &base.code_hmac_key),
            (&mut self.cookie_key, &base.cookie_key),
            (&mut self.token_hmac_key, &base.token_hmac_key),
            (&mut self.subject_key, &base.subject_key),
        ];
        for (mine, theirs) in pairs {
            if masked(mine) {
                mine.clone_from(theirs);
            }
        }
        for (mine, theirs) in [
            (
                &mut self.previous_code_hmac_keys,
                &base.previous_code_hmac_keys,
            ),
            (&mut self.previous_cookie_keys, &base.previous_cookie_keys),
            (
                &mut self.previous_token_hmac_keys,
                &base.previous_token_hmac_keys,
            ),
        ] {
            if mine.iter().any(|k| k.expose() == "********") && mine.len() == theirs.len() {
                mine.clone_from(theirs);
            }
        }
    }

    /// Security: previous keys are real keys too, and none is a current one.
    fn check_previous(&self, origin: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
        let current: Vec<&str> = [&self.code_hmac_key, &self.cookie_key, &self.token_hmac_key]
            .iter()
            .filter_map(|k| k.as_ref().map(SecretKey::expose))
            .collect();
        for (key, list) in [
            (
                "secrets.previous_code_hmac_keys",
                &self.previous_code_hmac_keys,
            ),
            ("secrets.previous_cookie_keys", &self.previous_cookie_keys),
            (
                "secrets.previous_token_hmac_keys",
                &self.previous_token_hmac_keys,
            ),
        ] {
            for (i, k) in list.iter().enumerate() {
                if k.expose().len() < MIN_KEY_LEN {
                    return Err(ConfigError::at(
                        &origin(key),
                        key,
                        format!("entry {}: too short (at least {MIN_KEY_LEN} bytes)", i + 1),
                    ));
                }
                if current.contains(&k.expose()) {
                    return Err(ConfigError::at(
                        &origin(key),
                        key,
                        format!("entry {}: this is a current key, not a previous one", i + 1),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Security: in production every key must be given, long, not a sample
    /// value, and used for one purpose only (SES-12).
    pub(super) fn check_production(
        &mut self,
        origin: &dyn Fn(&str) -> String,
    ) -> Result<(), ConfigError> {
        let mut seen: Vec<(&str, String)> = Vec::new();
        for (key, value, file) in self.slots() {
            // A key read from a file: the message names the file too.
            let from = match file {
                Some(p) => format!(
                    "{} (file {}, given by `{key}_file`)",
                    origin(&format!("{key}_file")),
                    p.display()
                ),
                None => origin(key),
            };
            let origin = |_: &str| from.clone();
            let Some(v) = value else {
                return Err(ConfigError::at(
                    &origin(key),
                    key,
                    "missing: production mode needs every secret key (generate one with `sesame secret`)",
                ));
            };
            let v = v.expose();
            if v.len() < MIN_KEY_LEN {
                return Err(ConfigError::at(
                    &origin(key),
                    key,
                    format!(
                        "too short: at least {MIN_KEY_LEN} bytes are needed (generate one with `sesame secret`)"
                    ),
                ));
            }
            if looks_like_sample(v) {
                return Err(ConfigError::at(
                    &origin(key),
                    key,
                    "this is a sample value: generate a real key with `sesame secret`",
                ));
            }
            if let Some(reason) = low_entropy(v) {
                return Err(ConfigError::at(
                    &origin(key),
                    key,
                    format!("{reason}: generate a real key with `sesame secret`"),
                ));
            }
            if let Some((other, _)) = seen.iter().find(|(_, s)| s == v) {
                return Err(ConfigError::at(
                    &origin(key),
                    key,
                    format!("the same key is used for `{other}`: use one key per purpose"),
                ));
            }
            seen.push((key, v.to_owned()));
        }
        self.check_previous(origin)
    }

    /// In development, fills every missing key from `DATA_DIR/secrets/NAME.key`,
    /// creating the file with a random key the first time.
    pub fn fill_for_development(&mut self, data_dir: &Path) -> std::io::Result<()> {
        let dir = data_dir.join("secrets");
        for (key, value, _) in self.slots() {
            if value.is_some() {
                continue;
            }
            let name = key.trim_start_matches("secrets.");
            let path = dir.join(format!("{name}.key"));
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t.trim().to_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::create_dir_all(&dir)?;
                    write_private(&path, &generate_key())?
                }
                Err(e) => return Err(e),
            };
            *value = Some(SecretKey::new(text));
        }
        Ok(())
    }
}

fn looks_like_sample(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    [
        "change", "sample", "example", "exemple", "secret", "xxxxxxxx", "demo", "test",
    ]
    .iter()
    .any(|w| l.contains(w))
        || v.chars()
            .next()
            .is_some_and(|first| v.chars().all(|c| c == first))
}

/// Query parameters of a connection URL whose value is a secret
/// (`?password=`, `?sslpassword=`, `?auth_token=`…), matched on their name.
fn is_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["password", "passwd", "secret", "token", "pwd"]
        .iter()
        .any(|w| n.contains(w))
        || n == "pass"
}

/// Hides the passwords of a URL: the userinfo's, and the values of query
/// parameters that carry one (`postgres://u@h/db?password=…`, REST-03).
/// A value that does not parse as a URL but may hold one is hidden whole.
pub fn mask_url(url: &str) -> String {
    const MASK: &str = "********";
    let Ok(mut u) = url::Url::parse(url) else {
        return if url.contains(['@', '?']) {
            MASK.to_owned()
        } else {
            url.to_owned()
        };
    };
    if u.password().is_some() {
        let _ = u.set_password(Some(MASK));
    }
    if u.query_pairs().any(|(k, _)| is_secret_param(&k)) {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_param(&k) {
                    MASK.into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// Fewest distinct characters in a production key: 32 random bytes in
/// base64 show about 28, in hex about 16.
const MIN_DISTINCT_CHARS: usize = 10;
/// Least estimated entropy of a production key, in bits (character
/// frequencies times length); a random key of 32 bytes shows over 150.
const MIN_ESTIMATED_BITS: f64 = 96.0;

/// Why a key long enough is still predictable (REST-03): few distinct
/// characters (`aaaa…`), a repeated block (`abcabc…`, `0123…ef0123…ef`),
/// mostly runs of consecutive characters (`0123456789abcdef…`), or a low
/// estimate of entropy from its character frequencies.
fn low_entropy(v: &str) -> Option<&'static str> {
    let chars: Vec<char> = v.chars().collect();
    let n = chars.len();
    let distinct: std::collections::HashSet<char> = chars.iter().copied().collect();
    if distinct.len() < MIN_DISTINCT_CHARS {
        return Some("low entropy (too few distinct characters)");
    }
    if (1..=n / 2).any(|p| (p..n).all(|i| chars[i] == chars[i - p])) {
        return Some("low entropy (a repeated pattern)");
    }
    let stepped = chars
        .windows(2)
        .filter(|w| (i64::from(u32::from(w[1])) - i64::from(u32::from(w[0]))).abs() <= 1)
        .count();
    if n > 1 && stepped * 2 >= n - 1 {
        return Some("low entropy (a sequential pattern)");
    }
    let bits: f64 = distinct
        .iter()
        .map(|c| {
            let f = chars.iter().filter(|x| *x == c).count() as f64 / n as f64;
            -f * f.log2()
        })
        .sum::<f64>()
        * n as f64;
    if bits < MIN_ESTIMATED_BITS {
        return Some("low entropy (too predictable)");
    }
    None
}

/// A new random key: 32 bytes from the OS generator, base64url.
pub fn generate_key() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Writes a new secret file (mode 0600), whole or not at all: written
/// beside it, then linked into place, so that a process starting at the
/// same moment either finds no file or the complete one. Answers the key
/// the file holds: `text`, or the other process's when it came first.
fn write_private(path: &Path, text: &str) -> std::io::Result<String> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let written = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()
    })();
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(text.to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(path)?.trim().to_owned())
        }
        Err(e) => Err(e),
    }
}
