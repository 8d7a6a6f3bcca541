//! Ticket validation: `/validate`, `/serviceValidate`, `/proxyValidate`,
//! their `/p3/` forms and `/proxy` (CAS 3.0 §2.4–§2.9). This module does
//! the IO — takes the ticket out of the store, reads the session, the
//! account and the attributes, calls the proxy callback — and
//! [`sesame_cas::validate`] decides. The outcome is protocol-neutral; the
//! web crate writes it as CAS 1.0 text, XML or JSON.

use super::tickets::{ServiceTicket, drop_pgt, find_pgt, issue_pgt, issue_ticket, take};
use crate::app::App;
use sesame_cas::Registration;
use sesame_cas::ticket::PROXY;
use sesame_cas::validate::{
    Granting, ProxyRequest, Record, Rights, callback_url, check_proxy_request, check_request,
    decide, decide_proxy,
};
use sesame_store::identity::account_with_identity;

pub use sesame_cas::validate::{Failure, FailureCode, Request, Success};

/// Validates a service ticket for a service.
pub async fn validate(app: &App, req: Request<'_>) -> Result<Success, Failure> {
    let r = validate_inner(app, req).await;
    let result = if r.is_ok() { "success" } else { "failure" };
    metrics::counter!("sesame_cas_validations_total", "result" => result).increment(1);
    r
}

fn internal(e: &dyn std::fmt::Display) -> Failure {
    tracing::error!(error = %e, "ticket validation failed");
    Failure::internal()
}

async fn validate_inner(app: &App, req: Request<'_>) -> Result<Success, Failure> {
    // CAS-08: the syntax is checked before any store lookup.
    check_request(&req)?;
    let now = app.clock.now().unix_timestamp();
    let Some(st) = take(app, req.ticket).await.map_err(|e| internal(&e))? else {
        // Unknown, already used or collected: the decision's failure.
        return Err(decide(&req, None, now)
            .err()
            .unwrap_or_else(Failure::internal));
    };
    // The account and what its attributes are made of, in one query.
    let found = account_with_identity(&app.db, st.account_id, app.clock.now().date())
        .await
        .map_err(|e| internal(&e))?;
    // The row just read gives the account's generation (a deleted
    // account has none that a ticket could match).
    let current = found.as_ref().map_or(-1, |(a, _)| a.session_generation);
    let alive = crate::session::alive_at(app, &st.sid, st.generation, current)
        .await
        .map_err(|e| internal(&e))?;
    let account = found.filter(|(a, _)| a.is_active());
    let service = app.config.services.iter().find(|s| s.id == st.service_id);
    let cas = service.and_then(|s| s.cas.as_ref());
    let record = Record {
        ticket: &st,
        session_alive: alive,
        account_active: account.is_some(),
        service: service.map(|_| Rights {
            proxy_allowed: cas.is_some_and(|c| c.proxy_allowed),
            callbacks: Registration {
                urls: cas.map_or(&[][..], |c| &c.proxy_callback_urls),
                patterns: cas.map_or(&[][..], |c| &c.compiled_callbacks),
            },
        }),
    };
    let granting = decide(&req, Some(&record), now).inspect_err(|f| {
        if f.code == FailureCode::InvalidService && st.service != req.service {
            tracing::warn!(service.id = %st.service_id, "service ticket presented by another service");
        }
    })?;
    // A success implies both (the decision checked them).
    let (Some(account), Some(service)) = (account, service) else {
        return Err(Failure::internal());
    };
    let (account, identity) = account;
    let attributes = super::attributes::release(service, &account, identity, &st.profile);
    let pgt_iou = match granting {
        Granting::Callback(url) => Some(proxy_callback(app, url, &st).await?),
        Granting::Unregistered => {
            tracing::warn!(service.id = %service.id, "pgtUrl not among the service's proxy callbacks: no PGT");
            None
        }
        Granting::None => None,
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

/// CAS §2.5.4: issues a PGT and hands it to the callback with its IOU; the
/// callback must answer 200 (certificates verified, redirects not followed),
/// else no PGT exists and validation fails.
async fn proxy_callback(app: &App, pgt_url: &str, st: &ServiceTicket) -> Result<String, Failure> {
    let url = callback_url(pgt_url, app.config.cas.allow_http_callbacks_on_loopback)?;
    let (id, iou) = issue_pgt(app, &st.granting(pgt_url))
        .await
        .map_err(|e| internal(&e))?;
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
        return Err(Failure::callback_failed());
    }
    Ok(iou)
}

/// `/proxy`: a proxy ticket for `target` from a proxy-granting ticket
/// (CAS 3.0 §2.7).
pub async fn proxy(app: &App, pgt: &str, target: &str) -> Result<String, Failure> {
    let req = ProxyRequest { pgt, target };
    let def = super::find_service(app, target);
    check_proxy_request(&req, def.is_some())?;
    let found = find_pgt(app, pgt).await.map_err(|e| internal(&e))?;
    let alive = match &found {
        Some(g) => Some(
            crate::session::alive(app, g.account_id, &g.sid, g.generation)
                .await
                .map_err(|e| internal(&e))?,
        ),
        None => None,
    };
    if alive == Some(false) {
        let _ = drop_pgt(app, pgt).await;
    }
    decide_proxy(&req, def.is_some(), alive)?;
    let (Some(g), Some(def)) = (found, def) else {
        return Err(Failure::internal());
    };
    issue_ticket(app, PROXY, g.proxy_ticket(target, &def.id))
        .await
        .map_err(|e| internal(&e))
}
