//! « Mes données » and « Supprimer mon compte » (issue 16 §7).

use super::*;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/compte/donnees", get(download_data))
        .route("/compte/supprimer", get(show_delete).post(delete_account))
        .route(DELETED, get(show_deleted))
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
    errors: crate::i18n::Errors,
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
        errors: errors.into(),
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
        &crate::i18n::tr("supprime-titre"),
        &crate::i18n::tr("supprime-texte"),
        "/",
        &crate::i18n::tr("accueil"),
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
