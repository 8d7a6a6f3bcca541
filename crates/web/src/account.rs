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
use sesame_service::recovery;
use sesame_service::session::{self, Session};
use sesame_service::signup::FieldErrors;

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
        .route("/compte/donnees", get(download_data))
        .route("/compte/supprimer", get(show_delete).post(delete_account))
        .route(DELETED, get(show_deleted))
        .route(
            "/compte/nouveau-mot-de-passe",
            get(show_new_password).post(new_password),
        )
        .route(
            "/identifiant-oublie",
            get(show_lost_identifiant).post(lost_identifiant),
        )
        .route(LOST_IDENTIFIANT_SENT, get(sent))
        .route(
            "/mot-de-passe-oublie",
            get(show_lost_password).post(lost_password),
        )
        .route(LOST_PASSWORD_SENT, get(sent))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    site: &'a Config,
    csrf: String,
    overview: Overview,
    errors: &'a FieldErrors,
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
        errors,
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
        Some("mot-de-passe") => {
            Some("Votre mot de passe a été modifié. Vos autres sessions ont été fermées.")
        }
        Some("adresse") => Some(
            "Un lien de confirmation a été envoyé à la nouvelle adresse : elle remplacera l'actuelle une fois le lien ouvert.",
        ),
        Some("enfant") => Some("L'enfant a été rattaché à votre compte."),
        Some("identifiant") => Some(
            "Votre identifiant a été modifié. Les télé-services le recevront à votre prochaine connexion.",
        ),
        _ => None,
    };
    account_page(&app, jar, &s, &FieldErrors::new(), notice, StatusCode::OK).await
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
            "Trop de tentatives",
            "Trop de tentatives depuis votre réseau. Veuillez réessayer plus tard.",
            "/compte",
            "Retour",
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

/// « Mes données »: everything held about the account, as a JSON file.
async fn download_data(State(app): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    let (_, s) = match session_or_redirect(&app, &jar, false).await? {
        Ok(found) => found,
        Err(r) => return Ok(r),
    };
    let Some(data) = sesame_service::rights::export(&app, s.account_id).await? else {
        return Ok(Redirect::to("/").into_response());
    };
    let body = serde_json::to_string_pretty(&data).unwrap_or_default();
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"mes-donnees-sesame.json\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "delete_account.html")]
struct DeletePage<'a> {
    site: &'a Config,
    csrf: String,
    errors: &'a FieldErrors,
}

async fn delete_page(
    app: &AppState,
    jar: CookieJar,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (jar, csrf) = csrf::issue(app, jar, csrf::Form::Account);
    let page = DeletePage {
        site: &app.config,
        csrf,
        errors,
    };
    Ok((status, jar, render(&page)?).into_response())
}

/// « Supprimer mon compte »: the confirmation step.
async fn show_delete(State(app): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    match session_or_redirect(&app, &jar, false).await? {
        Ok(_) => delete_page(&app, jar, &FieldErrors::new(), StatusCode::OK).await,
        Err(r) => Ok(r),
    }
}

/// Where the page after the deletion is shown (`303 See Other`).
const DELETED: &str = "/compte/supprime";

/// The page after the deletion, shown while its flash lasts (else the
/// first page).
async fn show_deleted(State(app): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    if flash::read(&app, &jar, Kind::AccountDeleted)
        .await?
        .is_none()
    {
        return Ok(Redirect::to("/").into_response());
    }
    message(
        &app,
        StatusCode::OK,
        "Votre compte a été supprimé",
        "Votre compte et le rattachement de vos enfants ont été effacés. Les codes d'activation de vos courriers peuvent servir à créer un nouveau compte tant qu'ils sont valables.",
        "/",
        "Accueil",
    )
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    actuel_suppression: String,
}

/// The deletion itself: password re-checked, the account deleted, every
/// session ended (services told by single logout), the cookie removed.
async fn delete_account(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<DeleteForm>,
) -> Result<Response, WebError> {
    let (token, s) = match checked_session(&app, &jar, &f.csrf, csrf::Form::Account, false).await? {
        Ok(found) => found,
        Err(r) => return Ok(r),
    };
    match sesame_service::rights::delete_own(&app, &s, &f.actuel_suppression, &ip).await {
        Ok(()) => {
            sesame_service::slo::end(app.0.clone(), &token, s.sid).await?;
            let jar = jar.add(cookies::removal(&app, cookies::SESSION));
            flash::redirect(&app, jar, Kind::AccountDeleted, "", DELETED).await
        }
        Err(ChangeError::Invalid(errors)) => {
            delete_page(&app, jar, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => refused(&app, jar, &s, e).await,
    }
}

#[derive(Template)]
#[template(path = "new_password.html")]
struct NewPasswordPage<'a> {
    site: &'a Config,
    csrf: String,
    errors: &'a FieldErrors,
    /// The password rule of the configured policy.
    rule: String,
    /// A renewal campaign marked the account (not a temporary password).
    renewal: bool,
}

async fn new_password_page(
    app: &AppState,
    jar: CookieJar,
    s: &Session,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (jar, csrf) = csrf::issue(app, jar, csrf::Form::NewPassword);
    let renewal = s
        .must_change
        .as_deref()
        .is_some_and(|m| m.starts_with(sesame_service::session::RENEWAL));
    let page = NewPasswordPage {
        site: &app.config,
        csrf,
        errors,
        rule: crate::pages::password_rule(app),
        renewal,
    };
    Ok((status, jar, render(&page)?).into_response())
}

async fn show_new_password(
    State(app): State<AppState>,
    jar: CookieJar,
) -> Result<Response, WebError> {
    match session_or_redirect(&app, &jar, true).await? {
        Ok((_, s)) if s.must_change.is_some() => {
            new_password_page(&app, jar, &s, &FieldErrors::new(), StatusCode::OK).await
        }
        Ok(_) => Ok(Redirect::to("/compte").into_response()),
        Err(r) => Ok(r),
    }
}

#[derive(Deserialize)]
struct NewPasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    nouveau: String,
    #[serde(default)]
    nouveau2: String,
}

