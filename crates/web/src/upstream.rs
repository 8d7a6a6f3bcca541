//! Logins delegated to upstream OpenID Connect providers: `/amont/{id}`
//! sends the browser there, `/amont/retour` takes the answer back, and
//! `/amont/confirmation` lets a parent matched by name confirm with a
//! child. Every failure is a French page pointing back to the profile
//! choice; nothing is created before the answer verifies.

use crate::client_ip::ClientIp;
use crate::login::complete_login;
use crate::pages::{current_session, message, render};
use crate::resume::Resume;
use crate::{AppState, WebError, csrf};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use sesame_service::config::Config;
use sesame_service::upstream::{self, Confirmed, ParentOutcome, UpstreamError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/amont/retour", get(back))
        .route("/amont/deconnexion", get(logged_out))
        .route("/amont/confirmation", post(confirm))
        .route("/amont/{id}", get(start))
        .route("/compte/amont/{id}", post(start_link))
}

fn name_of(app: &AppState, id: &str) -> String {
    upstream::find(app, id).map_or_else(
        || crate::i18n::tr("amont-le-fournisseur"),
        |u| u.name.clone(),
    )
}

/// `text` with its first letter in upper case, to begin a sentence
/// (« L'annuaire académique ne répond pas… »).
fn capitalized(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The page for a failure.
fn failure(app: &AppState, provider: &str, e: UpstreamError) -> Result<Response, WebError> {
    let (status, title, text) = match &e {
        UpstreamError::Unknown => (
            StatusCode::NOT_FOUND,
            crate::i18n::tr("amont-impossible-titre"),
            crate::i18n::tr("amont-inconnu-texte"),
        ),
        UpstreamError::Unreachable(_) => (
            StatusCode::BAD_GATEWAY,
            crate::i18n::tr("amont-indisponible-titre"),
            crate::i18n::tr_with(
                "amont-indisponible-texte",
                &[("fournisseur", &capitalized(provider))],
            ),
        ),
        UpstreamError::Refused(_) => (
            StatusCode::OK,
            crate::i18n::tr("amont-annulee-titre"),
            crate::i18n::tr_with("amont-annulee-texte", &[("fournisseur", provider)]),
        ),
        UpstreamError::Invalid(_) => (
            StatusCode::BAD_REQUEST,
            crate::i18n::tr("amont-refusee-titre"),
            crate::i18n::tr_with("amont-refusee-texte", &[("fournisseur", provider)]),
        ),
        UpstreamError::Expired => (
            StatusCode::BAD_REQUEST,
            crate::i18n::tr("demande-expiree"),
            crate::i18n::tr("amont-expiree-texte"),
        ),
        UpstreamError::Store(_) => return Err(e.into()),
    };
    tracing::warn!(error = %e, "upstream login failed");
    message(
        app,
        status,
        &title,
        &text,
        "/profil",
        &crate::i18n::tr("changer-profil"),
    )
}

/// Back from the provider's logout (the `post_logout_redirect_uri`
/// registered there): the logout is complete.
async fn logged_out(State(app): State<AppState>) -> Result<Response, WebError> {
    crate::pages::logged_out(&app)
}

#[derive(Deserialize)]
struct StartQuery {
    #[serde(default)]
    profil: String,
    #[serde(flatten)]
    resume: Resume,
}

/// Sends the browser to provider `id` for the chosen profile.
async fn start(
    State(app): State<AppState>,
    Path(id): Path<String>,
    jar: CookieJar,
    Query(q): Query<StartQuery>,
) -> Result<Response, WebError> {
    let offered = upstream::find(&app, &id).is_some_and(|u| u.profiles.contains(&q.profil));
    if !offered {
        return failure(&app, &name_of(&app, &id), UpstreamError::Unknown);
    }
    let resume = serde_json::to_value(&q.resume).unwrap_or_default();
    let (jar, browser) = csrf::browser(&app, jar);
    match upstream::start(&app, &id, &q.profil, &browser, resume, None).await {
        Ok(url) => Ok((jar, Redirect::to(&url)).into_response()),
        Err(e) => failure(&app, &name_of(&app, &id), e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// &crate::i18n::tr("gerer-compte"): links the logged-in parent's account to provider `id`.
async fn start_link(
    State(app): State<AppState>,
    Path(id): Path<String>,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &f.csrf, csrf::Form::Account).await? {
        return crate::pages::csrf_refused(&app);
    }
    let Some((_, s)) = current_session(&app, &jar).await? else {
        return Ok(Redirect::to("/profil").into_response());
    };
    if s.kind != sesame_domain::AccountKind::Responsable
        || upstream::find(&app, &id).is_none_or(|u| !u.match_guardians)
    {
        return failure(&app, &name_of(&app, &id), UpstreamError::Unknown);
    }
    let (jar, browser) = csrf::browser(&app, jar);
    let link = Some(s.account_id);
    match upstream::start(
        &app,
        &id,
        &s.profile,
        &browser,
        serde_json::Value::Null,
        link,
    )
    .await
    {
        Ok(url) => Ok((jar, Redirect::to(&url)).into_response()),
        Err(e) => failure(&app, &name_of(&app, &id), e),
    }
}

#[derive(askama::Template)]
#[template(path = "upstream_confirm.html")]
struct ConfirmPage<'a> {
    site: &'a Config,
    name: String,
    provider: String,
    csrf: String,
    ticket: String,
    error: Option<&'a str>,
}

fn resume_of(v: serde_json::Value) -> Resume {
    serde_json::from_value(v).unwrap_or_default()
}

/// The provider's answer.
async fn back(
    State(app): State<AppState>,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let browser = csrf::browser_of(&app, &jar);
    let r = match upstream::finish(&app, &params, browser.as_deref()).await {
        Ok(r) => r,
        Err(e) => return failure(&app, &crate::i18n::tr("amont-le-fournisseur"), e),
    };
    let provider = name_of(&app, &r.pending.upstream);
    if let Some(account_id) = r.pending.link_account {
        let mine = current_session(&app, &jar)
            .await?
            .is_some_and(|(_, s)| s.account_id == account_id);
        if !mine {
            return failure(&app, &provider, UpstreamError::Expired);
        }
        let linked = upstream::link_account(&app, account_id, &r).await?;
        let text = if linked {
            crate::i18n::tr_with("amont-associe", &[("fournisseur", &provider)])
        } else {
            crate::i18n::tr_with("amont-deja-associe", &[("fournisseur", &provider)])
        };
        return message(
            &app,
            StatusCode::OK,
            &crate::i18n::tr("gerer-compte"),
            &text,
            "/compte",
            &crate::i18n::tr("retour-mon-compte"),
        );
    }
    let ctx = resume_of(r.pending.resume.clone());
    let national = upstream::find(&app, &r.pending.upstream).is_some_and(|u| u.match_guardians);
    if !national {
        let s = match upstream::staff_session(&app, &r, &ip).await {
            Ok(s) => s,
            Err(e) => return failure(&app, &provider, e),
        };
        return complete_login(&app, jar, s, &ctx).await;
    }
    match upstream::parent(&app, &r, &ip).await {
        Ok(ParentOutcome::LoggedIn(s)) => complete_login(&app, jar, s, &ctx).await,
        Ok(ParentOutcome::Confirm(ticket)) => {
            let name = upstream::display_name(&r.claims);
            confirm_page(&app, jar, name, provider, ticket, None, StatusCode::OK).await
        }
        Ok(ParentOutcome::Blocked) => too_many_attempts(&app),
        Ok(ParentOutcome::NoMatch) => message(
            &app,
            StatusCode::OK,
            &crate::i18n::tr("amont-non-trouve-titre"),
            &crate::i18n::tr_with("amont-non-trouve-texte", &[("fournisseur", &provider)]),
            "/premiere-visite/parent",
            &crate::i18n::tr("amont-creer-avec-codes"),
        ),
        Ok(ParentOutcome::Several) => message(
            &app,
            StatusCode::OK,
            &crate::i18n::tr("amont-homonymes-titre"),
            &crate::i18n::tr_with("amont-homonymes-texte", &[("fournisseur", &provider)]),
            "/premiere-visite/parent",
            &crate::i18n::tr("amont-creer-avec-codes"),
        ),
        Err(e) => failure(&app, &provider, e),
    }
}

async fn confirm_page(
    app: &AppState,
    jar: CookieJar,
    name: String,
    provider: String,
    ticket: String,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (jar, csrf) = csrf::issue(app, jar, csrf::Form::UpstreamConfirm);
    // Once confirmed, the login goes on to the service it resumes.
    let resume = upstream::candidate_resume(app, &ticket)
        .await?
        .map(resume_of)
        .unwrap_or_default();
    let targets = crate::onward::form_targets(app, &resume, Some(sesame_domain::Profile::Parent));
    let page = ConfirmPage {
        site: &app.config,
        name,
        provider: capitalized(&provider),
        csrf,
        ticket,
        error,
    };
    Ok(crate::onward::with_form_targets(
        &targets,
        (status, jar, render(&page)?).into_response(),
    ))
}

/// An identity that used up today's child confirmations.
fn too_many_attempts(app: &AppState) -> Result<Response, WebError> {
    let mut r = message(
        app,
        StatusCode::TOO_MANY_REQUESTS,
        &crate::i18n::tr("trop-tentatives"),
        &crate::i18n::tr("amont-trop-tentatives"),
        "/premiere-visite/parent",
        &crate::i18n::tr("amont-creer-avec-codes"),
    )?;
    r.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("86400"),
    );
    Ok(r)
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    prenom: String,
    #[serde(default)]
    naissance: String,
    #[serde(default)]
    code: String,
}

/// A matched parent confirms with a child (or an activation code).
async fn confirm(
    State(app): State<AppState>,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &f.csrf, csrf::Form::UpstreamConfirm).await? {
        return crate::pages::csrf_refused(&app);
    }
    let birth = sesame_service::signup::parse_birth(&f.naissance);
    let code = (!f.code.trim().is_empty())
        .then(|| sesame_domain::ActivationCode::parse(&f.code).ok())
        .flatten();
    match upstream::confirm_parent(&app, &f.ticket, &f.prenom, birth, code.as_ref(), &ip).await {
        Ok(Confirmed::Done(s, resume)) => complete_login(&app, jar, *s, &resume_of(resume)).await,
        Ok(Confirmed::Wrong(greeting)) => {
            confirm_page(
                &app,
                jar,
                greeting.name,
                name_of(&app, &greeting.upstream),
                f.ticket,
                Some(&crate::i18n::tr("amont-mauvaise-reponse")),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Ok(Confirmed::Ended) => failure(
            &app,
            &crate::i18n::tr("amont-le-fournisseur"),
            UpstreamError::Expired,
        ),
        Ok(Confirmed::TooManyAttempts) => too_many_attempts(&app),
        Ok(Confirmed::AlreadyHasAccount) => message(
            &app,
            StatusCode::OK,
            &crate::i18n::tr("amont-deja-compte-titre"),
            &crate::i18n::tr("amont-deja-compte-texte"),
            "/connexion?profil=parent",
            &crate::i18n::tr("se-connecter"),
        ),
        Err(e) => failure(&app, &crate::i18n::tr("amont-le-fournisseur"), e),
    }
}
