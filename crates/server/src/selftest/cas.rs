//! The CAS checks: a login with a service gives a ticket, CAS 3.0
//! `p3/serviceValidate` accepts it once and refuses its replay.

use super::browser::Browser;
use super::{Options, Report, at};
use url::Url;

/// The text of element `cas:{name}` in a CAS response.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<cas:{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find("</cas:")?;
    Some(xml[start..start + end].trim().to_owned())
}

async fn validate(
    b: &Browser,
    opts: &Options,
    service: &Url,
    ticket: &str,
) -> Result<String, String> {
    let mut url = at(&opts.url, "/cas/p3/serviceValidate")?;
    url.query_pairs_mut()
        .append_pair("service", service.as_str())
        .append_pair("ticket", ticket);
    let a = b.get(&url).await?;
    if a.status != 200 {
        return Err(format!("p3/serviceValidate répond {}", a.status));
    }
    Ok(a.body)
}

/// Login → ticket → validation → replay.
pub async fn flow(b: &Browser, opts: &Options, report: &mut Report) {
    let names = ["cas.login", "cas.validate", "cas.replay"];
    let (Some(service), Some(user)) = (&opts.cas_service, &opts.user) else {
        for n in names {
            report.skip(n, "il faut --cas-service, --identifiant et --password-file");
        }
        return;
    };
    let start = at(&opts.url, "/cas/login").map(|mut u| {
        u.query_pairs_mut().append_pair("service", service.as_str());
        u
    });
    let back = match start {
        Ok(u) => super::web::walk(b, u, user, service.as_str()).await,
        Err(e) => Err(e),
    };
    let ticket = back.and_then(|back| {
        back.query_pairs()
            .find(|(k, _)| k == "ticket")
            .map(|(_, v)| v.into_owned())
            .filter(|_| back.as_str().starts_with(service.as_str()))
            .ok_or_else(|| format!("renvoyé sans ticket : {back}"))
    });
    let ticket = match ticket {
        Ok(t) if t.starts_with("ST-") => {
            report.check("cas.login", Ok("ticket ST- reçu".into()));
            t
        }
        Ok(t) => {
            report.check("cas.login", Err(format!("ticket sans préfixe ST- : {t}")));
            report.skip("cas.validate", "connexion CAS en échec");
            report.skip("cas.replay", "connexion CAS en échec");
            return;
        }
        Err(e) => {
            report.check("cas.login", Err(e));
            report.skip("cas.validate", "connexion CAS en échec");
            report.skip("cas.replay", "connexion CAS en échec");
            return;
        }
    };
    let first = validate(b, opts, service, &ticket).await;
    let user_name = first
        .as_ref()
        .ok()
        .filter(|x| x.contains("<cas:authenticationSuccess>"))
        .and_then(|x| element(x, "user"));
    match (&first, user_name) {
        (Ok(_), Some(u)) => {
            report.check("cas.validate", Ok(format!("utilisateur {u}")));
        }
        (Ok(x), None) => {
            let code = x
                .find("code=\"")
                .map(|i| x[i + 6..].split('"').next().unwrap_or_default().to_owned())
                .unwrap_or_default();
            report.check("cas.validate", Err(format!("ticket refusé ({code})")));
            report.skip("cas.replay", "validation en échec");
            return;
        }
        (Err(e), _) => {
            report.check("cas.validate", Err(e.clone()));
            report.skip("cas.replay", "validation en échec");
            return;
        }
    }
    report.check(
        "cas.replay",
        match validate(b, opts, service, &ticket).await {
            Ok(x) if x.contains("authenticationFailure") && x.contains("INVALID_TICKET") => {
                Ok("second usage refusé (INVALID_TICKET)".into())
            }
            Ok(x) if x.contains("authenticationSuccess") => {
                Err("le même ticket est validé deux fois".into())
            }
            Ok(x) => Err(format!(
                "réponse inattendue : {}",
                x.chars().take(200).collect::<String>()
            )),
            Err(e) => Err(e),
        },
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn cas_elements_are_read() {
        let x = "<cas:serviceResponse><cas:authenticationSuccess>\n<cas:user> camille.martin </cas:user></cas:authenticationSuccess></cas:serviceResponse>";
        assert_eq!(super::element(x, "user").as_deref(), Some("camille.martin"));
        assert_eq!(super::element(x, "proxyGrantingTicket"), None);
    }
}
