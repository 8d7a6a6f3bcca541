//! "Gérer son compte", the forced new password after a temporary one, and
//! the lost identifiant / lost password pages (seed guide §1.2, §1.4).
//! Every successful form answers `303 See Other` to a page (POST-redirect-
//! GET): reloading it never posts again.

use crate::client_ip::ClientIp;
use crate::flash::{self, Kind};
use crate::pages::{csrf_refused, current_session, message, render};
use crate::{AppState, WebError, cookies, csrf};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use sesame_service::account::{self, AttachForm, ChangeError, Overview};
use sesame_service::config::Config;
use sesame_service::session::{self, Session};
use sesame_service::signup::FieldErrors;

mod lost;
mod rights;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/compte", get(show_account))
        .route("/compte/mot-de-passe", axum::routing::post(change_password))
        .route("/compte/adresse", axum::routing::post(change_email))
        .route(
            "/compte/identifiant",
            axum::routing::post(choose_identifiant),
        )
        .route("/compte/enfant", axum::routing::post(attach_child))
        .merge(rights::routes())
        .merge(lost::routes())
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    site: &'a Config,
    csrf: String,
    overview: Overview,
    errors: crate::i18n::Errors,
    notice: Option<&'a str>,
    /// The password rule of the configured policy.
    rule: String,
}

#[derive(Deserialize)]
struct Done {
    fait: Option<String>,
}

/// The logged-in session, or where to go instead (login, or the forced
/// password change).
async fn session_or_redirect(
    app: &AppState,
    jar: &CookieJar,
    forced_ok: bool,
) -> Result<Result<(String, Session), Response>, WebError> {
    match current_session(app, jar).await? {
        None => Ok(Err(Redirect::to("/").into_response())),
        Some((_, s)) if s.must_change.is_some() && !forced_ok => Ok(Err(Redirect::to(
            "/compte/nouveau-mot-de-passe",
        )
        .into_response())),
        Some(found) => Ok(Ok(found)),
    }
}

/// A form of the account pages: its CSRF token checked, then the session
/// (or where to go instead).
async fn checked_session(
    app: &AppState,
    jar: &CookieJar,
    token: &str,
    form: csrf::Form,
    forced_ok: bool,
) -> Result<Result<(String, Session), Response>, WebError> {
    if !csrf::check(app, jar, token, form).await? {
        return Ok(Err(csrf_refused(app)?));
    }
    session_or_redirect(app, jar, forced_ok).await
}

async fn account_page(
    app: &AppState,
    jar: CookieJar,
    s: &Session,
    errors: &FieldErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let Some(overview) = account::overview(app, s.account_id).await? else {
        return Ok(Redirect::to("/").into_response());
    };
    let (jar, csrf) = csrf::issue(app, jar, csrf::Form::Account);
    // "Associer mon compte" leads to the upstream provider.
    let targets = crate::onward::form_targets(
        app,
        &crate::resume::Resume::default(),
        Some(sesame_domain::Profile::Parent),
    );
    let page = AccountPage {
        site: &app.config,
        csrf,
        overview,
        errors: errors.into(),
        notice,
        rule: crate::pages::password_rule(app),
    };
    Ok(crate::onward::with_form_targets(
        &targets,
        (status, jar, render(&page)?).into_response(),
    ))
}

async fn show_account(
    State(app): State<AppState>,
    jar: CookieJar,
    Query(q): Query<Done>,
) -> Result<Response, WebError> {
    let (_, s) = match session_or_redirect(&app, &jar, false).await? {
        Ok(found) => found,
        Err(r) => return Ok(r),
    };
    let notice = match q.fait.as_deref() {
        Some("mot-de-passe") => Some("compte-fait-mot-de-passe"),
        Some("adresse") => Some("compte-fait-adresse"),
        Some("enfant") => Some("compte-fait-enfant"),
        Some("identifiant") => Some("compte-fait-identifiant"),
        _ => None,
    };
    let notice = notice.map(crate::i18n::tr);
    account_page(
        &app,
        jar,
        &s,
        &FieldErrors::new(),
        notice.as_deref(),
        StatusCode::OK,
    )
    .await
}

