//! The error policy of the web edge (after crates.io's `util/errors.rs`).
//!
//! - Expected failures (a wrong password, an unknown ticket, a refused
//!   client) are not errors here: handlers answer them as pages or as the
//!   protocol's own responses (CAS XML/JSON, OAuth JSON).
//! - A dependency that does not answer (the database, the ephemeral store)
//!   is [`WebError::Unavailable`]: 503 with `Retry-After`, logged once at
//!   `warn`. A retry may cure it; an operator's alert counts them.
//! - Anything else that failed inside is [`WebError::Internal`]: 500,
//!   its cause logged once at `error`, in the request's span (which carries
//!   the request id).
//! - No 5xx shows its cause: the page names no internal detail.
//! - Conversions keep the cause: a `map_err` that drops its error
//!   (`map_err(|_| …)`) is a defect. Protocol errors (`TokenError`, CAS
//!   failures) follow the same classification in their own formats.

use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sesame_service::config::Config;
use sesame_store::{DbErr, EphemeralError, StoreError};

/// A failure's cause, kept for the log.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error at the HTTP edge.
#[derive(Debug)]
pub enum WebError {
    /// Something failed inside; the cause is logged, never shown.
    Internal(Cause),
    /// A dependency (database, store) does not answer: 503 with Retry-After.
    Unavailable(Cause),
    /// No such page.
    NotFound,
}

impl WebError {
    /// An internal failure with its cause.
    pub fn internal(cause: impl Into<Cause>) -> Self {
        WebError::Internal(cause.into())
    }

    /// A dependency that does not answer, with its cause.
    pub fn unavailable(cause: impl Into<Cause>) -> Self {
        WebError::Unavailable(cause.into())
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            WebError::Unavailable(e.into())
        } else {
            WebError::Internal(e.into())
        }
    }
}

impl From<EphemeralError> for WebError {
    fn from(e: EphemeralError) -> Self {
        StoreError::from(e).into()
    }
}

impl From<DbErr> for WebError {
    fn from(e: DbErr) -> Self {
        StoreError::from(e).into()
    }
}

impl From<sesame_service::upstream::UpstreamError> for WebError {
    fn from(e: sesame_service::upstream::UpstreamError) -> Self {
        match e {
            sesame_service::upstream::UpstreamError::Store(s) => s.into(),
            other => WebError::Internal(other.into()),
        }
    }
}

impl From<sesame_service::oidc::keys::KeyError> for WebError {
    fn from(e: sesame_service::oidc::keys::KeyError) -> Self {
        match e {
            sesame_service::oidc::keys::KeyError::Store(s) => s.into(),
            other => WebError::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(e.into())
    }
}

/// What an error page says. [`WebError`] and the fallbacks put it on their
/// response; [`render_errors`], outside every layer that can fail, renders it
/// with the site's layout and branding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ErrorText {
    /// The title's key in the .ftl files (the page is rendered in the
    /// request's language).
    title: &'static str,
    /// The text's key.
    text: &'static str,
}

impl ErrorText {
    /// The words for a status that came without any (an extractor's
    /// rejection, a timeout, a body over the limit, a wrong method).
    fn for_status(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            c @ (404 | 405 | 410 | 413 | 429 | 503) => c,
            400 | 415 | 422 => 400,
            500..=599 => 500,
            _ => 0,
        };
        let (title, text) = match code {
            404 => ("erreur-404-titre", "erreur-404-texte"),
            405 => ("erreur-405-titre", "erreur-405-texte"),
            410 => ("erreur-410-titre", "erreur-410-texte"),
            413 => ("erreur-413-titre", "erreur-413-texte"),
            400 => ("erreur-400-titre", "erreur-400-texte"),
            429 => ("erreur-429-titre", "erreur-429-texte"),
            503 => ("erreur-503-titre", "erreur-503-texte"),
            500 => ("erreur-500-titre", "erreur-500-texte"),
            _ => ("erreur-autre-titre", "erreur-autre-texte"),
        };
        Self { title, text }
    }
}

