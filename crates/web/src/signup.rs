//! First visit (seed guide §1.2): the parent and pupil account creation
//! pages. No JavaScript: "ajoutez un enfant" and the switch between the
//! personal and the joint account are submit buttons of the form, which
//! show it again (one more row, or the other variant) with what was typed
//! kept, passwords excepted. A created account answers `303 See Other` to
//! its page (POST-redirect-GET, `flash`), so a reload never posts again.

use crate::client_ip::ClientIp;
use crate::flash::{self, Kind};
use crate::pages::{csrf_refused, message, render};
use crate::{AppState, WebError, csrf};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use sesame_service::config::Config;
use sesame_service::config::ProfileSource;
use sesame_service::signup::{self, FieldErrors, ParentForm, PupilForm, SignupError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/premiere-visite/eleve",
            get(show_pupil_signup).post(submit_pupil_signup),
        )
        .route(
            "/premiere-visite/eleve/compte-cree",
            get(show_pupil_created),
        )
        .route(
            "/premiere-visite/parent",
            get(show_parent_signup).post(submit_parent_signup),
        )
        .route(
            "/premiere-visite/parent/compte-cree",
            get(show_parent_created),
        )
}

/// Where a created account's page is shown (`303 See Other` after the POST).
const PUPIL_CREATED: &str = "/premiere-visite/eleve/compte-cree";
/// Where a created parent account's page is shown.
const PARENT_CREATED: &str = "/premiere-visite/parent/compte-cree";

fn throttled(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::TOO_MANY_REQUESTS,
        &crate::i18n::tr("trop-tentatives"),
        &crate::i18n::tr("inscription-trop-tentatives"),
        "/",
        &crate::i18n::tr("retour"),
    )
}

#[derive(Template)]
#[template(path = "signup_pupil.html")]
struct PupilSignupPage<'a> {
    site: &'a Config,
    csrf: String,
    form: PupilForm,
    errors: crate::i18n::Errors,
    /// The password rule of the configured policy.
    rule: String,
}

async fn pupil_page(
    app: &AppState,
    jar: CookieJar,
    mut form: PupilForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    form.credentials.clear_passwords();
    let (jar, csrf) = csrf::issue(app, jar, csrf::Form::SignupPupil);
    let page = PupilSignupPage {
        site: &app.config,
        csrf,
        form,
        errors: errors.into(),
        rule: crate::pages::password_rule(app),
    };
    Ok((status, jar, render(&page)?).into_response())
}

