//! OpenID Connect: discovery, JWKS, and the authorization code flow
//! (`/oidc/authorize`, `/oidc/token`, `/oidc/userinfo`).

use crate::pages::{current_session, message};
use crate::resume::Resume;
use crate::{AppState, WebError, cookies};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use sesame_service::config::Config;
use sesame_service::oidc::flow::{self, AuthorizeError, Delivery, ErrorCode};
use sesame_service::oidc::{clients, discovery, keys};

mod tokens;

use tokens::{introspect, revoke, token, userinfo};

pub(crate) fn routes(state: AppState) -> Router<AppState> {
    // Called from web pages' scripts (public clients): CORS for the
    // registered origins only (OIDC-14).
    let api = Router::new()
        .route("/.well-known/openid-configuration", get(configuration))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/token", axum::routing::post(token))
        .route("/oidc/userinfo", get(userinfo).post(userinfo))
        .route("/oidc/revoke", axum::routing::post(revoke))
        .route("/oidc/introspect", axum::routing::post(introspect))
        .layer(axum::middleware::from_fn_with_state(state, cors));
    // Browser navigations: never CORS.
    Router::new()
        .route("/oidc/authorize", get(authorize).post(authorize_form))
        .route("/oidc/consentement", axum::routing::post(consent))
        .route("/oidc/logout", get(end_session).post(end_session_form))
        .merge(api)
}

/// The origins of the clients' redirect URIs.
fn allowed_origin(app: &AppState, origin: &str) -> bool {
    app.config
        .services
        .iter()
        .filter_map(|s| s.oidc.as_ref())
        .flat_map(|c| c.redirect_uris.iter())
        .any(|u| u.url().origin().ascii_serialization() == origin)
}

async fn cors(
    State(app): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| allowed_origin(&app, o))
        .and_then(|o| header::HeaderValue::from_str(o).ok());
    let preflight = req.method() == axum::http::Method::OPTIONS;
    let mut r = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(req).await
    };
    let h = r.headers_mut();
    h.append(header::VARY, header::HeaderValue::from_static("Origin"));
    if let Some(o) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        if preflight {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                header::HeaderValue::from_static("GET, POST"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                header::HeaderValue::from_static("Authorization, Content-Type"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                header::HeaderValue::from_static("600"),
            );
        }
    }
    r
}

