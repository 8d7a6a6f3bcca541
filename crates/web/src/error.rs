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

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
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

/// The page of an error.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    academie: &'a str,
    title: &'a str,
    text: &'a str,
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = ErrorPage {
        academie: "Sésame",
        title,
        text,
    }
    .render()
    // A formatter error cannot happen writing into a String; the bare
    // status line is the last resort.
    .unwrap_or_else(|_| title.to_owned());
    (status, Html(body)).into_response()
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Internal(cause) => {
                tracing::error!(error = %cause, source = ?cause.source().map(ToString::to_string), "internal error");
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur",
                    "Une erreur est survenue. Veuillez réessayer dans quelques instants.",
                )
            }
            WebError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "dependency unavailable");
                let mut r = page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service momentanément indisponible",
                    "Le service est momentanément indisponible. Veuillez réessayer dans quelques instants.",
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                r
            }
            WebError::NotFound => page(
                StatusCode::NOT_FOUND,
                "Page introuvable",
                "La page demandée n'existe pas.",
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
