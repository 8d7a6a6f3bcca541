//! The checks of the web side: `/readyz`, TLS, the security headers of a
//! page and the flags of every cookie set; and the walk through the pages
//! (profile, login form, consent) that the OIDC and CAS checks share.

use super::browser::{Answer, Browser, forms};
use super::{Options, Report, User, at};
use url::Url;

/// Whether `url`'s host is this machine.
fn loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `/readyz`, TLS and the security headers of the first screen.
pub async fn transport(b: &Browser, opts: &Options, report: &mut Report) {
    let ready = match at(&opts.url, "/readyz") {
        Ok(u) => b.get(&u).await.and_then(|a| {
            if a.status == 200 {
                Ok("prêt (base de données et stockage joignables)".to_owned())
            } else {
                Err(format!("/readyz répond {}", a.status))
            }
        }),
        Err(e) => Err(e),
    };
    report.check("readyz", ready);

    let https = opts.url.scheme() == "https";
    if https {
        report.check("tls", Ok("https".into()));
    } else if loopback(&opts.url) {
        report.skip("tls", "http sur cette machine (déploiement de test)");
    } else {
        report.check(
            "tls",
            Err("http : un déploiement doit être servi en https".into()),
        );
    }

    let page = match at(&opts.url, "/profil") {
        Ok(u) => b.get(&u).await,
        Err(e) => Err(e),
    };
    let page = match page {
        Ok(p) if p.status == 200 => p,
        Ok(p) => {
            report.check("headers", Err(format!("/profil répond {}", p.status)));
            return;
        }
        Err(e) => {
            report.check("headers", Err(e));
            return;
        }
    };
    headers(&page, https, report);
}

fn header<'a>(a: &'a Answer, name: &str) -> Option<&'a str> {
    a.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The security headers a page must carry (SECURITY.md, SES-*).
fn headers(page: &Answer, https: bool, report: &mut Report) {
    let csp = header(page, "content-security-policy");
    report.check(
        "headers.content-security-policy",
        match csp {
            Some(v) if v.contains("default-src") => Ok(v.to_owned()),
            Some(v) => Err(format!("sans default-src : {v}")),
            None => Err("absent".into()),
        },
    );
    report.check(
        "headers.x-content-type-options",
        match header(page, "x-content-type-options") {
            Some(v) if v.eq_ignore_ascii_case("nosniff") => Ok(v.to_owned()),
            Some(v) => Err(format!("« {v} » au lieu de nosniff")),
            None => Err("absent".into()),
        },
    );
    let framed = csp.is_some_and(|c| c.contains("frame-ancestors 'none'"));
    report.check(
        "headers.x-frame-options",
        match header(page, "x-frame-options") {
            Some(v) if v.eq_ignore_ascii_case("deny") || v.eq_ignore_ascii_case("sameorigin") => {
                Ok(v.to_owned())
            }
            _ if framed => Ok("CSP frame-ancestors 'none'".into()),
            Some(v) => Err(format!("« {v} » au lieu de DENY")),
            None => Err("absent (ni X-Frame-Options ni frame-ancestors)".into()),
        },
    );
    report.check(
        "headers.referrer-policy",
        match header(page, "referrer-policy") {
            Some(v) if ["no-referrer", "same-origin", "strict-origin"].contains(&v) => {
                Ok(v.to_owned())
            }
            Some(v) => Err(format!("« {v} » laisse partir l'adresse des pages")),
            None => Err("absent".into()),
        },
    );
    report.check(
        "headers.cache-control",
        match header(page, "cache-control") {
            Some(v) if v.contains("no-store") => Ok(v.to_owned()),
            Some(v) => Err(format!(
                "« {v} » : les pages à formulaire doivent être no-store"
            )),
            None => Err("absent".into()),
        },
    );
    match header(page, "strict-transport-security") {
        _ if !https => report.skip("headers.strict-transport-security", "http"),
        Some(v) if v.contains("max-age=") && !v.contains("max-age=0") => {
            report.check("headers.strict-transport-security", Ok(v.to_owned()));
        }
        Some(v) => {
            report.check("headers.strict-transport-security", Err(format!("« {v} »")));
        }
        None => {
            report.check("headers.strict-transport-security", Err("absent".into()));
        }
    }
}

