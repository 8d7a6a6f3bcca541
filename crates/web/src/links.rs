//! The links mailed to account holders: account confirmation (seed guide
//! §1.2.2), "renvoyer le courriel", and unlocking after repeated failures.
//! A GET only shows a button; the POST uses the link, so that mail scanners
//! which follow links do not consume them.

use crate::pages::{csrf_refused, message, render};
use crate::{AppState, WebError, csrf};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use sesame_service::account;
use sesame_service::account::purpose;
use sesame_service::config::Config;
use sesame_service::confirm::{self, LinkState};
use sesame_service::login;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/confirmation",
            get(show_confirmation).post(confirm_account),
        )
        .route("/confirmation/renvoyer", post(resend))
        .route("/deblocage", get(show_unlock).post(unlock))
        .route(
            "/compte/courriel",
            get(show_email_change).post(email_change),
        )
        .route(
            "/compte/courriel/annuler",
            get(show_email_cancel).post(email_cancel),
        )
}

#[derive(Template)]
#[template(path = "link.html")]
pub(crate) struct LinkPage<'a> {
    pub(crate) site: &'a Config,
    pub(crate) title: &'a str,
    pub(crate) text: &'a str,
    pub(crate) action: &'a str,
    pub(crate) code: &'a str,
    pub(crate) button: &'a str,
    pub(crate) csrf: String,
}

#[derive(Deserialize)]
struct CodeQuery {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

fn expired(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::GONE,
        &crate::i18n::tr("lien-expire"),
        &crate::i18n::tr("lien-confirmation-expire"),
        "/premiere-visite/parent",
        &crate::i18n::tr("creer-mon-compte"),
    )
}

fn invalid(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::NOT_FOUND,
        &crate::i18n::tr("lien-non-valable"),
        &crate::i18n::tr("lien-confirmation-non-valable"),
        "/",
        &crate::i18n::tr("se-connecter"),
    )
}

async fn show_confirmation(
    State(app): State<AppState>,
    jar: CookieJar,
    Query(q): Query<CodeQuery>,
) -> Result<Response, WebError> {
    match confirm::check(&app, &q.code).await? {
        LinkState::Valid(identifiant) => {
            let (jar, csrf) = csrf::issue(&app, jar, csrf::Form::Confirmation);
            let text = crate::i18n::tr_with("lien-activer-texte", &[("identifiant", &identifiant)]);
            let page = LinkPage {
                site: &app.config,
                title: &crate::i18n::tr("lien-confirmation-titre"),
                text: &text,
                action: "/confirmation",
                code: &q.code,
                button: &crate::i18n::tr("lien-confirmer-compte"),
                csrf,
            };
            Ok((jar, render(&page)?).into_response())
        }
        LinkState::Expired => expired(&app),
        LinkState::Invalid => invalid(&app),
    }
}

async fn confirm_account(
    State(app): State<AppState>,
    jar: CookieJar,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &f.csrf, csrf::Form::Confirmation).await? {
        return csrf_refused(&app);
    }
    match confirm::confirm(&app, &f.code).await? {
        LinkState::Valid(_) => message(
            &app,
            StatusCode::OK,
            &crate::i18n::tr("lien-compte-confirme-titre"),
            &crate::i18n::tr("lien-compte-confirme-texte"),
            "/connexion?profil=parent",
            &crate::i18n::tr("se-connecter"),
        ),
        LinkState::Expired => expired(&app),
        LinkState::Invalid => invalid(&app),
    }
}

#[derive(Deserialize)]
struct ResendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    jeton: String,
}

async fn resend(
    State(app): State<AppState>,
    jar: CookieJar,
    Form(f): Form<ResendForm>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &f.csrf, csrf::Form::Login).await? {
        return csrf_refused(&app);
    }
    if confirm::resend(&app, &f.jeton).await? {
        message(
            &app,
            StatusCode::OK,
            &crate::i18n::tr("lien-renvoye-titre"),
            &crate::i18n::tr("lien-renvoye-texte"),
            "/connexion?profil=parent",
            &crate::i18n::tr("retour-connexion"),
        )
    } else {
        message(
            &app,
            StatusCode::OK,
            &crate::i18n::tr("lien-non-renvoye-titre"),
            &crate::i18n::tr("lien-non-renvoye-texte"),
            "/connexion?profil=parent",
            &crate::i18n::tr("retour-connexion"),
        )
    }
}

