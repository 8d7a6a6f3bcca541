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
    upstream::find(app, id).map_or_else(|| "le fournisseur d'identité".into(), |u| u.name.clone())
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
            "Connexion impossible".to_owned(),
            "Ce moyen de connexion n'existe pas.".to_owned(),
        ),
        UpstreamError::Unreachable(_) => (
            StatusCode::BAD_GATEWAY,
            "Service de connexion indisponible".to_owned(),
            format!("{} ne répond pas pour le moment. Réessayez dans quelques minutes, ou choisissez un autre profil.", capitalized(provider)),
        ),
        UpstreamError::Refused(_) => (
            StatusCode::OK,
            "Connexion annulée".to_owned(),
            format!("La connexion avec {provider} a été annulée ou refusée. Vous n'êtes pas connecté."),
        ),
        UpstreamError::Invalid(_) => (
            StatusCode::BAD_REQUEST,
            "Connexion refusée".to_owned(),
            format!("La réponse de {provider} n'a pas pu être vérifiée. Par sécurité, vous n'êtes pas connecté."),
        ),
        UpstreamError::Expired => (
            StatusCode::BAD_REQUEST,
            "Demande expirée".to_owned(),
            "Cette demande de connexion a expiré ou a déjà été utilisée. Recommencez depuis le choix du profil.".to_owned(),
        ),
        UpstreamError::Store(_) => return Err(e.into()),
    };
    tracing::warn!(error = %e, "upstream login failed");
    message(app, status, &title, &text, "/profil", "Changer de profil")
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

/// "Gérer son compte": links the logged-in parent's account to provider `id`.
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
        Err(e) => return failure(&app, "le fournisseur d'identité", e),
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
            format!(
                "Votre compte est associé à {provider} : vous pourrez vous connecter avec {provider}."
            )
        } else {
            format!("Cette identité {provider} est déjà associée à un autre compte.")
        };
        return message(
            &app,
            StatusCode::OK,
            "Gérer son compte",
            &text,
            "/compte",
            "Retour à mon compte",
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
            "Nous ne vous avons pas trouvé",
            &format!(
                "Aucun responsable légal à votre nom ne figure dans les données des établissements. Créez votre compte avec les codes d'activation reçus de l'établissement (vous pourrez ensuite l'associer à {provider})."
            ),
            "/premiere-visite/parent",
            "Créer mon compte avec mes codes",
        ),
        Ok(ParentOutcome::Several) => message(
            &app,
            StatusCode::OK,
            "Plusieurs personnes portent votre nom",
            &format!(
                "Plusieurs responsables légaux portent votre nom : pour vous distinguer, créez votre compte avec les codes d'activation reçus de l'établissement (vous pourrez ensuite l'associer à {provider})."
            ),
            "/premiere-visite/parent",
            "Créer mon compte avec mes codes",
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
        "Trop de tentatives",
        "Trop de réponses erronées aujourd'hui pour cette identité : la confirmation est bloquée jusqu'à demain. Réessayez demain, ou créez votre compte avec les codes d'activation reçus de l'établissement.",
        "/premiere-visite/parent",
        "Créer mon compte avec mes codes",
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
                Some("Ces informations ne correspondent à aucun de vos enfants. Vérifiez le prénom et la date de naissance (jj/mm/aaaa), ou saisissez un code d'activation."),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Ok(Confirmed::Ended) => failure(&app, "le fournisseur d'identité", UpstreamError::Expired),
        Ok(Confirmed::TooManyAttempts) => too_many_attempts(&app),
        Ok(Confirmed::AlreadyHasAccount) => message(
            &app,
            StatusCode::OK,
            "Vous avez déjà un compte",
            "Un compte existe déjà pour vous : connectez-vous avec votre identifiant et votre mot de passe, puis associez votre identité depuis « gérer son compte ».",
            "/connexion?profil=parent",
            "Se connecter",
        ),
        Err(e) => failure(&app, "le fournisseur d'identité", e),
    }
}