/// The flags of every cookie the deployment set during the run.
pub fn cookies(b: &Browser, opts: &Options, report: &mut Report) {
    let seen = b
        .cookies
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    if seen.is_empty() {
        report.skip("cookies", "aucun cookie reçu (pas de connexion faite)");
        return;
    }
    let https = opts.url.scheme() == "https";
    let mut wrong = Vec::new();
    for (_, c) in &seen {
        let name = c.split('=').next().unwrap_or_default().trim();
        let attrs: Vec<String> = c
            .split(';')
            .skip(1)
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        let has = |a: &str| {
            attrs
                .iter()
                .any(|x| x == a || x.starts_with(&format!("{a}=")))
        };
        let mut missing = Vec::new();
        if !has("httponly") {
            missing.push("HttpOnly");
        }
        if !attrs
            .iter()
            .any(|a| a == "samesite=lax" || a == "samesite=strict")
        {
            missing.push("SameSite=Lax|Strict");
        }
        if https && !has("secure") {
            missing.push("Secure");
        }
        if https && !name.starts_with("__Host-") && !name.starts_with("__Secure-") {
            missing.push("préfixe __Host-");
        }
        if !missing.is_empty() {
            wrong.push(format!("{name} sans {}", missing.join(", ")));
        }
    }
    wrong.dedup();
    report.check(
        "cookies",
        if wrong.is_empty() {
            Ok(format!("{} cookie(s) posé(s), tous protégés", seen.len()))
        } else {
            Err(wrong.join(" ; "))
        },
    );
}

/// The page's title, to say where a walk stopped.
fn title(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    lower
        .find("<title>")
        .and_then(|i| {
            let rest = &html[i + 7..];
            rest.find('<').map(|e| rest[..e].trim().to_owned())
        })
        .unwrap_or_default()
}

/// Walks from `start` like a browser: follows redirects within the
/// deployment, chooses `user`'s profile, fills the login form, accepts a
/// consent page; stops at the first redirect that leaves for `leave` (a
/// redirect URI, a service) or another origin, and answers it.
pub async fn walk(b: &Browser, start: Url, user: &User, leave: &str) -> Result<Url, String> {
    let mut answer = b.get(&start).await?;
    let mut logged_in = false;
    for _ in 0..16 {
        if let Some(to) = answer.location() {
            if to.as_str().starts_with(leave) || to.origin() != answer.url.origin() {
                return Ok(to);
            }
            answer = b.get(&to).await?;
            continue;
        }
        if answer.status != 200 {
            return Err(format!(
                "{} répond {} ({})",
                answer.url.path(),
                answer.status,
                title(&answer.body)
            ));
        }
        if answer.url.path() == "/profil" {
            // The first screen: the user's profile, as its link does.
            let mut to = answer.url.join("/connexion").map_err(|e| e.to_string())?;
            to.query_pairs_mut().append_pair("profil", &user.profile);
            for (k, v) in answer.url.query_pairs() {
                to.query_pairs_mut().append_pair(&k, &v);
            }
            answer = b.get(&to).await?;
            continue;
        }
        let all = forms(&answer.body);
        if let Some(login) = all.iter().find(|f| f.method == "post" && f.has("password")) {
            if logged_in {
                return Err(format!(
                    "identifiant ou mot de passe refusé par la page de connexion ({})",
                    title(&answer.body)
                ));
            }
            logged_in = true;
            let to = answer.url.join(&login.action).map_err(|e| e.to_string())?;
            let fields = login.fill(
                &[
                    ("identifiant", &user.identifiant),
                    ("password", &user.password),
                ],
                None,
            );
            answer = b.post(&to, &fields).await?;
            continue;
        }
        if let Some(consent) = all
            .iter()
            .find(|f| f.method == "post" && f.buttons.iter().any(|(_, v)| v == "autoriser"))
        {
            let to = answer
                .url
                .join(&consent.action)
                .map_err(|e| e.to_string())?;
            answer = b.post(&to, &consent.fill(&[], Some("autoriser"))).await?;
            continue;
        }
        return Err(format!(
            "page inattendue {} ({})",
            answer.url.path(),
            title(&answer.body)
        ));
    }
    Err("trop de redirections".into())
}
