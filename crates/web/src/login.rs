//! The public pages of a login: profile choice, login, home, logout (seed
//! guide §1.1–1.3), and where a successful login goes on to.

use crate::cas::redirect_with_ticket;
use crate::client_ip::ClientIp;
use crate::i18n::tr;
use crate::onward::{form_targets, with_form_targets};
use crate::pages::{csrf_refused, current_session, message, render, source};
use crate::resume::Resume;
use crate::{AppState, WebError, cookies, csrf};
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use sesame_domain::Profile;
use sesame_service::config::Config;
use sesame_service::config::ProfileSource;
use sesame_service::confirm;
use sesame_service::login::{self, LoginOutcome};
use sesame_service::session::{self, Session};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(show_home))
        .route("/profil", get(show_profiles).post(choose_profile))
        .route("/connexion", get(show_login).post(submit_login))
        .route("/deconnexion", axum::routing::post(logout))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    site: &'a Config,
    identifiant: &'a str,
    profile_label: &'a str,
    children: Vec<sesame_service::account::Child>,
    csrf: String,
    /// A parent's page: each child has « Ce n'est pas mon enfant ».
    parent: bool,
    /// The token of those forms.
    report_csrf: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    site: &'a Config,
    csrf: String,
    resume: Resume,
    profiles: Vec<(&'static str, String)>,
}

/// `/`: the home page when logged in; otherwise the remembered profile's
/// login page, or the profile choice.
async fn show_home(State(app): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    if let Some((_, s)) = current_session(&app, &jar).await? {
        if s.must_change.is_some() {
            return Ok(Redirect::to("/compte/nouveau-mot-de-passe").into_response());
        }
        let children = sesame_service::account::children(&app, s.account_id).await?;
        let (jar, csrf) = csrf::issue(&app, jar, csrf::Form::Logout);
        let (jar, report_csrf) = csrf::issue(&app, jar, csrf::Form::Report);
        let page = HomePage {
            site: &app.config,
            identifiant: &s.identifiant,
            profile_label: &crate::pages::label_in_lang(&s.profile),
            children,
            csrf,
            parent: s.kind == sesame_domain::AccountKind::Responsable,
            report_csrf,
        };
        // The logout form leads on to the provider's logout, when the
        // session came through one that publishes it.
        let targets: Vec<String> = s
            .upstream
            .as_ref()
            .and_then(|l| sesame_service::upstream::end_session_url(&app, l))
            .and_then(|u| url::Url::parse(&u).ok())
            .map(|u| u.origin().ascii_serialization())
            .into_iter()
            .collect();
        return Ok(with_form_targets(
            &targets,
            (jar, render(&page)?).into_response(),
        ));
    }
    if let Some(p) = jar
        .get(&cookies::name(&app, cookies::PROFILE))
        .map(|c| c.value().to_owned())
        && source(&app, &p).is_some()
    {
        return Ok(Redirect::to(&format!("/connexion?profil={p}")).into_response());
    }
    profiles_page(&app, jar, Resume::default()).await
}

/// `/profil`: the profile choice ("Changer de profil" leads here).
async fn show_profiles(
    State(app): State<AppState>,
    jar: CookieJar,
    Query(resume): Query<Resume>,
) -> Result<Response, WebError> {
    profiles_page(&app, jar, resume).await
}

async fn profiles_page(
    app: &AppState,
    jar: CookieJar,
    resume: Resume,
) -> Result<Response, WebError> {
    let app = app.clone();
    let (jar, csrf) = csrf::issue(&app, jar, csrf::Form::Profile);
    let profiles = Profile::ALL
        .into_iter()
        .filter(|p| app.config.profiles.source(*p) != ProfileSource::Disabled)
        .map(|p| (p.as_str(), crate::pages::profile_label(p)))
        .collect();
    let targets = form_targets(&app, &resume, None);
    let page = ProfilePage {
        site: &app.config,
        csrf,
        resume,
        profiles,
    };
    Ok(with_form_targets(
        &targets,
        (jar, render(&page)?).into_response(),
    ))
}

#[derive(Deserialize)]
struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    profil: String,
    memoriser: Option<String>,
    #[serde(flatten)]
    resume: Resume,
}

