//! `sesame selftest`: checks a running Sésame as a deployer needs after an
//! install or an upgrade, from outside, like a browser and a relying party
//! would: discovery and JWKS, a whole authorization code + PKCE flow
//! through the real login pages (the `openidconnect` crate as the relying
//! party), a CAS ticket validated then replayed, the security headers and
//! cookie flags, `/readyz` and TLS. One line per check; any failure makes
//! the command exit non-zero.
//!
//! A check that needs something not given (a client, a CAS service, an
//! account) is skipped and says what it needs; a check whose prerequisite
//! failed is skipped too, so that one fault shows as one failure.

mod browser;
mod cas;
mod oidc;
mod web;

use browser::Browser;
use serde::Serialize;
use url::Url;

/// What to check, from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// The deployment's public URL (its issuer).
    pub url: Url,
    /// A registered OpenID Connect client to run the flow with.
    pub client: Option<Client>,
    /// A registered CAS service URL.
    pub cas_service: Option<Url>,
    /// An account to log in with.
    pub user: Option<User>,
}

/// A registered OpenID Connect client.
#[derive(Debug, Clone)]
pub struct Client {
    /// Its `client_id`.
    pub id: String,
    /// Its secret (none for a public client).
    pub secret: Option<String>,
    /// One of its registered redirect URIs.
    pub redirect_uri: Url,
}

/// An account of the deployment, for the flows that log in.
#[derive(Clone)]
pub struct User {
    /// The profile chosen on the first screen (`eleve`, `parent`…).
    pub profile: String,
    /// Its identifiant.
    pub identifiant: String,
    /// Its password.
    pub password: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "User({}, {}, ********)", self.profile, self.identifiant)
    }
}

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Passed.
    Ok,
    /// Failed.
    Fail,
    /// Not run (something needed was not given, or an earlier step failed).
    Skip,
}

/// One check: a stable name, its outcome and what was seen.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable name (`discovery.issuer`, `cas.replay`…).
    pub name: &'static str,
    /// Outcome.
    pub status: Status,
    /// What was seen, or why it failed or was skipped.
    pub detail: String,
}

/// Every check of a run, in order.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The URL checked.
    pub url: String,
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    fn push(&mut self, name: &'static str, status: Status, detail: impl Into<String>) {
        self.checks.push(Check {
            name,
            status,
            detail: detail.into(),
        });
    }

    /// Records `result` under `name` (ok with its detail, or failed with
    /// the reason) and answers whether it passed.
    fn check(&mut self, name: &'static str, result: Result<String, String>) -> bool {
        match result {
            Ok(d) => {
                self.push(name, Status::Ok, d);
                true
            }
            Err(d) => {
                self.push(name, Status::Fail, d);
                false
            }
        }
    }

    fn skip(&mut self, name: &'static str, why: impl Into<String>) {
        self.push(name, Status::Skip, why);
    }

    /// How many checks failed.
    pub fn failed(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .count()
    }

    /// One line per check, then a summary.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut out = format!("Vérification de {}\n", self.url);
        let width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &self.checks {
            let tag = match c.status {
                Status::Ok => "ok   ",
                Status::Fail => "ÉCHEC",
                Status::Skip => "—    ",
            };
            let _ = writeln!(out, "{tag} {:width$}  {}", c.name, c.detail);
        }
        let count = |s| self.checks.iter().filter(|c| c.status == s).count();
        let _ = writeln!(
            out,
            "{} réussie(s), {} en échec, {} non faite(s).",
            count(Status::Ok),
            count(Status::Fail),
            count(Status::Skip)
        );
        out
    }

    /// The report as JSON (`url`, `checks`, `failed`).
    pub fn json(&self) -> String {
        serde_json::json!({
            "url": self.url,
            "checks": self.checks,
            "failed": self.failed(),
        })
        .to_string()
    }
}

/// The deployment's base URL without its trailing slash, for joining paths.
fn base(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// `base` + `path`, as a URL.
fn at(url: &Url, path: &str) -> Result<Url, String> {
    Url::parse(&format!("{}{path}", base(url))).map_err(|e| format!("{path}: {e}"))
}

/// Runs every check against `opts.url`.
pub async fn run(opts: &Options) -> Report {
    let mut report = Report {
        url: opts.url.to_string(),
        ..Report::default()
    };
    let browser = match Browser::new() {
        Ok(b) => b,
        Err(e) => {
            report.check("client", Err(format!("client HTTP impossible : {e}")));
            return report;
        }
    };
    web::transport(&browser, opts, &mut report).await;
    let discovered = oidc::discovery(&browser, opts, &mut report).await;
    oidc::flow(&browser, opts, discovered.as_ref(), &mut report).await;
    cas::flow(&browser, opts, &mut report).await;
    web::cookies(&browser, opts, &mut report);
    report
}
