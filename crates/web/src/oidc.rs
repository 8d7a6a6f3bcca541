//! OpenID Connect: the discovery document and the JWKS (the protocol
//! endpoints come next).

use crate::pages::unavailable;
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sesame_service::oidc::{discovery, keys};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(configuration))
        .route("/oidc/jwks", get(jwks))
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
    let doc = discovery::document(&app).map_err(WebError::Internal)?;
    Ok(json(doc.to_string()))
}

async fn jwks(State(app): State<AppState>) -> Result<Response, WebError> {
    let set = keys::jwks(&app).await.map_err(unavailable)?;
    Ok(json(set.to_string()))
}
