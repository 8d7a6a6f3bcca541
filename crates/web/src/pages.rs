//! The helpers the page modules share — rendering, message pages, the
//! session of the request, the profiles — and the static assets (style
//! sheet, logo, script). The pages themselves live with their feature
//! (`login`, `account`, `signup`, `links`, `cas`, `oidc`, `upstream`).

use crate::{AppState, WebError, cookies};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use sesame_domain::Profile;
use sesame_service::config::Config;
use sesame_service::config::ProfileSource;
use sesame_service::session::{self, Session};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/sesame.css", get(stylesheet))
        .route("/static/etat.css", get(etat_stylesheet))
        .route("/logo", get(logo))
        .route("/static/autosubmit.js", get(autosubmit))
}

/// Where the profile named `profile` (a form's or a cookie's text)
/// authenticates; `None` when it names no profile.
pub(crate) fn source(app: &AppState, profile: &str) -> Option<ProfileSource> {
    let p = profile.parse::<Profile>().ok()?;
    Some(app.config.profiles.source(p))
}

/// The label of the profile named `profile` in the request's language
/// ("" for none).
pub(crate) fn label_in_lang(profile: &str) -> String {
    profile
        .parse::<Profile>()
        .map(profile_label)
        .unwrap_or_default()
}

/// The label of a profile in the request's language (in French, the
/// domain's [`Profile::label`]).
pub(crate) fn profile_label(p: Profile) -> String {
    crate::i18n::tr(&format!("profil-{}", p.as_str()))
}

pub(crate) fn render(t: &impl Template) -> Result<Html<String>, WebError> {
    t.render().map(Html).map_err(WebError::from)
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/sesame.css"),
    )
        .into_response()
}

/// The « État » theme's rules, after the common ones (`branding.theme`).
async fn etat_stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/etat.css"),
    )
        .into_response()
}

async fn autosubmit() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/autosubmit.js"),
    )
        .into_response()
}

/// The built-in logo, when `branding.logo` is not set.
const DEFAULT_LOGO: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 48 48\"><rect width=\"48\" height=\"48\" rx=\"6\" fill=\"#000091\"/><path d=\"M14 30c4 4 16 4 20 0M16 18h4M28 18h4\" stroke=\"#fff\" stroke-width=\"3\" fill=\"none\" stroke-linecap=\"round\"/></svg>";

/// `/logo`: the académie's logo from `branding.logo` (PNG, SVG or JPEG), or
/// the built-in one.
async fn logo(State(app): State<AppState>) -> Response {
    let path = &app.config.branding.logo;
    let kind = match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
    {
        Some(e) if e == "png" => "image/png",
        Some(e) if e == "jpg" || e == "jpeg" => "image/jpeg",
        _ => "image/svg+xml",
    };
    let body = if path.as_os_str().is_empty() {
        None
    } else {
        match tokio::fs::read(path).await {
            Ok(b) => Some(b),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "branding.logo cannot be read: the built-in logo is served");
                None
            }
        }
    };
    let (kind, body) = match body {
        Some(b) => (kind, b),
        None => ("image/svg+xml", DEFAULT_LOGO.as_bytes().to_vec()),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage<'a> {
    site: &'a Config,
    title: &'a str,
    text: &'a str,
    link: &'a str,
    link_text: &'a str,
}

/// The page after a logout (of this session and every télé-service).
pub(crate) fn logged_out(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::OK,
        &crate::i18n::tr("deconnecte-titre"),
        &crate::i18n::tr("deconnecte-texte"),
        "/",
        &crate::i18n::tr("se-reconnecter"),
    )
}

/// The logout page of a session opened through `provider`, which does
/// not publish a logout endpoint: its session may still be open.
pub(crate) fn logged_out_provider_open(
    app: &AppState,
    provider: &str,
) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::OK,
        &crate::i18n::tr("deconnecte-sesame-titre"),
        &crate::i18n::tr_with(
            "deconnecte-fournisseur-ouvert",
            &[("fournisseur", provider)],
        ),
        "/",
        &crate::i18n::tr("se-reconnecter"),
    )
}

pub(crate) fn message(
    app: &AppState,
    status: StatusCode,
    title: &str,
    text: &str,
    link: &str,
    link_text: &str,
) -> Result<Response, WebError> {
    let page = MessagePage {
        site: &app.config,
        title,
        text,
        link,
        link_text,
    };
    Ok((status, render(&page)?).into_response())
}

pub(crate) async fn current_session(
    app: &AppState,
    jar: &CookieJar,
) -> Result<Option<(String, Session)>, WebError> {
    let Some(token) = jar
        .get(&cookies::name(app, cookies::SESSION))
        .map(|c| c.value().to_owned())
    else {
        return Ok(None);
    };
    Ok(session::find(app, &token).await?.map(|s| (token, s)))
}

pub(crate) fn csrf_refused(app: &AppState) -> Result<Response, WebError> {
    message(
        app,
        StatusCode::FORBIDDEN,
        &crate::i18n::tr("formulaire-expire-titre"),
        &crate::i18n::tr("formulaire-expire-texte"),
        "/",
        &crate::i18n::tr("recommencer"),
    )
}

/// The order of the fields of every form, for the error summary: the
/// summary lists the errors as the fields come on the page.
const FIELD_ORDER: [&str; 18] = [
    "enfants",
    "enfant_",
    "prenom",
    "naissance",
    "code",
    "actuel_enfant",
    "identifiant",
    "password",
    "password2",
    "email",
    "email2",
    "actuel",
    "nouveau",
    "nouveau2",
    "courriel",
    "courriel2",
    "actuel_courriel",
    "actuel_suppression",
];

/// The error summary of a failed submit: (id of the field to go to,
/// message), in the order of the page. A row of the children table leads
/// to its first name; the table as a whole to its first row.
pub(crate) fn summary(errors: &crate::i18n::Errors) -> Vec<(String, String)> {
    let rank = |key: &str| -> (usize, usize) {
        if let Some(n) = key.strip_prefix("enfant_").and_then(|n| n.parse().ok()) {
            return (1, n);
        }
        (
            FIELD_ORDER
                .iter()
                .position(|f| *f == key)
                .unwrap_or(FIELD_ORDER.len()),
            0,
        )
    };
    let mut items: Vec<((usize, usize), String, String)> = errors
        .iter()
        .map(|(key, msg)| {
            let anchor = match key.strip_prefix("enfant_") {
                Some(n) => format!("prenom_{n}"),
                None if key == "enfants" => "prenom_0".to_owned(),
                None => key.to_owned(),
            };
            (rank(key), anchor, msg.to_owned())
        })
        .collect();
    items.sort_by_key(|(r, _, _)| *r);
    items.into_iter().map(|(_, a, m)| (a, m)).collect()
}

/// The summary of a page with one message about one field (the login).
pub(crate) fn summary_of(field: &str, message: Option<&str>) -> Vec<(String, String)> {
    message
        .map(|m| vec![(field.to_owned(), m.to_owned())])
        .unwrap_or_default()
}

/// The rule new passwords follow, as the forms state it.
pub(crate) fn password_rule(app: &AppState) -> String {
    crate::i18n::message(&app.policy.rule_message())
}
