//! Which registered CAS service a `service` URL belongs to (CAS 3.0 §2.1.1,
//! SECURITY.md CAS-01, CAS-02). The URL as received is compared, never a
//! normalised form: `HTTPS://APP.ENT.FR/cas/` is not `https://app.ent.fr/cas/`.

use regex::Regex;
use sesame_domain::RegisteredUrl;
use url::Url;

/// Longest service URL accepted.
pub const MAX_SERVICE_LEN: usize = 2048;

/// The URLs one registration accepts: exact URLs and anchored patterns
/// (`^…$`). Used for service URLs and for proxy callback URLs alike.
#[derive(Debug, Clone, Copy)]
pub struct Registration<'a> {
    /// URLs matched exactly, as written (not as parsed).
    pub urls: &'a [RegisteredUrl],
    /// Anchored patterns matched against the whole URL.
    pub patterns: &'a [Regex],
}

impl Registration<'_> {
    /// Whether `url` equals a registered URL or matches a pattern.
    pub fn matches(&self, url: &str) -> bool {
        self.urls.iter().any(|u| u.as_str() == url) || self.patterns.iter().any(|p| p.is_match(url))
    }
}

/// Whether `service` looks like what an honest CAS client sends. Refused:
/// control or non-ASCII characters, backslashes, user info, dot segments
/// (plain or encoded), anything but `https://` (or `http://` on loopback
/// when `allow_insecure_http`, in development).
pub fn plausible(service: &str, allow_insecure_http: bool) -> bool {
    if service.len() > MAX_SERVICE_LEN
        || !service.bytes().all(|b| b.is_ascii_graphic())
        || service.contains('\\')
    {
        return false;
    }
    let scheme_ok =
        service.starts_with("https://") || (allow_insecure_http && service.starts_with("http://"));
    if !scheme_ok {
        return false;
    }
    let Ok(url) = Url::parse(service) else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() || url.host_str().is_none() {
        return false;
    }
    if url.scheme() == "http"
        && !matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
    {
        return false;
    }
    let lower = service.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or_default();
    !(path.contains("/../")
        || path.ends_with("/..")
        || path.contains("/./")
        || path.contains("%2e")
        || path.contains("%2f")
        || path.contains("%5c"))
}

/// The first of `registered` whose registration accepts `service`, when
/// `service` is [`plausible`].
pub fn find<'a, T>(
    service: &str,
    allow_insecure_http: bool,
    registered: impl IntoIterator<Item = (T, Registration<'a>)>,
) -> Option<T> {
    if !plausible(service, allow_insecure_http) {
        return None;
    }
    registered
        .into_iter()
        .find(|(_, r)| r.matches(service))
        .map(|(t, _)| t)
}

