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
        "Lien expiré",
        "Ce lien de confirmation a expiré : le délai d'une semaine est dépassé et le compte a été (ou va être) supprimé. Vous pouvez créer à nouveau votre compte avec les mêmes codes d'activation.",
        "/premiere-visite/parent",
        "Créer mon compte",
    )
}

fn invalid(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::NOT_FOUND,
        "Lien non valable",
        "Ce lien n'est pas valable : il a déjà servi, ou un courriel plus récent l'a remplacé. Si votre compte est déjà confirmé, connectez-vous.",
        "/",
        "Se connecter",
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
            let text = format!(
                "Pour activer le compte « {identifiant} », cliquez sur le bouton ci-dessous."
            );
            let page = LinkPage {
                site: &app.config,
                title: "Confirmation de votre compte",
                text: &text,
                action: "/confirmation",
                code: &q.code,
                button: "Confirmer mon compte",
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
            "Votre compte est confirmé",
            "Votre compte est activé. Vous pouvez maintenant vous connecter avec votre identifiant et votre mot de passe.",
            "/connexion?profil=parent",
            "Se connecter",
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
            "Courriel renvoyé",
            "Un nouveau courriel de confirmation vient d'être envoyé à l'adresse indiquée à la création du compte. Seul le lien de ce dernier courriel est valable.",
            "/connexion?profil=parent",
            "Retour à la connexion",
        )
    } else {
        message(
            &app,
            StatusCode::OK,
            "Courriel non renvoyé",
            "Le courriel n'a pas pu être renvoyé : la demande a expiré ou a été faite trop souvent. Connectez-vous à nouveau pour recommencer, ou réessayez dans une heure.",
            "/connexion?profil=parent",
            "Retour à la connexion",
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
        title: "Débloquer votre compte",
        text: "La connexion à votre compte a été bloquée après plusieurs mots de passe erronés. Cliquez sur le bouton pour la débloquer tout de suite.",
        action: "/deblocage",
        code: &q.code,
        button: "Débloquer mon compte",
        csrf,
    };
    Ok((jar, render(&page)?).into_response())
}

fn unlock_invalid(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::NOT_FOUND,
        "Lien non valable",
        "Ce lien de déblocage n'est pas valable : il a déjà servi ou a expiré (il vaut une heure). Le blocage cesse de lui-même 24 heures après le dernier échec.",
        "/",
        "Retour",
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
            "Compte débloqué",
            "La connexion à votre compte est de nouveau possible.",
            "/",
            "Se connecter",
        )
    } else {
        unlock_invalid(&app)
    }
}

fn email_link_invalid(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::NOT_FOUND,
        "Lien non valable",
        "Ce lien n'est pas valable : il a déjà servi, a été annulé, ou a expiré (il vaut 24 heures).",
        "/",
        "Retour",
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
            "Confirmer votre nouvelle adresse",
            "Cliquez sur le bouton pour que votre compte utilise désormais cette adresse électronique.",
            "/compte/courriel",
            "Confirmer cette adresse",
        )
    } else {
        (
            "Annuler le changement d'adresse",
            "Cliquez sur le bouton pour annuler le changement d'adresse demandé : l'adresse actuelle restera celle du compte.",
            "/compte/courriel/annuler",
            "Annuler le changement",
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
            "Adresse confirmée",
            "Votre compte utilise désormais cette adresse électronique.",
        )
    } else {
        (
            "Changement annulé",
            "Le changement d'adresse a été annulé. Si vous n'en étiez pas à l'origine, changez votre mot de passe.",
        )
    };
    message(app, StatusCode::OK, title, text, "/", "Retour à l'accueil")
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