async fn choose_profile(
    State(app): State<AppState>,
    jar: CookieJar,
    Form(f): Form<ProfileForm>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &f.csrf, csrf::Form::Profile).await? {
        return csrf_refused(&app);
    }
    if source(&app, &f.profil).is_none() {
        return profiles_page(&app, jar, f.resume).await;
    }
    let jar = if f.memoriser.is_some() {
        jar.add(cookies::build(
            &app,
            cookies::PROFILE,
            f.profil.clone(),
            Some(365 * 24 * 3600),
        ))
    } else {
        jar.add(cookies::removal(&app, cookies::PROFILE))
    };
    Ok((
        jar,
        Redirect::to(&format!(
            "/connexion?profil={}{}",
            f.profil,
            f.resume.query()
        )),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    site: &'a Config,
    csrf: String,
    profile: &'a str,
    profile_label: String,
    identifiant: &'a str,
    error: Option<&'a str>,
    /// The error summary: the one message, leading to the identifiant.
    summary: Vec<(String, String)>,
    resend: Option<String>,
    resume: &'a Resume,
    /// Upstream providers offered next to the password: (URL, name).
    upstreams: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct LoginQuery {
    profil: Option<String>,
    #[serde(flatten)]
    resume: Resume,
}

/// Said when the password is right but the account awaits confirmation
/// (its key in the .ftl files).
const PENDING: &str = "connexion-attente";

/// One message for every failure (AUTH-04).
const LOGIN_FAILED: &str = "connexion-echec";

async fn login_page(
    app: &AppState,
    jar: CookieJar,
    profile: &str,
    identifiant: &str,
    error: Option<&str>,
    status: StatusCode,
    resume: &Resume,
) -> Result<Response, WebError> {
    login_page_with(app, jar, profile, identifiant, error, None, status, resume).await
}

// The page's eight inputs are all needed; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
async fn login_page_with(
    app: &AppState,
    jar: CookieJar,
    profile: &str,
    identifiant: &str,
    error: Option<&str>,
    resend: Option<String>,
    status: StatusCode,
    resume: &Resume,
) -> Result<Response, WebError> {
    let Ok(chosen) = profile.parse::<Profile>() else {
        return Ok(Redirect::to("/profil").into_response());
    };
    match app.config.profiles.source(chosen) {
        ProfileSource::Local => {}
        ProfileSource::Upstream
            if let Some(up) = sesame_service::upstream::for_profile(app, chosen).first() =>
        {
            // Delegated: straight to the provider.
            let to = format!("/amont/{}?profil={profile}{}", up.id, resume.query());
            return Ok(Redirect::to(&to).into_response());
        }
        _ => {
            return message(
                app,
                StatusCode::OK,
                &tr("profil-indisponible-titre"),
                &tr("profil-indisponible-texte"),
                "/profil",
                &tr("changer-profil"),
            );
        }
    }
    let (jar, csrf) = csrf::issue(app, jar, csrf::Form::Login);
    let page = LoginPage {
        site: &app.config,
        csrf,
        profile,
        profile_label: crate::pages::profile_label(chosen),
        identifiant,
        error,
        summary: crate::pages::summary_of("identifiant", error),
        resend,
        resume,
        upstreams: sesame_service::upstream::for_profile(app, chosen)
            .into_iter()
            .map(|u| {
                (
                    format!("/amont/{}?profil={profile}{}", u.id, resume.query()),
                    u.name.clone(),
                )
            })
            .collect(),
    };
    let targets = form_targets(app, resume, Some(chosen));
    Ok(with_form_targets(
        &targets,
        (status, jar, render(&page)?).into_response(),
    ))
}

/// Opens the session of a successful login (password or upstream) and
/// goes on: the forced password change, the OpenID Connect authorization
/// or CAS service in progress, or the home page.
pub(crate) async fn complete_login(
    app: &AppState,
    jar: CookieJar,
    s: Session,
    ctx: &Resume,
) -> Result<Response, WebError> {
    // A new session id at every login; the old one, if any, ends.
    if let Some((old, _)) = current_session(app, &jar).await? {
        session::close(app, &old).await?;
    }
    let token = session::open(app, &s).await?;
    let jar = jar.add(cookies::build(app, cookies::SESSION, token, None));
    if s.must_change.is_some() {
        return Ok((jar, Redirect::to("/compte/nouveau-mot-de-passe")).into_response());
    }
    if ctx.resumes_oidc() {
        return Ok((jar, Redirect::to(&ctx.suite)).into_response());
    }
    if !ctx.service.is_empty() {
        // Back to the service with a ticket from this new login (303).
        let r = redirect_with_ticket(app, &s, ctx, true, StatusCode::SEE_OTHER).await?;
        return Ok((jar, r).into_response());
    }
    Ok((jar, Redirect::to("/")).into_response())
}

async fn show_login(
    State(app): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LoginQuery>,
) -> Result<Response, WebError> {
    let profile = q.profil.unwrap_or_default();
    // OpenID Connect `login_hint`: the identifiant, pre-filled.
    let hint = q
        .resume
        .resumes_oidc()
        .then(|| {
            url::form_urlencoded::parse(
                q.resume
                    .suite
                    .split_once('?')
                    .unwrap_or_default()
                    .1
                    .as_bytes(),
            )
            .find(|(k, _)| k == "login_hint")
            .map(|(_, v)| v.chars().take(100).collect::<String>())
        })
        .flatten()
        .unwrap_or_default();
    login_page(&app, jar, &profile, &hint, None, StatusCode::OK, &q.resume).await
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    profil: String,
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    password: String,
    #[serde(flatten)]
    resume: Resume,
}

async fn submit_login(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &f.csrf, csrf::Form::Login).await? {
        return csrf_refused(&app);
    }
    if source(&app, &f.profil) != Some(ProfileSource::Local) {
        return Ok(Redirect::to("/profil").into_response());
    }
    let outcome = login::login(&app, &f.identifiant, &f.password, &ip, &f.profil).await?;
    match outcome {
        LoginOutcome::Success(s) => complete_login(&app, jar, s, &f.resume).await,
        LoginOutcome::Pending(id) => {
            let ticket = confirm::resend_ticket(&app, id).await?;
            login_page_with(
                &app,
                jar,
                &f.profil,
                &f.identifiant,
                Some(&tr(PENDING)),
                Some(ticket),
                StatusCode::OK,
                &f.resume,
            )
            .await
        }
        LoginOutcome::Failed => {
            login_page(
                &app,
                jar,
                &f.profil,
                &f.identifiant,
                Some(&tr(LOGIN_FAILED)),
                StatusCode::OK,
                &f.resume,
            )
            .await
        }
        LoginOutcome::IpThrottled(secs) => {
            let mut r = message(
                &app,
                StatusCode::TOO_MANY_REQUESTS,
                &tr("erreur-429-titre"),
                &tr("trop-tentatives-connexion"),
                "/",
                &tr("retour"),
            )?;
            if let Ok(v) = secs.to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(r)
        }
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(app): State<AppState>,
    jar: CookieJar,
    Form(f): Form<LogoutForm>,
) -> Result<Response, WebError> {
    if !csrf::check(&app, &jar, &f.csrf, csrf::Form::Logout).await? {
        return csrf_refused(&app);
    }
    let mut upstream = None;
    if let Some((token, s)) = current_session(&app, &jar).await? {
        upstream = s.upstream.clone();
        sesame_service::slo::end(app.0.clone(), &token, s.sid).await?;
    }
    let jar = jar.add(cookies::removal(&app, cookies::SESSION));
    // Opened through a provider: log out there too when it says how (a
    // shared computer is then really logged out); otherwise say plainly
    // that its session may still be open.
    let Some(login) = upstream else {
        return Ok((jar, crate::pages::logged_out(&app)?).into_response());
    };
    if let Some(url) = sesame_service::upstream::end_session_url(&app, &login) {
        return Ok((jar, Redirect::to(&url)).into_response());
    }
    let provider = sesame_service::upstream::find(&app, &login.provider).map_or_else(
        || crate::i18n::tr("amont-le-fournisseur"),
        |u| u.name.clone(),
    );
    let r = crate::pages::logged_out_provider_open(&app, &provider)?;
    Ok((jar, r).into_response())
}
