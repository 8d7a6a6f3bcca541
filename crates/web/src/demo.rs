//! The demonstration télé-service of `sesame demo`, under `/demo/`: a CAS
//! client like an ENT, served by Sésame itself, that sends the browser to
//! `/cas/login`, receives a ticket, validates it over HTTP through
//! `/cas/p3/serviceValidate`, and shows what it received.

use crate::pages::render;
use crate::{AppState, WebError};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sesame_service::config::Config;
use sesame_service::config::DEMO_SERVICE_ID;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/demo/", get(demo))
}

#[derive(Template)]
#[template(path = "demo.html")]
struct DemoPage<'a> {
    site: &'a Config,
    login: String,
    ticket: String,
    xml: Option<String>,
    user: Option<String>,
}

#[derive(serde::Deserialize)]
struct TicketQuery {
    ticket: Option<String>,
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn demo(
    State(app): State<AppState>,
    Query(q): Query<TicketQuery>,
) -> Result<Response, WebError> {
    let Some(service) = app
        .config
        .services
        .iter()
        .find(|s| s.id == DEMO_SERVICE_ID)
        .and_then(|s| s.cas.as_ref())
        .and_then(|c| c.service_urls.first())
        .map(|u| u.to_string())
    else {
        return Err(WebError::NotFound);
    };
    let base = app.config.server.public_url.clone();
    let login = format!("/cas/login?service={}", enc(&service));
    let (xml, user) = match &q.ticket {
        None => (None, None),
        Some(t) => {
            // A real round trip over HTTP, as a service on another machine.
            let url = format!(
                "{base}cas/p3/serviceValidate?ticket={}&service={}",
                enc(t),
                enc(&service)
            );
            let xml = match reqwest::get(&url).await {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(e) => {
                    tracing::warn!(error = %e, "the demonstration service could not reach Sésame");
                    crate::i18n::tr("demo-injoignable")
                }
            };
            let user = xml
                .split("<cas:user>")
                .nth(1)
                .and_then(|r| r.split("</cas:user>").next())
                .map(str::to_owned);
            (Some(xml), user)
        }
    };
    let page = DemoPage {
        site: &app.config,
        login,
        ticket: q.ticket.clone().unwrap_or_default(),
        xml,
        user,
    };
    Ok(render(&page)?.into_response())
}