async fn show_pupil_signup(
    State(app): State<AppState>,
    jar: CookieJar,
) -> Result<Response, WebError> {
    if app.config.profiles.eleve != ProfileSource::Local {
        return Ok(Redirect::to("/profil").into_response());
    }
    pupil_page(
        &app,
        jar,
        PupilForm::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
struct PupilSubmission {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: PupilForm,
}

async fn submit_pupil_signup(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(mut s): Form<PupilSubmission>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &s.csrf, csrf::Form::SignupPupil).await? {
        return csrf_refused(&app);
    }
    if app.config.profiles.eleve != ProfileSource::Local {
        return Ok(Redirect::to("/profil").into_response());
    }
    s.form.credentials.language = crate::i18n::language();
    match signup::create_pupil_account(&app, &s.form, &ip).await {
        Ok(_) => flash::redirect(&app, jar, Kind::PupilCreated, "", PUPIL_CREATED).await,
        Err(SignupError::Invalid(errors)) => {
            pupil_page(&app, jar, s.form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(SignupError::Throttled) => throttled(&app),
        Err(SignupError::Store(e)) => Err(e.into()),
    }
}

/// The page of a created pupil account, shown while its flash lasts (else
/// the form again).
async fn show_pupil_created(
    State(app): State<AppState>,
    jar: CookieJar,
) -> Result<Response, WebError> {
    if flash::read(&app, &jar, Kind::PupilCreated).await?.is_none() {
        return Ok(Redirect::to("/premiere-visite/eleve").into_response());
    }
    message(
        &app,
        StatusCode::OK,
        &crate::i18n::tr("inscription-eleve-cree-titre"),
        &crate::i18n::tr("inscription-eleve-cree-texte"),
        "/connexion?profil=eleve",
        &crate::i18n::tr("se-connecter"),
    )
}

#[derive(Template)]
#[template(path = "signup_parent.html")]
struct ParentSignupPage<'a> {
    site: &'a Config,
    csrf: String,
    form: ParentForm,
    errors: crate::i18n::Errors,
    can_add: bool,
    /// The row just added by « ajoutez un enfant »: its first field gets
    /// the focus.
    focus_row: Option<usize>,
    /// The password rule of the configured policy.
    rule: String,
}

impl ParentSignupPage<'_> {
    /// Whether row `i` is the one just added (its first field focused).
    fn autofocus(&self, i: &&usize) -> bool {
        self.focus_row == Some(**i)
    }
}

async fn parent_page(
    app: &AppState,
    jar: CookieJar,
    mut form: ParentForm,
    errors: &FieldErrors,
    focus_row: Option<usize>,
    status: StatusCode,
) -> Result<Response, WebError> {
    form.credentials.clear_passwords();
    let (jar, csrf) = csrf::issue(app, jar, csrf::Form::SignupParent);
    let page = ParentSignupPage {
        site: &app.config,
        csrf,
        can_add: form.rows.len() < signup::parent::MAX_ROWS,
        focus_row,
        form,
        errors: errors.into(),
        rule: crate::pages::password_rule(app),
    };
    Ok((status, jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
struct ParentQuery {
    compte: Option<String>,
}

async fn show_parent_signup(
    State(app): State<AppState>,
    jar: CookieJar,
    Query(q): Query<ParentQuery>,
) -> Result<Response, WebError> {
    if app.config.profiles.parent != ProfileSource::Local {
        return Ok(Redirect::to("/profil").into_response());
    }
    let form = ParentForm::new(q.compte.as_deref() == Some("joint"));
    parent_page(&app, jar, form, &FieldErrors::new(), None, StatusCode::OK).await
}

async fn submit_parent_signup(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if !csrf::check(
        &app,
        &jar,
        field("csrf").unwrap_or_default(),
        csrf::Form::SignupParent,
    )
    .await?
    {
        return csrf_refused(&app);
    }
    if app.config.profiles.parent != ProfileSource::Local {
        return Ok(Redirect::to("/profil").into_response());
    }
    let mut form = ParentForm::from_pairs(&pairs);
    // The buttons that show the form again, what was typed kept and no
    // error shown: one more row, or the other kind of account.
    match field("action") {
        Some("ajouter") => {
            let focus = form.add_row().then(|| form.rows.len() - 1);
            return parent_page(&app, jar, form, &FieldErrors::new(), focus, StatusCode::OK).await;
        }
        Some(kind @ ("personnel" | "joint")) => {
            form.joint = kind == "joint";
            return parent_page(&app, jar, form, &FieldErrors::new(), None, StatusCode::OK).await;
        }
        _ => {}
    }
    // The account's mails, the confirmation first, in the page's language.
    form.credentials.language = crate::i18n::language();
    match signup::create_parent_account(&app, &form, &ip).await {
        Ok(_) => {
            let email = form.credentials.email.trim();
            flash::redirect(&app, jar, Kind::ParentCreated, email, PARENT_CREATED).await
        }
        Err(SignupError::Invalid(errors)) => {
            parent_page(
                &app,
                jar,
                form,
                &errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(SignupError::Throttled) => throttled(&app),
        Err(SignupError::Store(e)) => Err(e.into()),
    }
}

/// The page of a created parent account (« confirmez-le », with the
/// address the mail went to), shown while its flash lasts (else the form
/// again).
async fn show_parent_created(
    State(app): State<AppState>,
    jar: CookieJar,
) -> Result<Response, WebError> {
    let Some(email) = flash::read(&app, &jar, Kind::ParentCreated).await? else {
        return Ok(Redirect::to("/premiere-visite/parent").into_response());
    };
    message(
        &app,
        StatusCode::OK,
        &crate::i18n::tr("inscription-parent-cree-titre"),
        &crate::i18n::tr_with("inscription-parent-cree-texte", &[("adresse", &email)]),
        "/connexion?profil=parent",
        &crate::i18n::tr("aller-connexion"),
    )
}
