//! Error policy: a failure becomes a plain French page (or JSON for API
//! routes) that names no internal detail; the cause is logged once, here.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// An error at the HTTP edge.
#[derive(Debug)]
pub enum WebError {
    /// Something failed inside; the cause is logged, never shown.
    Internal(String),
    /// A dependency (database, store) does not answer: 503 with Retry-After.
    Unavailable(String),
    /// No such page.
    NotFound,
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} – Sésame</title></head><body><main><h1>{title}</h1><p>{text}</p><p><a href=\"/\">Retour à l'accueil</a></p></main></body></html>"
    );
    (status, Html(body)).into_response()
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
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
                    .insert("retry-after", axum::http::HeaderValue::from_static("5"));
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
    WebError::Internal("a handler panicked".into()).into_response()
}
