//! OpenID Connect: discovery, JWKS, and the authorization code flow
//! (`/oidc/authorize`, `/oidc/token`, `/oidc/userinfo`).

use crate::client_ip::ClientIp;
use crate::pages::{current_session, message};
use crate::resume::Resume;
use crate::{AppState, WebError, cookies};
use axum::extract::rejection::FormRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::headers::authorization::{Basic, Bearer};
use axum_extra::headers::{Authorization, HeaderMapExt};
use sesame_service::config::Config;
use sesame_service::oidc::flow::{self, AuthorizeError, Delivery, ErrorCode};
use sesame_service::oidc::resource::{self, TokenQuery};
use sesame_service::oidc::token::{self, TokenError, TokenRequest};
use sesame_service::oidc::{clients, discovery, keys};

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

fn json(body: String) -> Response {
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
    let doc = discovery::document(&app).map_err(WebError::internal)?;
    Ok(json(doc.to_string()))
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

#[derive(serde::Deserialize, Default)]
struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    code_verifier: Option<String>,
    #[serde(default)]
    refresh_token: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// HTTP Basic client credentials (RFC 6749 §2.3.1), the scheme matched
/// case-insensitively (RFC 7235 §2.1); each part is form-urlencoded.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let auth = headers.typed_get::<Authorization<Basic>>()?;
    let (id, secret) = (auth.username(), auth.password());
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((dec(id)?, dec(secret)?))
}

/// The token endpoint (RFC 6749 §3.2): a body that is missing or not
/// `application/x-www-form-urlencoded` is `invalid_request` (§5.2).
async fn token(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return token_error(&TokenError::InvalidRequest);
    };
    let (client_id, client_secret) = match basic(&headers) {
        Some((id, secret)) => (id, Some(secret)),
        None => (
            f.client_id.clone().unwrap_or_default(),
            f.client_secret.clone(),
        ),
    };
    let req = TokenRequest {
        grant_type: f.grant_type,
        code: f.code,
        redirect_uri: f.redirect_uri,
        code_verifier: f.code_verifier,
        refresh_token: f.refresh_token,
        client_id,
        client_secret,
        ip,
    };
    match token::token(&app, &req).await {
        Ok(body) => token_json(StatusCode::OK, body.to_string()),
        Err(e) => token_error(&e),
    }
}

async fn userinfo(State(app): State<AppState>, headers: HeaderMap) -> Result<Response, WebError> {
    // RFC 6750 §2.1; the scheme is case-insensitive (RFC 7235 §2.1).
    let auth = headers.typed_get::<Authorization<Bearer>>();
    let bearer = auth.as_ref().map_or("", |a| a.token().trim());
    match resource::userinfo(&app, bearer).await? {
        Some(claims) => Ok((
            [(header::CONTENT_TYPE, "application/json")],
            claims.to_string(),
        )
            .into_response()),
        None => Ok((
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response()),
    }
}

#[derive(serde::Deserialize, Default)]
struct QueryForm {
    #[serde(default)]
    token: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn token_query(headers: &HeaderMap, f: QueryForm, ip: String) -> TokenQuery {
    let (client_id, client_secret) = match basic(headers) {
        Some((id, secret)) => (id, Some(secret)),
        None => (f.client_id.unwrap_or_default(), f.client_secret),
    };
    TokenQuery {
        token: f.token,
        client_id,
        client_secret,
        ip,
    }
}

/// A JSON answer of the token, revocation or introspection endpoint;
/// never cached (RFC 6749 §5.1: `Cache-Control: no-store`,
/// `Pragma: no-cache`).
fn token_json(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// A refused token, revocation or introspection request: RFC 6749 §5.2's
/// JSON body. A failure inside was logged once by the service; the store
/// or database not answering is 503 with `Retry-After` (the error policy
/// in [`crate::error`]), anything else inside 500, both `server_error`.
fn token_error(e: &TokenError) -> Response {
    let code = e.code();
    let body = code.body().to_string();
    let status = if e.is_unavailable() {
        StatusCode::SERVICE_UNAVAILABLE
    } else if e.is_internal() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if code.wants_authentication() {
        // RFC 6749 §5.2: 401 with the scheme the client may use.
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut r = token_json(status, body);
    let h = r.headers_mut();
    if status == StatusCode::UNAUTHORIZED {
        h.insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"sesame\""),
        );
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        h.insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
    r
}

/// RFC 7009.
async fn revoke(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Form<QueryForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return token_error(&TokenError::InvalidRequest);
    };
    match resource::revoke(&app, &token_query(&headers, f, ip)).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => token_error(&e),
    }
}

/// RFC 7662.
async fn introspect(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Form<QueryForm>, FormRejection>,
) -> Response {
    let Ok(Form(f)) = form else {
        return token_error(&TokenError::InvalidRequest);
    };
    match resource::introspect(&app, &token_query(&headers, f, ip)).await {
        Ok(v) => token_json(StatusCode::OK, v.to_string()),
        Err(e) => token_error(&e),
    }
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