/// Answers a refused change: the page with its errors, or 429.
async fn refused(
    app: &AppState,
    jar: CookieJar,
    s: &Session,
    e: ChangeError,
) -> Result<Response, WebError> {
    match e {
        ChangeError::Invalid(errors) => {
            account_page(app, jar, s, &errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        ChangeError::Throttled => message(
            app,
            StatusCode::TOO_MANY_REQUESTS,
            &crate::i18n::tr("trop-tentatives"),
            &crate::i18n::tr("compte-trop-tentatives"),
            "/compte",
            &crate::i18n::tr("retour"),
        ),
        ChangeError::Store(e) => Err(e.into()),
    }
}

/// After a password change: this browser gets a fresh session (the others
/// have ended).
async fn reopen(
    app: &AppState,
    jar: CookieJar,
    token: &str,
    s: &Session,
) -> Result<CookieJar, WebError> {
    session::close(app, token).await?;
    let new = session::open(app, s).await?;
    Ok(jar.add(cookies::build(app, cookies::SESSION, new, None)))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    actuel: String,
    #[serde(default)]
    nouveau: String,
    #[serde(default)]
    nouveau2: String,
}

async fn change_password(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let (token, s) = match checked_session(&app, &jar, &f.csrf, csrf::Form::Account, false).await? {
        Ok(found) => found,
        Err(r) => return Ok(r),
    };
    match account::change_password(&app, &s, &f.actuel, &f.nouveau, &f.nouveau2, &ip).await {
        Ok(new) => {
            let jar = reopen(&app, jar, &token, &new).await?;
            Ok((jar, Redirect::to("/compte?fait=mot-de-passe")).into_response())
        }
        Err(e) => refused(&app, jar, &s, e).await,
    }
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    courriel: String,
    #[serde(default)]
    courriel2: String,
    #[serde(default)]
    actuel_courriel: String,
}

async fn change_email(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<EmailForm>,
) -> Result<Response, WebError> {
    let (_, s) = match checked_session(&app, &jar, &f.csrf, csrf::Form::Account, false).await? {
        Ok(found) => found,
        Err(r) => return Ok(r),
    };
    match account::request_email_change(
        &app,
        &s,
        &f.actuel_courriel,
        &f.courriel,
        &f.courriel2,
        &ip,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/compte?fait=adresse").into_response()),
        Err(e) => refused(&app, jar, &s, e).await,
    }
}

#[derive(Deserialize)]
struct IdentifiantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    identifiant: String,
}

/// « Choisir mon identifiant »: an account given its name by an upstream
/// provider chooses its own, once. The session shows the new name at
/// once; services receive it with their next ticket or token.
async fn choose_identifiant(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<IdentifiantForm>,
) -> Result<Response, WebError> {
    let (token, s) = match checked_session(&app, &jar, &f.csrf, csrf::Form::Account, false).await? {
        Ok(found) => found,
        Err(r) => return Ok(r),
    };
    match account::choose_identifiant(&app, &s, &f.identifiant, &ip).await {
        Ok(name) => {
            let renamed = Session {
                identifiant: name,
                ..s
            };
            session::update(&app, &token, &renamed).await?;
            Ok(Redirect::to("/compte?fait=identifiant").into_response())
        }
        Err(e) => refused(&app, jar, &s, e).await,
    }
}

#[derive(Deserialize)]
struct AttachSubmission {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: AttachForm,
}

async fn attach_child(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<AttachSubmission>,
) -> Result<Response, WebError> {
    let (_, s) = match checked_session(&app, &jar, &f.csrf, csrf::Form::Account, false).await? {
        Ok(found) => found,
        Err(r) => return Ok(r),
    };
    match account::attach_child(&app, &s, &f.form, &ip).await {
        Ok(_) => Ok(Redirect::to("/compte?fait=enfant").into_response()),
        Err(e) => refused(&app, jar, &s, e).await,
    }
}
