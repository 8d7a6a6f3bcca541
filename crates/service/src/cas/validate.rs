//! Ticket validation: `/validate`, `/serviceValidate`, `/proxyValidate` and
//! their `/p3/` forms. The outcome is protocol-neutral; the web crate
//! writes it as CAS 1.0 text, XML or JSON.

use super::tickets::{
    ProxyGrantingTicket, ServiceTicket, drop_pgt, find_pgt, issue_pgt, issue_ticket, take,
    well_formed,
};
use crate::app::App;
use sesame_store::accounts;

/// The error codes of CAS §2.5.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCode {
    /// Missing, repeated or unsupported parameters.
    InvalidRequest,
    /// Not a ticket of ours (syntax).
    InvalidTicketSpec,
    /// The service may not obtain proxy tickets.
    UnauthorizedServiceProxy,
    /// `/proxy`: the target service is not registered.
    UnauthorizedService,
    /// The proxy callback failed.
    InvalidProxyCallback,
    /// Unknown, used, expired, or not from a new login when `renew` was asked.
    InvalidTicket,
    /// The ticket was issued for another service.
    InvalidService,
    /// Something failed inside.
    InternalError,
}

impl FailureCode {
    /// The code as the protocol writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::InvalidTicketSpec => "INVALID_TICKET_SPEC",
            Self::UnauthorizedServiceProxy => "UNAUTHORIZED_SERVICE_PROXY",
            Self::UnauthorizedService => "UNAUTHORIZED_SERVICE",
            Self::InvalidProxyCallback => "INVALID_PROXY_CALLBACK",
            Self::InvalidTicket => "INVALID_TICKET",
            Self::InvalidService => "INVALID_SERVICE",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }
}

/// A failed validation: the code and a description (never the ticket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error code.
    pub code: FailureCode,
    /// Human-readable description.
    pub description: &'static str,
}

fn fail(code: FailureCode, description: &'static str) -> Failure {
    Failure { code, description }
}

/// A successful validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    /// The user (the identifiant).
    pub user: String,
    /// Login time, unix seconds.
    pub auth_time: i64,
    /// The ticket came from a login with credentials, not from SSO.
    pub from_new_login: bool,
    /// Released attributes, (name, values).
    pub attributes: Vec<(String, Vec<String>)>,
    /// The PGTIOU, when a proxy callback was asked for and succeeded.
    pub pgt_iou: Option<String>,
    /// For a proxy ticket: the proxies it went through, the nearest first.
    pub proxies: Vec<String>,
}

/// What the service sent.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `ticket`.
    pub ticket: &'a str,
    /// `service`.
    pub service: &'a str,
    /// `renew=true`.
    pub renew: bool,
    /// `pgtUrl`, the proxy callback.
    pub pgt_url: Option<&'a str>,
    /// `/proxyValidate` (accepts proxy tickets) rather than `/serviceValidate`.
    pub proxy_endpoint: bool,
}

/// Validates a service ticket for a service.
pub async fn validate(app: &App, req: Request<'_>) -> Result<Success, Failure> {
    let r = validate_inner(app, req).await;
    let result = if r.is_ok() { "success" } else { "failure" };
    metrics::counter!("sesame_cas_validations_total", "result" => result).increment(1);
    r
}

async fn validate_inner(app: &App, req: Request<'_>) -> Result<Success, Failure> {
    if req.ticket.is_empty() || req.service.is_empty() {
        return Err(fail(
            FailureCode::InvalidRequest,
            "Les paramètres ticket et service sont obligatoires.",
        ));
    }
    let prefixes: &[&str] = if req.proxy_endpoint {
        &["ST-", "PT-"]
    } else {
        &["ST-"]
    };
    if !well_formed(req.ticket, prefixes) {
        return Err(fail(
            FailureCode::InvalidTicketSpec,
            "Ce ticket n'est pas un ticket de service valable.",
        ));
    }
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "ticket validation failed");
        fail(FailureCode::InternalError, "Erreur interne.")
    };
    let Some(st) = take(app, req.ticket).await.map_err(|e| internal(&e))? else {
        return Err(fail(
            FailureCode::InvalidTicket,
            "Ticket inconnu, déjà utilisé ou expiré.",
        ));
    };
    if st.expires_at <= app.clock.now().unix_timestamp() {
        return Err(fail(
            FailureCode::InvalidTicket,
            "Ticket inconnu, déjà utilisé ou expiré.",
        ));
    }
    // Security: a ticket of a session that has ended (any logout path, a
    // password change) no longer validates (REV-05).
    if !crate::session::alive(app, st.account_id, &st.sid, st.generation)
        .await
        .map_err(|e| internal(&e))?
    {
        return Err(fail(
            FailureCode::InvalidTicket,
            "Ticket inconnu, déjà utilisé ou expiré.",
        ));
    }
    if st.service != req.service {
        tracing::warn!(service.id = %st.service_id, "service ticket presented by another service");
        return Err(fail(
            FailureCode::InvalidService,
            "Ce ticket n'a pas été délivré pour ce service.",
        ));
    }
    if req.renew && !st.from_new_login {
        return Err(fail(
            FailureCode::InvalidTicket,
            "Ce ticket ne provient pas d'une saisie du mot de passe (renew).",
        ));
    }
    let account = accounts::find(app.db.conn(), st.account_id)
        .await
        .map_err(|e| internal(&e))?
        .filter(|a| a.is_active())
        .ok_or_else(|| {
            fail(
                FailureCode::InvalidTicket,
                "Ticket inconnu, déjà utilisé ou expiré.",
            )
        })?;
    let Some(service) = app.config.services.iter().find(|s| s.id == st.service_id) else {
        return Err(fail(FailureCode::InvalidService, "Service inconnu."));
    };
    let attributes = super::attributes::release(app, service, &account, &st.profile)
        .await
        .map_err(|e| internal(&e))?;
    let proxy_allowed = service.cas.as_ref().is_some_and(|c| c.proxy_allowed);
    let pgt_iou = match req.pgt_url {
        // A service that may not proxy gets no PGT, whatever it asks; nor
        // does a callback the service did not register (REV-04): no call is
        // made, the validation succeeds without a PGT.
        Some(url)
            if proxy_allowed
                && service
                    .cas
                    .as_ref()
                    .is_some_and(|c| c.is_proxy_callback(url)) =>
        {
            Some(proxy_callback(app, url, &st).await?)
        }
        Some(_) if proxy_allowed => {
            tracing::warn!(service.id = %service.id, "pgtUrl not among the service's proxy callbacks: no PGT");
            None
        }
        _ => None,
    };
    Ok(Success {
        user: account.identifiant_display,
        auth_time: st.auth_time,
        from_new_login: st.from_new_login,
        attributes,
        pgt_iou,
        proxies: st.proxies,
    })
}