/// Whether a proxy callback URL may be called (CAS 3.0 §2.5.4): https with
/// a host and no user info, or http on loopback when
/// `allow_http_on_loopback` is set.
pub fn callback_allowed(url: &Url, allow_http_on_loopback: bool) -> bool {
    match url.scheme() {
        "https" => {
            url.host_str().is_some() && url.username().is_empty() && url.password().is_none()
        }
        "http" => {
            allow_http_on_loopback
                && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    fn registered(s: &str) -> RegisteredUrl {
        RegisteredUrl::parse(s).expect("test registration")
    }

    /// Two registrations: `portail` by exact URL, `notes` by pattern.
    fn check(service: &str, insecure_ok: bool, expected: Option<&str>) {
        let portail = [registered("https://portail.example/cas/login")];
        let notes = [Regex::new(r"^https://notes\.example/[a-z]+/cas$").expect("pattern")];
        let dev = [registered("http://localhost:8080/cas")];
        let registered = [
            (
                "portail",
                Registration {
                    urls: &portail,
                    patterns: &[],
                },
            ),
            (
                "notes",
                Registration {
                    urls: &[],
                    patterns: &notes,
                },
            ),
            (
                "dev",
                Registration {
                    urls: &dev,
                    patterns: &[],
                },
            ),
        ];
        assert_eq!(
            find(service, insecure_ok, registered),
            expected,
            "find({service:?}, insecure_ok={insecure_ok})"
        );
    }

    #[test]
    fn service_matching() {
        let long = format!("https://notes.example/{}/cas", "a".repeat(2048));
        for (service, insecure_ok, expected) in [
            // Exact URL, as written.
            ("https://portail.example/cas/login", false, Some("portail")),
            ("https://portail.example/cas/login/", false, None),
            ("https://portail.example/cas/login?x=1", false, None),
            ("HTTPS://PORTAIL.EXAMPLE/cas/login", false, None),
            ("https://portail.example:443/cas/login", false, None),
            // Anchored pattern: the whole URL.
            ("https://notes.example/lycee/cas", false, Some("notes")),
            ("https://notes.example/lycee/cas?next=1", false, None),
            ("https://notes.example.evil/lycee/cas", false, None),
            (
                "https://evil.example/?https://notes.example/a/cas",
                false,
                None,
            ),
            // Not plausible, whatever the registry says.
            ("http://portail.example/cas/login", false, None),
            ("http://portail.example/cas/login", true, None),
            ("http://localhost:8080/cas", false, None),
            ("http://localhost:8080/cas", true, Some("dev")),
            ("https://user@portail.example/cas/login", false, None),
            ("https://portail.example/cas/../cas/login", false, None),
            ("https://notes.example/%2e%2e/cas", false, None),
            ("https://notes.example/a%2Fb/cas", false, None),
            ("https://portail.example\\cas/login", false, None),
            ("https://portail.example/cas/login\n", false, None),
            ("https://portail.example/cas/lögin", false, None),
            ("javascript:alert(1)", false, None),
            ("", false, None),
            (&long, false, None),
        ] {
            check(service, insecure_ok, expected);
        }
    }

    fn check_plausible(service: &str, expected: bool) {
        assert_eq!(
            plausible(service, false),
            expected,
            "plausible({service:?})"
        );
    }

    #[test]
    fn plausible_service_urls() {
        for (service, expected) in [
            ("https://a.example/", true),
            ("https://a.example/x?y=../z", true),
            ("https://a.example/x#/./", true),
            ("https://a.example/./x", false),
            ("https://a.example/x/..", false),
            ("https://a.example/%5cx", false),
            ("https://:pw@a.example/", false),
            ("https://[::1/x", false),
            ("ftp://a.example/", false),
            ("https://a.example/ x", false),
        ] {
            check_plausible(service, expected);
        }
    }

    fn check_callback(pgt_url: &str, loopback_ok: bool, expected: bool) {
        assert_eq!(
            callback_allowed(&url(pgt_url), loopback_ok),
            expected,
            "callback_allowed({pgt_url:?}, {loopback_ok})"
        );
    }

    #[test]
    fn proxy_callbacks_are_https_or_loopback_when_allowed() {
        for (pgt_url, loopback_ok, expected) in [
            ("https://p.example/cb", false, true),
            ("https://p.example/cb", true, true),
            ("https://u:p@p.example/cb", false, false),
            ("https://u@p.example/cb", false, false),
            ("http://p.example/cb", true, false),
            ("http://127.0.0.1:9000/cb", true, true),
            ("http://127.0.0.1:9000/cb", false, false),
            ("http://localhost/cb", true, true),
            ("http://[::1]/cb", true, true),
            ("ftp://p.example/cb", true, false),
            ("file:///etc/passwd", true, false),
        ] {
            check_callback(pgt_url, loopback_ok, expected);
        }
    }

    #[test]
    fn a_registration_matches_urls_or_patterns() {
        let urls = [registered("https://p.example/cb")];
        let patterns = [Regex::new(r"^https://q\.example/cb/[0-9]+$").expect("pattern")];
        let r = Registration {
            urls: &urls,
            patterns: &patterns,
        };
        for (u, expected) in [
            ("https://p.example/cb", true),
            ("https://p.example/cb/", false),
            ("https://q.example/cb/42", true),
            ("https://q.example/cb/42x", false),
            ("https://q.example/cb/", false),
        ] {
            assert_eq!(r.matches(u), expected, "{u}");
        }
    }
}
