//! The notices a French public service owes, linked from every page
//! footer: the accessibility declaration (RGAA, décret 2019-768), the legal
//! notice (loi 2004-575, art. 6), personal data (RGPD art. 13) and help.
//! Their texts come from `[notices]`, with defaults built from the rest of
//! the configuration (the académie's name, `branding.help`, the retention
//! values).

use crate::pages::render;
use crate::{AppState, WebError};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sesame_service::config::{Config, or_default};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/accessibilite", get(show_accessibility))
        .route("/mentions-legales", get(show_legal))
        .route("/donnees-personnelles", get(show_personal_data))
        .route("/aide", get(show_help))
}

/// The notices' texts, each the configured one or its default.
struct Texts {
    publisher: String,
    director: String,
    host: String,
    controller: String,
    dpo: String,
    accessibility_contact: String,
    audit: String,
    help_contact: String,
}

impl Texts {
    fn of(c: &Config) -> Self {
        let n = &c.notices;
        let academie = &c.branding.academie;
        Self {
            publisher: or_default(
                &n.publisher,
                crate::i18n::tr_with("avis-editeur-defaut", &[("academie", academie)]),
            ),
            director: or_default(
                &n.publication_director,
                crate::i18n::tr("avis-directeur-defaut"),
            ),
            host: or_default(
                &n.host,
                crate::i18n::tr_with("avis-hebergeur-defaut", &[("academie", academie)]),
            ),
            controller: or_default(
                &n.data_controller,
                crate::i18n::tr_with("avis-responsable-defaut", &[("academie", academie)]),
            ),
            dpo: or_default(&n.dpo_contact, crate::i18n::tr("avis-dpd-defaut")),
            accessibility_contact: or_default(&n.accessibility_contact, c.branding.help.clone()),
            audit: or_default(&n.accessibility_audit, crate::i18n::tr("avis-audit-defaut")),
            help_contact: n.help_contact.trim().to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "notice_accessibility.html")]
struct AccessibilityPage<'a> {
    site: &'a Config,
    t: Texts,
}

#[derive(Template)]
#[template(path = "notice_legal.html")]
struct LegalPage<'a> {
    site: &'a Config,
    t: Texts,
}

#[derive(Template)]
#[template(path = "notice_data.html")]
struct DataPage<'a> {
    site: &'a Config,
    t: Texts,
}

#[derive(Template)]
#[template(path = "notice_help.html")]
struct HelpPage<'a> {
    site: &'a Config,
    t: Texts,
}

/// `/accessibilite`: the accessibility declaration.
async fn show_accessibility(State(app): State<AppState>) -> Result<Response, WebError> {
    let page = AccessibilityPage {
        site: &app.config,
        t: Texts::of(&app.config),
    };
    Ok(render(&page)?.into_response())
}

/// `/mentions-legales`: the legal notice.
async fn show_legal(State(app): State<AppState>) -> Result<Response, WebError> {
    let page = LegalPage {
        site: &app.config,
        t: Texts::of(&app.config),
    };
    Ok(render(&page)?.into_response())
}

/// `/donnees-personnelles`: what is held, why, for how long, and rights.
async fn show_personal_data(State(app): State<AppState>) -> Result<Response, WebError> {
    let page = DataPage {
        site: &app.config,
        t: Texts::of(&app.config),
    };
    Ok(render(&page)?.into_response())
}

/// `/aide`: who to ask, and the answers to the usual questions.
async fn show_help(State(app): State<AppState>) -> Result<Response, WebError> {
    let page = HelpPage {
        site: &app.config,
        t: Texts::of(&app.config),
    };
    Ok(render(&page)?.into_response())
}
