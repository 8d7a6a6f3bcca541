//! A small browser for the self-test: a cookie jar, redirects followed by
//! hand (so that each step can be checked), the `Set-Cookie` headers seen
//! kept for the cookie check, and the forms of a page read from its HTML.

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// A page or a redirect, as the browser received it.
#[derive(Debug)]
pub struct Answer {
    /// Where it came from.
    pub url: Url,
    /// HTTP status.
    pub status: u16,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body (empty for a redirect).
    pub body: String,
}

impl Answer {
    /// The absolute target of a redirect, if this is one.
    pub fn location(&self) -> Option<Url> {
        if !(300..400).contains(&self.status) {
            return None;
        }
        let loc = self.headers.get(LOCATION)?.to_str().ok()?;
        self.url.join(loc).ok()
    }
}

/// The browser.
#[derive(Debug, Clone)]
pub struct Browser {
    http: reqwest::Client,
    /// Every `Set-Cookie` received: (the URL that set it, the header).
    pub cookies: Arc<Mutex<Vec<(Url, String)>>>,
}

impl Browser {
    /// A fresh browser (own cookie jar, 10 s per request).
    pub fn new() -> Result<Self, String> {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar)
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("sesame-selftest/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            cookies: Arc::default(),
        })
    }

    /// The HTTP client itself (for API calls: no cookies are involved).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    async fn answer(&self, url: Url, r: reqwest::RequestBuilder) -> Result<Answer, String> {
        let r = r.send().await.map_err(|e| format!("{url}: {e}"))?;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        for c in headers.get_all(SET_COOKIE) {
            if let Ok(c) = c.to_str() {
                self.cookies
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((url.clone(), c.to_owned()));
            }
        }
        let body = r.text().await.map_err(|e| format!("{url}: {e}"))?;
        Ok(Answer {
            url,
            status,
            headers,
            body,
        })
    }

    /// GET `url`.
    pub async fn get(&self, url: &Url) -> Result<Answer, String> {
        self.answer(url.clone(), self.http.get(url.clone())).await
    }

    /// POST a form to `url`.
    pub async fn post(&self, url: &Url, fields: &[(String, String)]) -> Result<Answer, String> {
        self.answer(url.clone(), self.http.post(url.clone()).form(fields))
            .await
    }
}

/// A form of a page: its method, action and fields (inputs with a name,
/// and the buttons' name and value, which a click adds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    /// `post` or `get`, lower case.
    pub method: String,
    /// The `action` attribute, as written.
    pub action: String,
    /// The inputs' names and values, in order.
    pub inputs: Vec<(String, String)>,
    /// The buttons' names and values.
    pub buttons: Vec<(String, String)>,
}

impl Form {
    /// Whether the form has a field `name`.
    pub fn has(&self, name: &str) -> bool {
        self.inputs.iter().any(|(n, _)| n == name)
    }

    /// The fields a browser posts when `values` are typed and the button
    /// with value `button` (if any) is clicked.
    pub fn fill(&self, values: &[(&str, &str)], button: Option<&str>) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .inputs
            .iter()
            .map(|(n, v)| {
                let typed = values.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
                (n.clone(), typed.unwrap_or(v).to_owned())
            })
            .collect();
        for (k, v) in values {
            if !self.has(k) {
                out.push(((*k).to_owned(), (*v).to_owned()));
            }
        }
        if let Some(b) = button
            && let Some((n, v)) = self.buttons.iter().find(|(_, v)| v == b)
        {
            out.push((n.clone(), v.clone()));
        }
        out
    }
}

/// The forms of `html`.
pub fn forms(html: &str) -> Vec<Form> {
    let mut out = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<form").map(|i| i + from) {
        let end = lower[i..].find("</form").map_or(html.len(), |e| i + e);
        let inner = &html[i..end];
        let (_, attrs) = tag_at(inner, 0);
        let mut f = Form {
            method: attr(&attrs, "method")
                .unwrap_or_else(|| "get".into())
                .to_ascii_lowercase(),
            action: attr(&attrs, "action").unwrap_or_default(),
            ..Form::default()
        };
        let inner_lower = &lower[i..end];
        let mut at = 1;
        while let Some(j) = inner_lower[at..].find('<').map(|j| j + at) {
            let (name, attrs) = tag_at(inner, j);
            at = j + 1;
            let Some(field) = attr(&attrs, "name") else {
                continue;
            };
            let value = attr(&attrs, "value").unwrap_or_default();
            match name.as_str() {
                "input" => {
                    let kind = attr(&attrs, "type")
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    let checkable = kind == "checkbox" || kind == "radio";
                    if !checkable || attrs.iter().any(|(k, _)| k == "checked") {
                        f.inputs.push((field, value));
                    }
                }
                "button" => f.buttons.push((field, value)),
                _ => {}
            }
        }
        out.push(f);
        from = end.max(i + 1);
    }
    out
}

