//! The CAS 3.0 endpoints under `/cas` (Apereo CAS Protocol 3.0): `login`,
//! `logout`, `validate`, `serviceValidate`, `proxyValidate` and their `p3/`
//! forms, with `format=JSON`. Parameters are read strictly: a repeated or
//! unexpected-shape parameter is `INVALID_REQUEST`, never "first wins".

use crate::onward::post_back;
use crate::pages::{current_session, message, source};
use crate::resume::Resume;
use crate::{AppState, WebError, cookies};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use sesame_service::cas::{self, ServiceTicket, response, validate};
use sesame_service::session::Session;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/cas/login", get(login))
        .route("/cas/logout", get(logout))
        .route("/cas/validate", get(validate_v1))
        .route("/cas/serviceValidate", get(service_validate))
        .route("/cas/proxyValidate", get(proxy_validate))
        .route("/cas/p3/serviceValidate", get(p3_service_validate))
        .route("/cas/p3/proxyValidate", get(p3_proxy_validate))
        .route("/cas/proxy", get(proxy))
        .route("/cas/samlValidate", axum::routing::post(saml_validate))
}

/// A CAS boolean parameter (CAS 3.0 §2.1.1).
fn flag(v: Option<&String>) -> bool {
    sesame_cas::flag(v.map(String::as_str))
}

/// The query's parameters; `None` when one of `names` is repeated.
fn params(raw: Option<&str>, names: &[&str]) -> Option<Vec<(String, String)>> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    for n in names {
        if pairs.iter().filter(|(k, _)| k == n).count() > 1 {
            return None;
        }
    }
    Some(pairs)
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a String> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn bad_request(app: &AppState, text: &str) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::BAD_REQUEST,
        &crate::i18n::tr("demande-invalide"),
        text,
        "/",
        &crate::i18n::tr("accueil"),
    )
}

fn unknown_service(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::BAD_REQUEST,
        &crate::i18n::tr("cas-service-non-autorise-titre"),
        &crate::i18n::tr("cas-service-non-autorise-texte"),
        "/",
        &crate::i18n::tr("accueil"),
    )
}

/// Issues a service ticket for a session and sends the browser back to the
/// service (302, or an auto-submitting form for `method=POST`).
pub(crate) async fn redirect_with_ticket(
    app: &AppState,
    s: &Session,
    ctx: &Resume,
    from_new_login: bool,
    status: StatusCode,
) -> Result<Response, WebError> {
    let Some(def) = cas::find_service(app, &ctx.service) else {
        return unknown_service(app);
    };
    let st = ServiceTicket {
        service: ctx.service.clone(),
        service_id: def.id.clone(),
        account_id: s.account_id,
        profile: s.profile.clone(),
        auth_time: s.auth_time,
        from_new_login,
        expires_at: 0,
        proxies: Vec::new(),
        sid: s.sid.clone(),
        generation: s.generation,
    };
    let ticket = cas::issue_service_ticket(app, st).await?;
    sesame_service::slo::remember_cas(app, &s.sid, &def.id, &ticket).await?;
    tracing::info!(service.id = %def.id, account.id = s.account_id, from_new_login, "service ticket issued");
    if ctx.method.eq_ignore_ascii_case("post") {
        return post_back(app, &ctx.service, vec![("ticket".into(), ticket)]);
    }
    let location = cas::with_ticket(&ctx.service, &ticket);
    Ok((status, [(header::LOCATION, location)]).into_response())
}

async fn login(
    State(app): State<AppState>,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let Some(p) = params(raw.as_deref(), &["service", "renew", "gateway", "method"]) else {
        return bad_request(&app, &crate::i18n::tr("cas-parametre-repete"));
    };
    let ctx = Resume {
        service: param(&p, "service").cloned().unwrap_or_default(),
        renew: param(&p, "renew").cloned().unwrap_or_default(),
        method: param(&p, "method").cloned().unwrap_or_default(),
        suite: String::new(),
    };
    let renew = flag(param(&p, "renew"));
    let gateway = flag(param(&p, "gateway"));
    if !ctx.method.is_empty()
        && !["get", "post"].contains(&ctx.method.to_ascii_lowercase().as_str())
    {
        return bad_request(&app, &crate::i18n::tr("cas-parametre-method"));
    }
    if param(&p, "service").is_some() && cas::find_service(&app, &ctx.service).is_none() {
        return unknown_service(&app);
    }
    let session = current_session(&app, &jar).await?;
    if ctx.service.is_empty() {
        return Ok(Redirect::to("/").into_response());
    }
    if let Some((_, s)) = &session
        && !renew
        && s.must_change.is_none()
    {
        return redirect_with_ticket(&app, s, &ctx, false, StatusCode::FOUND).await;
    }
    if gateway && !renew && session.is_none() {
        return Ok((StatusCode::FOUND, [(header::LOCATION, ctx.service.clone())]).into_response());
    }
    // Credentials are needed: the remembered profile's login page, or the
    // profile choice, both carrying the service.
    let ctx = Resume {
        renew: if renew { "true".into() } else { String::new() },
        ..ctx
    };
    let remembered = jar
        .get(&cookies::name(&app, cookies::PROFILE))
        .map(|c| c.value().to_owned())
        .filter(|p| source(&app, p).is_some());
    let to = match remembered {
        Some(p) => format!("/connexion?profil={p}{}", ctx.query()),
        None => format!("/profil?{}", ctx.query().trim_start_matches('&')),
    };
    Ok(Redirect::to(&to).into_response())
}

