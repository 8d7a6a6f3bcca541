//! The endpoints relying parties call with their credentials or a token:
//! token (RFC 6749 §3.2), userinfo (OIDC Core §5.3), revocation (RFC 7009)
//! and introspection (RFC 7662), and their JSON answers.

use crate::client_ip::ClientIp;
use crate::{AppState, WebError};
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::headers::authorization::{Basic, Bearer};
use axum_extra::headers::{Authorization, HeaderMapExt};
use sesame_service::oidc::resource::{self, TokenQuery};
use sesame_service::oidc::token::{self, TokenError, TokenRequest};

#[derive(serde::Deserialize, Default)]
pub(super) struct TokenForm {
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
pub(super) async fn token(
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

pub(super) async fn userinfo(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
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
pub(super) struct QueryForm {
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
pub(super) async fn revoke(
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
pub(super) async fn introspect(
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
