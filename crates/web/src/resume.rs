//! Where a login goes back to once it succeeds: a CAS service (CAS 3.0
//! §2.1.1 `service`, `renew`, `method`) or an OpenID Connect authorization
//! to resume (OIDC Core §3.1.2.1, a local `/oidc/authorize?…` path). It is
//! carried through the profile, login and upstream pages as hidden fields
//! or query parameters, whatever the protocol.

/// Where a login goes back to; all empty for a plain login.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub(crate) struct Resume {
    /// The CAS service URL the login was started for.
    #[serde(default)]
    pub(crate) service: String,
    /// CAS `renew`, as received.
    #[serde(default)]
    pub(crate) renew: String,
    /// CAS `method` (`GET` or `POST`), as received.
    #[serde(default)]
    pub(crate) method: String,
    /// An OpenID Connect authorization to resume after login (a local
    /// `/oidc/authorize?…` path).
    #[serde(default)]
    pub(crate) suite: String,
}

impl Resume {
    /// Whether the login resumes an OpenID Connect authorization (only a
    /// local authorize path is ever followed).
    pub(crate) fn resumes_oidc(&self) -> bool {
        self.suite.starts_with("/oidc/authorize?")
    }

    /// Whether the CAS service asked for credentials to be typed again.
    pub(crate) fn renew(&self) -> bool {
        sesame_cas::flag(Some(self.renew.as_str()))
    }

    /// `&service=…&renew=true&method=POST` (or `&suite=…`) for a page's URL.
    pub(crate) fn query(&self) -> String {
        if self.service.is_empty() {
            if self.resumes_oidc() {
                let mut q = url::form_urlencoded::Serializer::new(String::new());
                q.append_pair("suite", &self.suite);
                return format!("&{}", q.finish());
            }
            return String::new();
        }
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("service", &self.service);
        if self.renew() {
            q.append_pair("renew", "true");
        }
        if self.method.eq_ignore_ascii_case("post") {
            q.append_pair("method", "POST");
        }
        format!("&{}", q.finish())
    }
}
