//! The new password after a temporary one, and the lost identifiant /
//! lost password pages (seed guide §1.4).

use super::*;
use sesame_service::recovery;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
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
#[template(path = "new_password.html")]
struct NewPasswordPage<'a> {
    site: &'a Config,
    csrf: String,
    errors: crate::i18n::Errors,
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
        errors: errors.into(),
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
        title: &crate::i18n::tr("oubli-identifiant-titre"),
        text: &crate::i18n::tr("oubli-identifiant-texte"),
        action: "/identifiant-oublie",
        label: &crate::i18n::tr("adresse-electronique"),
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
        title: &crate::i18n::tr("oubli-mdp-titre"),
        text: &crate::i18n::tr("oubli-mdp-texte"),
        action: "/mot-de-passe-oublie",
        label: &crate::i18n::tr("identifiant"),
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
        &crate::i18n::tr("oubli-enregistre-titre"),
        &crate::i18n::tr("oubli-enregistre-texte"),
        "/",
        &crate::i18n::tr("retour-connexion"),
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
