//! A URL a service or client registered (CAS `service_urls`, OIDC
//! `redirect_uris`, `post_logout_redirect_uris`): kept as written, because
//! requests are compared with it byte for byte (CAS 3.0 §2.1.1, RFC 9700
//! §4.1.3, OIDC Core §3.1.2.1 "Simple String Comparison").
//!
//! Parsing normalises (`http://host:80` → `http://host/`, `HTTPS://ENT.FR`
//! → `https://ent.fr/`); a registration that parsing would change never
//! matches what a client sends, so [`RegisteredUrl::parse`] refuses it and
//! says what to write instead.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

/// A registered URL: the text as written, and its parsed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredUrl {
    text: String,
    url: Url,
}

/// Why a registered URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisteredUrlError {
    /// Not a URL at all.
    #[error("{text:?} is not a URL: {reason}")]
    Invalid {
        /// The text as written.
        text: String,
        /// What the parser said.
        reason: String,
    },
    /// A URL that parsing normalises: requests would never match it.
    #[error(
        "write {normalised:?}{hint} — parsing changes {text:?}, and requests are compared with the text as written"
    )]
    Normalised {
        /// The text as written.
        text: String,
        /// What parsing made of it: the form to write.
        normalised: String,
        /// A short explanation of the difference, e.g. " (with the path)".
        hint: &'static str,
    },
}

impl RegisteredUrl {
    /// Parses a registration, refusing text that parsing would change.
    pub fn parse(text: &str) -> Result<Self, RegisteredUrlError> {
        let r = Self::read(text)?;
        r.check()?;
        Ok(r)
    }

    /// Reads a registration that only has to be a URL; [`Self::check`]
    /// then tells whether parsing changed it (a configuration loader reads
    /// first, then checks, to name the key in its error).
    pub fn read(text: &str) -> Result<Self, RegisteredUrlError> {
        let url = Url::parse(text).map_err(|e| RegisteredUrlError::Invalid {
            text: text.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            text: text.to_owned(),
            url,
        })
    }

    /// Refuses a registration that parsing normalised: a request, compared
    /// with the text as written, could not match its parsed form.
    pub fn check(&self) -> Result<(), RegisteredUrlError> {
        if self.url.as_str() == self.text {
            return Ok(());
        }
        Err(RegisteredUrlError::Normalised {
            text: self.text.clone(),
            normalised: self.url.as_str().to_owned(),
            hint: hint(&self.text, &self.url),
        })
    }

    /// A registration made by Sésame itself from a parsed URL (its
    /// serialisation is what is registered).
    pub fn from_url(url: Url) -> Self {
        Self {
            text: url.as_str().to_owned(),
            url,
        }
    }

    /// The text as registered: what requests are compared with.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed URL (origin, host, scheme checks; building answers).
    pub fn url(&self) -> &Url {
        &self.url
    }
}

/// What differs between `text` and its parsed form, in a few words.
fn hint(text: &str, url: &Url) -> &'static str {
    let (scheme, rest) = text.split_once("://").unwrap_or(("", text));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if url.has_authority() && !rest.contains('/') && url.path() == "/" {
        " (with the path)"
    } else if (scheme.to_owned() + authority)
        .chars()
        .any(|c| c.is_ascii_uppercase())
    {
        " (scheme and host in lower case)"
    } else if url.port().is_none()
        && authority
            .rsplit_once(']')
            .map_or(authority, |(_, p)| p)
            .contains(':')
    {
        " (without the default port)"
    } else {
        ""
    }
}

impl std::str::FromStr for RegisteredUrl {
    type Err = RegisteredUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl std::fmt::Display for RegisteredUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for RegisteredUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for RegisteredUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::read(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<(), &str>) {
        let got = RegisteredUrl::parse(text).map(|_| ()).map_err(|e| match e {
            RegisteredUrlError::Invalid { .. } => "invalid".to_owned(),
            RegisteredUrlError::Normalised {
                normalised, hint, ..
            } => format!("write {normalised}{hint}"),
        });
        assert_eq!(
            got.as_ref().copied().map_err(String::as_str),
            expected,
            "{text:?}"
        );
    }

    #[test]
    fn registrations_are_kept_only_when_parsing_leaves_them_alone() {
        for (text, expected) in [
            ("https://ent.example.fr/", Ok(())),
            ("https://ent.example.fr/cas/login?x=1", Ok(())),
            ("http://localhost:8080/cb", Ok(())),
            ("https://s.example/app#/route", Ok(())),
            (
                "https://ent.example.fr",
                Err("write https://ent.example.fr/ (with the path)"),
            ),
            (
                "http://localhost:8080",
                Err("write http://localhost:8080/ (with the path)"),
            ),
            (
                "https://ENT.example.fr/cas",
                Err("write https://ent.example.fr/cas (scheme and host in lower case)"),
            ),
            (
                "HTTPS://ent.example.fr/cas",
                Err("write https://ent.example.fr/cas (scheme and host in lower case)"),
            ),
            (
                "https://ent.example.fr:443/cas",
                Err("write https://ent.example.fr/cas (without the default port)"),
            ),
            (
                "https://ent.example.fr/a b",
                Err("write https://ent.example.fr/a%20b"),
            ),
            ("not a url", Err("invalid")),
        ] {
            check(text, expected);
        }
    }

    #[test]
    fn a_normalised_registration_is_read_as_written_and_refused_by_check() {
        let r = RegisteredUrl::read("https://ENT.example.fr").expect("a URL");
        assert_eq!(r.as_str(), "https://ENT.example.fr");
        assert_eq!(r.url().as_str(), "https://ent.example.fr/");
        assert_eq!(
            r.check().map_err(|e| e.to_string()),
            Err("write \"https://ent.example.fr/\" (with the path) — parsing changes \"https://ENT.example.fr\", and requests are compared with the text as written".into())
        );
    }

    #[test]
    fn the_text_as_written_is_what_is_compared_and_shown() {
        let r = RegisteredUrl::parse("https://ent.example.fr/cas").expect("valid");
        assert_eq!(r.as_str(), "https://ent.example.fr/cas");
        assert_eq!(r.to_string(), "https://ent.example.fr/cas");
        assert_eq!(r.url().host_str(), Some("ent.example.fr"));
    }
}