async fn logout(
    State(app): State<AppState>,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let p = params(raw.as_deref(), &["service", "url"]).unwrap_or_default();
    if let Some((token, s)) = current_session(&app, &jar).await? {
        sesame_service::slo::end(app.0.clone(), &token, s.sid).await?;
    }
    let jar = jar.add(cookies::removal(&app, cookies::SESSION));
    // Security: only to a registered service URL (CAS 3.0 §2.3.1 `service`,
    // or the CAS 2.0 `url` parameter), never an open redirect.
    if let Some(service) = ["service", "url"]
        .into_iter()
        .filter_map(|n| param(&p, n))
        .find(|u| cas::find_service(&app, u).is_some())
    {
        return Ok((
            StatusCode::FOUND,
            jar,
            [(header::LOCATION, service.clone())],
        )
            .into_response());
    }
    let r = crate::pages::logged_out(&app)?;
    Ok((jar, r).into_response())
}

enum Shape {
    V1,
    V2,
    V3,
}

async fn run_validation(
    app: &AppState,
    raw: Option<&str>,
    shape: Shape,
    proxy_endpoint: bool,
) -> Response {
    let parsed = params(raw, &["ticket", "service", "renew", "format", "pgtUrl"]);
    let format = parsed
        .as_deref()
        .and_then(|p| param(p, "format"))
        .map(|f| f.to_ascii_uppercase());
    let json = format.as_deref() == Some("JSON");
    let outcome = match &parsed {
        None => Err(validate::Failure {
            code: validate::FailureCode::InvalidRequest,
            description: "Un paramètre est répété.",
        }),
        Some(_) if format.as_deref().is_some_and(|f| f != "JSON" && f != "XML") => {
            Err(validate::Failure {
                code: validate::FailureCode::InvalidRequest,
                description: "Format non pris en charge : XML ou JSON.",
            })
        }
        Some(p) => {
            let req = validate::Request {
                ticket: param(p, "ticket").map_or("", String::as_str),
                service: param(p, "service").map_or("", String::as_str),
                renew: flag(param(p, "renew")),
                pgt_url: param(p, "pgtUrl")
                    .map(String::as_str)
                    .filter(|u| !u.is_empty()),
                proxy_endpoint,
            };
            cas::validate(app, req).await
        }
    };
    let (body, kind) = match shape {
        Shape::V1 => (response::text_v1(&outcome), "text/plain; charset=utf-8"),
        _ if json => (
            response::json(&outcome, matches!(shape, Shape::V3)),
            "application/json",
        ),
        _ => (
            response::xml(&outcome, matches!(shape, Shape::V3)),
            "application/xml; charset=utf-8",
        ),
    };
    let status = match &outcome {
        Err(f) if f.code == validate::FailureCode::InvalidRequest && parsed.is_none() => {
            StatusCode::BAD_REQUEST
        }
        // The store or the database did not answer (a Redis failover):
        // the CAS failure, as 503 with Retry-After so that the service
        // tries again rather than sending its user to log in again.
        Err(f) if f.code == validate::FailureCode::InternalError => {
            let mut r = (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, kind)],
                body,
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            return r;
        }
        _ => StatusCode::OK,
    };
    (status, [(header::CONTENT_TYPE, kind)], body).into_response()
}

async fn validate_v1(State(app): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    run_validation(&app, raw.as_deref(), Shape::V1, false).await
}

async fn service_validate(State(app): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    run_validation(&app, raw.as_deref(), Shape::V2, false).await
}

async fn proxy_validate(State(app): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    run_validation(&app, raw.as_deref(), Shape::V2, true).await
}

async fn p3_service_validate(State(app): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    run_validation(&app, raw.as_deref(), Shape::V3, false).await
}

async fn p3_proxy_validate(State(app): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    run_validation(&app, raw.as_deref(), Shape::V3, true).await
}

/// `/cas/proxy?pgt=…&targetService=…`: a proxy ticket.
async fn proxy(State(app): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let parsed = params(raw.as_deref(), &["pgt", "targetService", "format"]);
    let json = parsed
        .as_deref()
        .and_then(|p| param(p, "format"))
        .is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let outcome = match &parsed {
        None => Err(validate::Failure {
            code: validate::FailureCode::InvalidRequest,
            description: "Un paramètre est répété.",
        }),
        Some(p) => {
            cas::proxy(
                &app,
                param(p, "pgt").map_or("", String::as_str),
                param(p, "targetService").map_or("", String::as_str),
            )
            .await
        }
    };
    let kind = if json {
        "application/json"
    } else {
        "application/xml; charset=utf-8"
    };
    let status = if parsed.is_none() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (
        status,
        [(header::CONTENT_TYPE, kind)],
        response::proxy(&outcome, json),
    )
        .into_response()
}

/// `POST /cas/samlValidate?TARGET=…` with a SOAP body (SAML 1.1).
async fn saml_validate(
    State(app): State<AppState>,
    RawQuery(raw): RawQuery,
    body: String,
) -> Response {
    let parsed = params(raw.as_deref(), &["TARGET"]);
    let target = parsed
        .as_deref()
        .and_then(|p| param(p, "TARGET"))
        .cloned()
        .unwrap_or_default();
    let outcome = match (&parsed, cas::saml::artifact(&body)) {
        (None, _) | (_, None) => Err(validate::Failure {
            code: validate::FailureCode::InvalidRequest,
            description: "Requête SAML ou paramètre TARGET invalide.",
        }),
        (Some(_), Some(ticket)) => {
            let req = validate::Request {
                ticket: &ticket,
                service: &target,
                renew: false,
                pgt_url: None,
                proxy_endpoint: false,
            };
            cas::validate(&app, req).await
        }
    };
    let issuer = app
        .config
        .server
        .public_url
        .host_str()
        .unwrap_or("sesame")
        .to_owned();
    let xml = cas::saml::response(&outcome, &target, &issuer, app.clock.now());
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()
}