async fn show_unlock(
    State(app): State<AppState>,
    jar: CookieJar,
    Query(q): Query<CodeQuery>,
) -> Result<Response, WebError> {
    if !login::unlock_link_valid(&app, &q.code).await? {
        return unlock_invalid(&app);
    }
    let (jar, csrf) = csrf::issue(&app, jar, csrf::Form::Unlock);
    let page = LinkPage {
        site: &app.config,
        title: &crate::i18n::tr("lien-debloquer-titre"),
        text: &crate::i18n::tr("lien-debloquer-texte"),
        action: "/deblocage",
        code: &q.code,
        button: &crate::i18n::tr("lien-debloquer-bouton"),
        csrf,
    };
    Ok((jar, render(&page)?).into_response())
}

fn unlock_invalid(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::NOT_FOUND,
        &crate::i18n::tr("lien-non-valable"),
        &crate::i18n::tr("lien-deblocage-non-valable"),
        "/",
        &crate::i18n::tr("retour"),
    )
}

async fn unlock(
    State(app): State<AppState>,
    jar: CookieJar,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &f.csrf, csrf::Form::Unlock).await? {
        return csrf_refused(&app);
    }
    if login::unlock(&app, &f.code).await? {
        message(
            &app,
            StatusCode::OK,
            &crate::i18n::tr("lien-debloque-titre"),
            &crate::i18n::tr("lien-debloque-texte"),
            "/",
            &crate::i18n::tr("se-connecter"),
        )
    } else {
        unlock_invalid(&app)
    }
}

fn email_link_invalid(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::NOT_FOUND,
        &crate::i18n::tr("lien-non-valable"),
        &crate::i18n::tr("lien-adresse-non-valable"),
        "/",
        &crate::i18n::tr("retour"),
    )
}

/// The form of an address-change link's page.
fn email_form(which: &str) -> csrf::Form {
    if which == purpose::EMAIL_CHANGE {
        csrf::Form::EmailChange
    } else {
        csrf::Form::EmailCancel
    }
}

async fn email_link_page(
    app: &AppState,
    jar: CookieJar,
    which: &'static str,
    code: &str,
) -> Result<Response, WebError> {
    if !account::email_link_valid(app, which, code).await? {
        return email_link_invalid(app);
    }
    let (title, text, action, button) = if which == purpose::EMAIL_CHANGE {
        (
            &crate::i18n::tr("lien-adresse-confirmer-titre"),
            &crate::i18n::tr("lien-adresse-confirmer-texte"),
            "/compte/courriel",
            &crate::i18n::tr("lien-adresse-confirmer-bouton"),
        )
    } else {
        (
            &crate::i18n::tr("lien-adresse-annuler-titre"),
            &crate::i18n::tr("lien-adresse-annuler-texte"),
            "/compte/courriel/annuler",
            &crate::i18n::tr("lien-adresse-annuler-bouton"),
        )
    };
    let (jar, csrf) = csrf::issue(app, jar, email_form(which));
    let page = LinkPage {
        site: &app.config,
        title,
        text,
        action,
        code,
        button,
        csrf,
    };
    Ok((jar, render(&page)?).into_response())
}

async fn use_email_link(
    app: &AppState,
    jar: &CookieJar,
    which: &'static str,
    f: &CodeForm,
) -> Result<Response, WebError> {
    if !csrf::check(app, jar, &f.csrf, email_form(which)).await? {
        return csrf_refused(app);
    }
    if !account::use_email_link(app, which, &f.code).await? {
        return email_link_invalid(app);
    }
    let (title, text) = if which == purpose::EMAIL_CHANGE {
        (
            &crate::i18n::tr("lien-adresse-confirmee-titre"),
            &crate::i18n::tr("lien-adresse-confirmee-texte"),
        )
    } else {
        (
            &crate::i18n::tr("lien-changement-annule-titre"),
            &crate::i18n::tr("lien-changement-annule-texte"),
        )
    };
    message(
        app,
        StatusCode::OK,
        title,
        text,
        "/",
        &crate::i18n::tr("retour-accueil"),
    )
}

async fn show_email_change(
    State(app): State<AppState>,
    jar: CookieJar,
    Query(q): Query<CodeQuery>,
) -> Result<Response, WebError> {
    email_link_page(&app, jar, purpose::EMAIL_CHANGE, &q.code).await
}

async fn email_change(
    State(app): State<AppState>,
    jar: CookieJar,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    use_email_link(&app, &jar, purpose::EMAIL_CHANGE, &f).await
}

async fn show_email_cancel(
    State(app): State<AppState>,
    jar: CookieJar,
    Query(q): Query<CodeQuery>,
) -> Result<Response, WebError> {
    email_link_page(&app, jar, purpose::EMAIL_CANCEL, &q.code).await
}

async fn email_cancel(
    State(app): State<AppState>,
    jar: CookieJar,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    use_email_link(&app, &jar, purpose::EMAIL_CANCEL, &f).await
}
