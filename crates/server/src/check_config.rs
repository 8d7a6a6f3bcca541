//! `sesame check-config`: beyond the validation every command runs (types,
//! ranges, secrets), the mistakes that only show in production: values
//! left from the demonstration or the development defaults, which would
//! end up on printed letters, in mails or on pages (issue 18 §6); and,
//! with `--connect`, whether the database, Redis, the SMTP server and the
//! upstream providers answer.
//!
//! In production mode the mistakes refuse the configuration (exit 3); in
//! development they are printed as notes, since they are the defaults.

use sesame_service::Config;
use sesame_service::config::{MailTransport, Mode, SmtpTls};
use std::net::IpAddr;
use std::time::Duration;

/// The académie name of the built-in defaults (the demonstration's).
const DEMO_ACADEMIE: &str = "Académie de démonstration";

/// Whether `host` names this machine (`localhost`, `*.localhost`, a
/// loopback or unspecified address).
fn is_local_host(host: &str) -> bool {
    let h = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h.parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

/// The production mistakes of `config`, one line each, naming the key.
pub fn mistakes(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let b = &config.branding;
    if b.portal_url.host_str().is_none_or(is_local_host) {
        out.push(format!(
            "key `branding.portal_url`: {} points to this machine; it is printed on the activation letters: give the académie's portal address",
            b.portal_url
        ));
    }
    if b.academie.trim() == DEMO_ACADEMIE {
        out.push(format!(
            "key `branding.academie`: « {DEMO_ACADEMIE} » is the demonstration's name; it appears on the pages, mails and letters: give the académie's name"
        ));
    }
    let from = &config.mail.from;
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .unwrap_or_default();
    if is_local_host(domain) {
        out.push(format!(
            "key `mail.from`: the sender {from:?} is on {domain}: mail servers refuse or mark such mails as spam: give an address of the académie's domain"
        ));
    }
    let dir = &config.server.services_dir;
    if !dir.is_dir() {
        out.push(format!(
            "key `server.services_dir`: the folder {} does not exist: no service can use Sésame",
            dir.display()
        ));
    }
    if b.logo.as_os_str().is_empty() {
        out.push(
            "key `branding.logo`: no logo is given: the pages and letters would carry none"
                .to_owned(),
        );
    } else if !b.logo.is_file() {
        out.push(format!(
            "key `branding.logo`: the file {} does not exist",
            b.logo.display()
        ));
    }
    let smtp = &config.mail.smtp;
    if config.mail.transport == MailTransport::Smtp
        && smtp.tls == SmtpTls::None
        && !is_local_host(&smtp.host)
    {
        out.push(format!(
            "key `mail.smtp.tls`: \"none\" towards {}, which is not this machine: passwords and mails (with their links) would cross the network in clear: use \"starttls\" or \"tls\"",
            smtp.host
        ));
    }
    out
}

/// What `--connect` found: one line per dependency, and whether all answered.
pub async fn connect(config: &Config) -> (Vec<String>, bool) {
    let mut lines = Vec::new();
    let mut ok = true;
    // `None`: nothing to reach.
    let mut report = |what: String, r: Option<Result<(), String>>| {
        match &r {
            None => lines.push(format!("-      {what}")),
            Some(Ok(())) => lines.push(format!("ok     {what}")),
            Some(Err(e)) => lines.push(format!("ÉCHEC  {what}: {e}")),
        }
        ok &= !matches!(r, Some(Err(_)));
    };

    let url = sesame_service::config::mask_url(&config.database.url);
    let opts = sesame_store::db::DbOptions {
        max_connections: 1,
        connect_timeout: Duration::from_secs(config.database.connect_timeout_secs),
    };
    let db = match sesame_store::Database::connect(&config.database.url, &opts).await {
        Ok(db) => {
            let r = db.ping().await.map_err(|e| e.to_string());
            let _ = db.close().await;
            r
        }
        Err(e) => Err(e.to_string()),
    };
    report(format!("database {url}"), Some(db));

    if let Some(target) = config.redis.target() {
        let r = match config.redis.ca_pem().and_then(|ca| {
            sesame_store::EphemeralStore::redis_at(
                &target,
                &config.redis.key_prefix,
                Duration::from_millis(config.redis.timeout_ms),
                ca.as_deref(),
            )
            .map_err(|e| e.to_string())
        }) {
            Ok(store) => store.ping().await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        report(format!("redis {}", config.redis.describe()), Some(r));
    } else {
        report(format!("redis: {}", config.redis.describe()), None);
    }

    match config.mail.transport {
        MailTransport::Outbox => {
            report("mail: outbox folder (nothing to reach)".to_owned(), None);
        }
        MailTransport::Smtp => {
            let smtp = &config.mail.smtp;
            let r = match sesame_service::mailer::Mailer::new(config) {
                Ok(m) => m.check_connection().await,
                Err(e) => Err(e),
            };
            report(format!("smtp {}:{} (EHLO)", smtp.host, smtp.port), Some(r));
        }
    }

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build();
    for u in &config.upstream {
        let url = format!(
            "{}/.well-known/openid-configuration",
            u.issuer.as_str().trim_end_matches('/')
        );
        let r = match &client {
            Ok(c) => discovery(c, &url).await,
            Err(e) => Err(e.to_string()),
        };
        report(format!("upstream {} {url}", u.id), Some(r));
    }
    (lines, ok)
}

/// Fetches a discovery document and checks that it is one.
async fn discovery(client: &reqwest::Client, url: &str) -> Result<(), String> {
    let r = client.get(url).send().await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("HTTP {}", r.status().as_u16()));
    }
    let text = r.text().await.map_err(|e| e.to_string())?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("not a discovery document: {e}"))?;
    if doc.get("authorization_endpoint").is_none() || doc.get("issuer").is_none() {
        return Err("not a discovery document (no issuer or authorization_endpoint)".into());
    }
    Ok(())
}

/// Whether the mistakes refuse the configuration (production) or are notes.
pub fn refuses(config: &Config) -> bool {
    config.server.mode == Mode::Production
}

#[cfg(test)]
mod tests {
    use super::is_local_host;

    #[test]
    fn local_hosts() {
        for (host, local) in [
            ("localhost", true),
            ("LOCALHOST.", true),
            ("app.localhost", true),
            ("127.0.0.1", true),
            ("127.1.2.3", true),
            ("[::1]", true),
            ("0.0.0.0", true),
            ("ent.ac-exemple.fr", false),
            ("10.0.0.5", false),
            ("localhost.ac-exemple.fr", false),
        ] {
            assert_eq!(is_local_host(host), local, "{host}");
        }
    }
}