/// The tag starting at byte `at` of `s` (`<name a="b" c>`): its lower-case
/// name and attributes, values unescaped.
fn tag_at(s: &str, at: usize) -> (String, Vec<(String, String)>) {
    let rest = &s[at + 1..];
    let end = rest.find('>').unwrap_or(rest.len());
    let body = &rest[..end];
    let name_end = body
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(body.len());
    let name = body[..name_end].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut chars = body[name_end..].char_indices().peekable();
    let b = &body[name_end..];
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() || c == '/' {
            continue;
        }
        // An attribute name, then maybe `=` and a value.
        let mut j = i;
        while let Some(&(k, c)) = chars.peek() {
            if c == '=' || c.is_whitespace() || c == '/' {
                break;
            }
            j = k;
            chars.next();
        }
        let key = b[i..=j].to_ascii_lowercase();
        let mut value = String::new();
        if chars.peek().is_some_and(|&(_, c)| c == '=') {
            chars.next();
            match chars.peek().map(|&(_, c)| c) {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for (_, c) in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        value.push(c);
                    }
                }
                _ => {
                    while let Some(&(_, c)) = chars.peek() {
                        if c.is_whitespace() {
                            break;
                        }
                        value.push(c);
                        chars.next();
                    }
                }
            }
        }
        attrs.push((key, unescape(&value)));
    }
    (name, attrs)
}

fn attr(attrs: &[(String, String)], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// HTML character references in an attribute value (the named ones a
/// template escapes, and numeric ones).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_read_as_a_browser_posts_them() {
        let html = r#"<p>x</p><FORM method="POST" action="/connexion?a=1&amp;b=2" class=carte novalidate>
          <input type="hidden" name="csrf" value="a&#43;b&#x2F;c">
          <input id="identifiant" name='identifiant' value="">
          <input type="checkbox" name="garder" value="1">
          <input type="checkbox" name="coche" value="oui" checked>
          <input type=password name=password>
          <button type="submit" name="decision" value="autoriser">Autoriser</button>
          <button type="submit">Sans nom</button>
        </form><form action="/deconnexion"><input name="csrf" value="2"></form>"#;
        let f = forms(html);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].method, "post");
        assert_eq!(f[0].action, "/connexion?a=1&b=2");
        assert_eq!(
            f[0].inputs,
            [
                ("csrf".to_owned(), "a+b/c".to_owned()),
                ("identifiant".into(), String::new()),
                ("coche".into(), "oui".into()),
                ("password".into(), String::new()),
            ]
        );
        assert_eq!(
            f[0].buttons,
            [("decision".to_owned(), "autoriser".to_owned())]
        );
        assert_eq!(
            f[0].fill(
                &[("identifiant", "camille"), ("password", "pw")],
                Some("autoriser")
            ),
            [
                ("csrf".to_owned(), "a+b/c".to_owned()),
                ("identifiant".into(), "camille".into()),
                ("coche".into(), "oui".into()),
                ("password".into(), "pw".into()),
                ("decision".into(), "autoriser".into()),
            ]
        );
        assert_eq!(f[1].method, "get");
        assert_eq!(f[1].inputs, [("csrf".to_owned(), "2".to_owned())]);
    }

    #[test]
    fn character_references_are_decoded_and_stray_ampersands_kept() {
        for (input, expected) in [
            ("a&amp;b", "a&b"),
            ("&lt;&gt;&quot;&apos;", "<>\"'"),
            ("&#38;&#x26;", "&&"),
            ("AT&T", "AT&T"),
            ("a & b;", "a & b;"),
            ("&unknown;", "&unknown;"),
            ("", ""),
        ] {
            assert_eq!(unescape(input), expected, "{input}");
        }
    }
}