/// The page of an error.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    site: &'a Config,
    title: &'a str,
    text: &'a str,
}

fn page(status: StatusCode, text: ErrorText) -> Response {
    let mut r = (status, crate::i18n::tr(text.title)).into_response();
    r.extensions_mut().insert(text);
    r
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Internal(cause) => {
                tracing::error!(error = %cause, source = ?cause.source().map(ToString::to_string), "internal error");
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorText::for_status(StatusCode::INTERNAL_SERVER_ERROR),
                )
            }
            WebError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "dependency unavailable");
                let mut r = page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorText::for_status(StatusCode::SERVICE_UNAVAILABLE),
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                r
            }
            WebError::NotFound => page(
                StatusCode::NOT_FOUND,
                ErrorText::for_status(StatusCode::NOT_FOUND),
            ),
        }
    }
}

pub(crate) async fn not_found() -> Response {
    WebError::NotFound.into_response()
}

pub(crate) fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    WebError::internal("a handler panicked").into_response()
}

/// Whether a path answers programs (CAS validation, OpenID Connect
/// back-channel endpoints, probes) rather than browsers: their errors keep
/// their own format.
fn machine_path(path: &str) -> bool {
    const BROWSER_OIDC: [&str; 3] = ["/oidc/authorize", "/oidc/consentement", "/oidc/logout"];
    (path.starts_with("/oidc/") && !BROWSER_OIDC.contains(&path))
        || path.starts_with("/.well-known/")
        || (path.starts_with("/cas/") && path != "/cas/login" && path != "/cas/logout")
        || matches!(path, "/metrics" | "/healthz" | "/readyz")
}

/// Renders every error answered to a browser with the site's layout and
/// branding: the pages of [`WebError`], and the bare answers of the layers
/// and extractors (404, 405, 413, 415, 422, 503 after a timeout, 500 after
/// a panic). Headers (`Retry-After`, `Allow`) are kept.
pub(crate) async fn render_errors(
    State(app): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let machine = machine_path(req.uri().path());
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let bare = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| t.starts_with("text/plain"));
    let text = match res.extensions().get::<ErrorText>() {
        Some(t) => *t,
        None if bare && !machine => ErrorText::for_status(status),
        None => return res,
    };
    let html = match (ErrorPage {
        site: &app.config,
        title: &crate::i18n::tr(text.title),
        text: &crate::i18n::tr(text.text),
    })
    .render()
    {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "error page cannot be rendered");
            return res;
        }
    };
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        parts
            .headers
            .entry(header::RETRY_AFTER)
            .or_insert(HeaderValue::from_static("5"));
    }
    Response::from_parts(parts, Body::from(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_failures_are_classified_by_cause() {
        let cases: Vec<(WebError, StatusCode)> = vec![
            (
                EphemeralError::from_text("redis: timed out").into(),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                DbErr::Conn(sesame_store::RuntimeErr::Internal("refused".into())).into(),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                DbErr::Exec(sesame_store::RuntimeErr::Internal(
                    "database is locked".into(),
                ))
                .into(),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                DbErr::Exec(sesame_store::RuntimeErr::Internal(
                    "UNIQUE constraint failed".into(),
                ))
                .into(),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                DbErr::RecordNotFound("accounts".into()).into(),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                DbErr::Type("bad".into()).into(),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                sesame_service::oidc::keys::KeyError::Store(
                    EphemeralError::from_text("redis: timed out").into(),
                )
                .into(),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                sesame_service::oidc::keys::KeyError::Crypto("cannot decrypt".into()).into(),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                WebError::internal("boom"),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (WebError::NotFound, StatusCode::NOT_FOUND),
        ];
        for (e, status) in cases {
            let label = format!("{e:?}");
            let r = e.into_response();
            assert_eq!(r.status(), status, "{label}");
            assert_eq!(
                r.headers().contains_key(header::RETRY_AFTER),
                status == StatusCode::SERVICE_UNAVAILABLE,
                "{label}"
            );
        }
    }
}
