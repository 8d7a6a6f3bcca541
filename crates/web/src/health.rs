//! `/healthz` (the process is alive) and `/readyz` (its database and
//! ephemeral store answer, so a load balancer may send it traffic).

use crate::AppState;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Liveness: answers as long as the process serves requests.
async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// Readiness: 200 when the database and the store answer and the signing
/// keys open, 503 otherwise.
/// The causes are logged, not shown.
async fn readyz(State(app): State<AppState>) -> Response {
    let r = app.readiness().await;
    let word = |x: &Result<(), String>| if x.is_ok() { "ok" } else { "unavailable" };
    if let Err(e) = &r.database {
        tracing::warn!(error = %e, "readiness: database not answering");
    }
    if let Err(e) = &r.store {
        tracing::warn!(error = %e, "readiness: ephemeral store not answering");
    }
    // Issue 18 §3: never green while the signing keys cannot be opened
    // (a token_hmac_key replaced without listing the old one).
    let keys = if r.database.is_ok() {
        sesame_service::oidc::keys::usable(&app)
            .await
            .map_err(|e| e.to_string())
    } else {
        Err("database".to_owned())
    };
    if let Err(e) = &keys {
        tracing::error!(error = %e, "readiness: the OpenID Connect signing keys cannot be used");
    }
    let ready = r.ready() && keys.is_ok();
    let body = Json(json!({
        "status": if ready { "ready" } else { "not ready" },
        "database": word(&r.database),
        "store": word(&r.store),
        "signing_keys": word(&keys),
    }));
    if ready {
        body.into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "5")],
            body,
        )
            .into_response()
    }
}