async fn new_password(
    State(app): State<AppState>,
    jar: CookieJar,
    Form(f): Form<NewPasswordForm>,
) -> Result<Response, WebError> {
    let (token, s) =
        match checked_session(&app, &jar, &f.csrf, csrf::Form::NewPassword, true).await? {
            Ok((t, s)) if s.must_change.is_some() => (t, s),
            Ok(_) => return Ok(Redirect::to("/compte").into_response()),
            Err(r) => return Ok(r),
        };
    match account::replace_temporary(&app, &s, &f.nouveau, &f.nouveau2).await {
        Ok(new) => {
            let jar = reopen(&app, jar, &token, &new).await?;
            Ok((jar, Redirect::to("/")).into_response())
        }
        Err(ChangeError::Invalid(errors)) => {
            new_password_page(&app, jar, &s, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ChangeError::Throttled) => Ok(StatusCode::TOO_MANY_REQUESTS.into_response()),
        Err(ChangeError::Store(e)) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage<'a> {
    site: &'a Config,
    csrf: String,
    title: &'a str,
    text: &'a str,
    action: &'a str,
    label: &'a str,
    kind: &'a str,
    autocomplete: &'a str,
}

async fn show_lost_identifiant(
    State(app): State<AppState>,
    jar: CookieJar,
) -> Result<Response, WebError> {
    let (jar, csrf) = csrf::issue(&app, jar, csrf::Form::LostIdentifiant);
    let page = ForgotPage {
        site: &app.config,
        csrf,
        title: "Identifiant oublié",
        text: "Indiquez l'adresse électronique de votre compte : votre identifiant vous sera envoyé à cette adresse, si elle est bien rattachée à un compte. Votre mot de passe ne change pas.",
        action: "/identifiant-oublie",
        label: "Adresse électronique",
        kind: "email",
        autocomplete: "email",
    };
    Ok((jar, render(&page)?).into_response())
}

async fn show_lost_password(
    State(app): State<AppState>,
    jar: CookieJar,
) -> Result<Response, WebError> {
    let (jar, csrf) = csrf::issue(&app, jar, csrf::Form::LostPassword);
    let page = ForgotPage {
        site: &app.config,
        csrf,
        title: "Mot de passe oublié",
        text: "Indiquez votre identifiant : un mot de passe temporaire vous sera envoyé par courriel à l'adresse enregistrée, avec un lien pour vous connecter et choisir un nouveau mot de passe. Votre mot de passe actuel reste valable tant que le temporaire n'a pas servi.",
        action: "/mot-de-passe-oublie",
        label: "Identifiant",
        kind: "text",
        autocomplete: "username",
    };
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    valeur: String,
}

/// Where the recovery forms' answer is shown (`303 See Other`): the same
/// page whatever was typed, so it needs no flash.
const LOST_IDENTIFIANT_SENT: &str = "/identifiant-oublie/envoye";
/// Where the lost password form's answer is shown.
const LOST_PASSWORD_SENT: &str = "/mot-de-passe-oublie/envoye";

/// The one answer of both recovery forms, whatever was typed (REC-03).
async fn sent(State(app): State<AppState>) -> Result<Response, WebError> {
    message(
        &app,
        StatusCode::OK,
        "Demande enregistrée",
        "Si ces informations correspondent à un compte, un courriel vient d'être envoyé à l'adresse enregistrée. Pensez à regarder dans les indésirables.",
        "/",
        "Retour à la connexion",
    )
}

async fn lost_identifiant(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<ForgotForm>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &f.csrf, csrf::Form::LostIdentifiant).await? {
        return csrf_refused(&app);
    }
    recovery::request_identifiants(app.0.clone(), f.valeur, ip);
    Ok(Redirect::to(LOST_IDENTIFIANT_SENT).into_response())
}

async fn lost_password(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<ForgotForm>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &f.csrf, csrf::Form::LostPassword).await? {
        return csrf_refused(&app);
    }
    recovery::request_temporary_password(app.0.clone(), f.valeur, ip);
    Ok(Redirect::to(LOST_PASSWORD_SENT).into_response())
}