/// Whether a proxy callback URL may be called: https, or loopback http
/// when `cas.allow_http_callbacks_on_loopback` is set.
fn callback_allowed(app: &App, url: &url::Url) -> bool {
    match url.scheme() {
        "https" => {
            url.host_str().is_some() && url.username().is_empty() && url.password().is_none()
        }
        "http" => {
            app.config.cas.allow_http_callbacks_on_loopback
                && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
        }
        _ => false,
    }
}

/// CAS §2.5.4: issues a PGT and hands it to the callback with its IOU; the
/// callback must answer 200 (certificates verified, redirects not followed),
/// else no PGT exists and validation fails.
async fn proxy_callback(app: &App, pgt_url: &str, st: &ServiceTicket) -> Result<String, Failure> {
    let bad = |why: &'static str| fail(FailureCode::InvalidProxyCallback, why);
    let Ok(url) = url::Url::parse(pgt_url) else {
        return Err(bad("L'adresse de rappel du proxy n'est pas valable."));
    };
    if !callback_allowed(app, &url) {
        return Err(bad("L'adresse de rappel du proxy doit être en https."));
    }
    let mut proxies = vec![pgt_url.to_owned()];
    proxies.extend(st.proxies.iter().cloned());
    let pgt = ProxyGrantingTicket {
        account_id: st.account_id,
        profile: st.profile.clone(),
        auth_time: st.auth_time,
        proxies,
        sid: st.sid.clone(),
        generation: st.generation,
    };
    let (id, iou) = issue_pgt(app, &pgt)
        .await
        .map_err(|_| fail(FailureCode::InternalError, "Erreur interne."))?;
    let mut call = url.clone();
    call.query_pairs_mut()
        .append_pair("pgtId", &id)
        .append_pair("pgtIou", &iou);
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(super::slo::TIMEOUT_SECS))
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let ok = match client {
        Ok(c) => c
            .get(call)
            .send()
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::OK),
        Err(_) => false,
    };
    if !ok {
        let _ = drop_pgt(app, &id).await;
        tracing::warn!("proxy callback failed: no proxy-granting ticket");
        return Err(bad("Le rappel du proxy a échoué."));
    }
    Ok(iou)
}

/// `/proxy`: a proxy ticket for `target` from a proxy-granting ticket.
pub async fn proxy(app: &App, pgt: &str, target: &str) -> Result<String, Failure> {
    if pgt.is_empty() || target.is_empty() {
        return Err(fail(
            FailureCode::InvalidRequest,
            "Les paramètres pgt et targetService sont obligatoires.",
        ));
    }
    if !well_formed(pgt, &["PGT-"]) {
        return Err(fail(
            FailureCode::InvalidTicketSpec,
            "Ce ticket n'est pas un ticket d'octroi de proxy.",
        ));
    }
    let Some(def) = super::find_service(app, target) else {
        return Err(fail(
            FailureCode::UnauthorizedService,
            "Ce service cible n'est pas enregistré.",
        ));
    };
    let found = find_pgt(app, pgt)
        .await
        .map_err(|_| fail(FailureCode::InternalError, "Erreur interne."))?;
    let Some(g) = found else {
        return Err(fail(
            FailureCode::InvalidTicket,
            "Ticket d'octroi de proxy inconnu ou expiré.",
        ));
    };
    // Security: a PGT belongs to the SSO session that produced it; it ends
    // with it, or with a password change (REV-03).
    let alive = crate::session::alive(app, g.account_id, &g.sid, g.generation)
        .await
        .map_err(|_| fail(FailureCode::InternalError, "Erreur interne."))?;
    if !alive {
        let _ = drop_pgt(app, pgt).await;
        return Err(fail(
            FailureCode::InvalidTicket,
            "Ticket d'octroi de proxy inconnu ou expiré.",
        ));
    }
    let st = ServiceTicket {
        service: target.to_owned(),
        service_id: def.id.clone(),
        account_id: g.account_id,
        profile: g.profile,
        auth_time: g.auth_time,
        from_new_login: false,
        expires_at: 0,
        proxies: g.proxies,
        sid: g.sid,
        generation: g.generation,
    };
    issue_ticket(app, "PT-", st)
        .await
        .map_err(|_| fail(FailureCode::InternalError, "Erreur interne."))
}
