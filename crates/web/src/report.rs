//! « Ce n'est pas mon enfant » (issue 16 §8): the button beside each child
//! of a parent's home page, its confirmation step, and the report.
//!
//! Both steps are POSTs of one form (`/enfant/signaler`), each with its
//! CSRF token: the first shows the confirmation, the second (with
//! `confirmer=oui`) reports.

use crate::client_ip::ClientIp;
use crate::pages::{csrf_refused, current_session, message, render};
use crate::{AppState, WebError, csrf};
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use sesame_service::account::Child;
use sesame_service::config::Config;
use sesame_service::reports::{self, Outcome};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/enfant/signaler", post(report_child))
}

#[derive(Template)]
#[template(path = "report_child.html")]
struct ConfirmPage<'a> {
    site: &'a Config,
    csrf: String,
    child: Child,
}

#[derive(Deserialize)]
struct Submission {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    eleve: String,
    confirmer: Option<String>,
}

/// The page after a report (or a second one, or a child no longer held):
/// the same, so that it says nothing about other families.
fn done(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::OK,
        &crate::i18n::tr("signalement-enregistre-titre"),
        &crate::i18n::tr("signalement-enregistre-texte"),
        "/",
        &crate::i18n::tr("retour-accueil"),
    )
}

/// `POST /enfant/signaler`: the confirmation step, then the report.
async fn report_child(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<Submission>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &f.csrf, csrf::Form::Report).await? {
        return csrf_refused(&app);
    }
    let s = match current_session(&app, &jar).await? {
        Some((_, s)) if s.must_change.is_none() => s,
        _ => return Ok(Redirect::to("/").into_response()),
    };
    let Ok(pupil_id) = f.eleve.trim().parse::<i32>() else {
        return message(
            &app,
            StatusCode::BAD_REQUEST,
            &crate::i18n::tr("signalement-inconnu-titre"),
            &crate::i18n::tr("signalement-inconnu-texte"),
            "/",
            &crate::i18n::tr("retour-accueil"),
        );
    };
    if f.confirmer.as_deref() != Some("oui") {
        let Some(child) = reports::held_child(&app, &s, pupil_id).await? else {
            return done(&app);
        };
        let (jar, csrf) = csrf::issue(&app, jar, csrf::Form::Report);
        let page = ConfirmPage {
            site: &app.config,
            csrf,
            child,
        };
        return Ok((jar, render(&page)?).into_response());
    }
    match reports::report(&app, &s, pupil_id, &ip).await? {
        Outcome::Done => done(&app),
        Outcome::Throttled { retry_after } => {
            let mut r = message(
                &app,
                StatusCode::TOO_MANY_REQUESTS,
                &crate::i18n::tr("signalement-trop-titre"),
                &crate::i18n::tr("signalement-trop-texte"),
                "/",
                &crate::i18n::tr("retour-accueil"),
            )?;
            if let Some(v) = retry_after.and_then(|s| s.to_string().parse().ok()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(r)
        }
    }
}