fn json(body: axum::body::Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            // Relying parties cache these; a rotated key is published a
            // day before it signs.
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

async fn configuration(State(app): State<AppState>) -> Result<Response, WebError> {
    let doc = discovery::body(&app).map_err(WebError::internal)?;
    Ok(json(axum::body::Bytes::from_owner(SharedStr(doc))))
}

/// A shared string as a response body, without a copy.
struct SharedStr(std::sync::Arc<str>);

impl AsRef<[u8]> for SharedStr {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Whether an `If-None-Match` header names `etag` (weak comparison,
/// RFC 9110 §13.1.2) or is `*`.
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// The cached JWKS as a response body, without a copy.
struct SharedJwks(std::sync::Arc<keys::Jwks>);

impl AsRef<[u8]> for SharedJwks {
    fn as_ref(&self) -> &[u8] {
        self.0.body.as_bytes()
    }
}

/// `GET /oidc/jwks`: the bytes serialised when the keys last changed,
/// with their `ETag`; 304 when the client has them already.
async fn jwks(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    let set = keys::jwks(&app).await?;
    let etag = header::HeaderValue::from_str(&set.etag).map_err(WebError::internal)?;
    let cache = (header::CACHE_CONTROL, "public, max-age=300");
    if none_match(&headers, &set.etag) {
        return Ok((StatusCode::NOT_MODIFIED, [cache], [(header::ETAG, etag)]).into_response());
    }
    Ok((
        [(header::CONTENT_TYPE, "application/json"), cache],
        [(header::ETAG, etag)],
        axum::body::Bytes::from_owner(SharedJwks(set)),
    )
        .into_response())
}

fn found(location: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// The query of a GET, as pairs.
fn query_params(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// An error back to the client, as it asked: POSTed for `form_post`,
/// otherwise redirected (Form Post Response Mode §2).
fn send_error(
    app: &AppState,
    redirect_uri: &str,
    error: ErrorCode,
    state: Option<&str>,
    form_post: bool,
) -> Result<Response, WebError> {
    match flow::error_delivery(app, redirect_uri, error, state, form_post) {
        Delivery::Redirect(to) => Ok(found(to)),
        Delivery::FormPost(fields) => crate::onward::post_back(app, redirect_uri, fields),
    }
}

/// `GET /oidc/authorize` (OIDC Core §3.1.2.1).
async fn authorize(
    State(app): State<AppState>,
    jar: axum_extra::extract::CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    authorize_with(app, jar, query_params(raw.as_deref())).await
}

/// `POST /oidc/authorize`, form-encoded (OIDC Core §3.1.2.1: GET and
/// POST); a cross-site protocol request, so no CSRF token.
async fn authorize_form(
    State(app): State<AppState>,
    jar: axum_extra::extract::CookieJar,
    Form(params): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    authorize_with(app, jar, params).await
}

async fn authorize_with(
    app: AppState,
    jar: axum_extra::extract::CookieJar,
    params: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let req = match flow::check(&app, &params) {
        Ok(r) => r,
        Err(AuthorizeError::Page(refusal)) => {
            return message(
                &app,
                StatusCode::BAD_REQUEST,
                &crate::i18n::tr("oidc-demande-invalide"),
                &crate::i18n::tr(crate::i18n::oidc_refusal_key(refusal)),
                "/",
                &crate::i18n::tr("accueil"),
            );
        }
        Err(AuthorizeError::Redirect {
            redirect_uri,
            error,
            state,
            form_post,
        }) => return send_error(&app, &redirect_uri, error, state.as_deref(), form_post),
    };
    let session = current_session(&app, &jar).await?;
    let now = app.clock.now().unix_timestamp();
    let back = |error| {
        send_error(
            &app,
            &req.redirect_uri,
            error,
            req.state.as_deref(),
            req.form_post,
        )
    };
    match session {
        Some((_, s)) if s.must_change.is_none() && req.session_satisfies(s.auth_time, now) => {
            if flow::needs_consent(&app, &req, s.account_id).await? {
                if req.prompts("none") {
                    return back(ErrorCode::ConsentRequired);
                }
                return consent_page(&app, jar, &req, s.account_id).await;
            }
            answer(&app, &req, &s).await
        }
        _ if req.prompts("none") => back(ErrorCode::LoginRequired),
        _ => {
            // Credentials needed: the login page, then back here (without
            // prompt=login or max_age, which the login satisfies).
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &flow::after_login(&params) {
                q.append_pair(k, v);
            }
            let ctx = Resume {
                suite: format!("/oidc/authorize?{}", q.finish()),
                ..Resume::default()
            };
            let remembered = jar
                .get(&cookies::name(&app, cookies::PROFILE))
                .map(|c| c.value().to_owned())
                .filter(|p| crate::pages::source(&app, p).is_some());
            let to = match remembered {
                Some(p) => format!("/connexion?profil={p}{}", ctx.query()),
                None => format!("/profil?{}", ctx.query().trim_start_matches('&')),
            };
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response())
        }
    }
}

/// The code, by redirect or (`form_post`) by a page that posts it.
async fn answer(
    app: &AppState,
    req: &flow::AuthRequest,
    s: &sesame_service::session::Session,
) -> Result<Response, WebError> {
    let (to, fields) = flow::issue_code(app, req, s).await?;
    if req.form_post {
        return crate::onward::post_back(app, &req.redirect_uri, fields);
    }
    Ok(found(to))
}

#[derive(askama::Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    site: &'a Config,
    client: String,
    labels: Vec<String>,
    csrf: String,
    ticket: String,
}

async fn consent_page(
    app: &AppState,
    jar: axum_extra::extract::CookieJar,
    req: &flow::AuthRequest,
    account_id: i32,
) -> Result<Response, WebError> {
    let ticket = flow::hold_for_consent(app, req, account_id).await?;
    let (jar, csrf) = crate::csrf::issue(app, jar, crate::csrf::Form::Consent);
    let page = ConsentPage {
        site: &app.config,
        client: clients::client_name(app, &req.client_id),
        labels: req
            .scopes
            .iter()
            .map(|s| crate::i18n::scope_label(s))
            .collect(),
        csrf,
        ticket,
    };
    // Both answers go back to the client (the code, or access_denied).
    let target = url::Url::parse(&req.redirect_uri)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    Ok(crate::onward::with_form_targets(
        &[target],
        (jar, crate::pages::render(&page)?).into_response(),
    ))
}

#[derive(serde::Deserialize)]
struct ConsentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    decision: String,
}

/// The consent form's answer: the code (and the consent remembered), or
/// `access_denied` to the client.
async fn consent(
    State(app): State<AppState>,
    jar: axum_extra::extract::CookieJar,
    Form(f): Form<ConsentForm>,
) -> Result<Response, WebError> {
    if !crate::csrf::check(&app, &jar, &f.csrf, crate::csrf::Form::Consent).await? {
        return crate::pages::csrf_refused(&app);
    }
    let expired = || {
        message(
            &app,
            StatusCode::BAD_REQUEST,
            &crate::i18n::tr("demande-expiree"),
            &crate::i18n::tr("oidc-demande-expiree"),
            "/",
            &crate::i18n::tr("accueil"),
        )
    };
    let Some((_, s)) = current_session(&app, &jar).await? else {
        return expired();
    };
    let allow = f.decision == "autoriser";
    let Some(req) = flow::decide(&app, &f.ticket, s.account_id, allow).await? else {
        return expired();
    };
    if !allow {
        return send_error(
            &app,
            &req.redirect_uri,
            ErrorCode::AccessDenied,
            req.state.as_deref(),
            req.form_post,
        );
    }
    answer(&app, &req, &s).await
}

/// RP-initiated logout: back to the client's registered page when the
/// request carries a valid `id_token_hint`; otherwise a confirmation page.
async fn end_session(
    State(app): State<AppState>,
    jar: axum_extra::extract::CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    end_session_with(app, jar, query_params(raw.as_deref())).await
}

/// RP-initiated logout by POST, form-encoded (RP-Initiated Logout 1.0
/// §2): the same answer as by GET.
async fn end_session_form(
    State(app): State<AppState>,
    jar: axum_extra::extract::CookieJar,
    Form(params): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    end_session_with(app, jar, params).await
}

async fn end_session_with(
    app: AppState,
    jar: axum_extra::extract::CookieJar,
    params: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let current = current_session(&app, &jar).await?;
    let target = sesame_service::oidc::logout::post_logout_target(
        &app,
        get("id_token_hint"),
        get("post_logout_redirect_uri"),
        get("state"),
        current
            .as_ref()
            .map(|(_, s)| sesame_service::oidc::logout::Current {
                sid: &s.sid,
                account_id: s.account_id,
            }),
    )
    .await?;
    match target {
        Some(to) => {
            if let Some((token, s)) = current {
                sesame_service::slo::end(app.0.clone(), &token, s.sid).await?;
            }
            let jar = jar.add(cookies::removal(&app, cookies::SESSION));
            Ok((StatusCode::FOUND, jar, [(header::LOCATION, to)]).into_response())
        }
        None => {
            let (jar, csrf) = crate::csrf::issue(&app, jar, crate::csrf::Form::Logout);
            let page = crate::links::LinkPage {
                site: &app.config,
                title: &crate::i18n::tr("deconnexion-question"),
                text: &crate::i18n::tr("deconnexion-demande"),
                action: "/deconnexion",
                code: "",
                button: &crate::i18n::tr("se-deconnecter"),
                csrf,
            };
            Ok((jar, crate::pages::render(&page)?).into_response())
        }
    }
}
