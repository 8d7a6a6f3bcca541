//! First visit by text message (issue 20 §2): « Je n'ai pas reçu de
//! courrier » on the parent first-visit page leads to four forms, each
//! answered by `303 See Other` to the next (POST-redirect-GET): the mobile
//! number, the code received, one child's first name and birth date, the
//! identifiant, password and address. The browser's flow token is a cookie
//! (`sesame-sms`); the service keeps only its keyed hash. Offered only
//! with `[sms] enabled = true` and local parent accounts.

use crate::client_ip::ClientIp;
use crate::flash::{self, Kind};
use crate::i18n::tr;
use crate::pages::{csrf_refused, message, render};
use crate::{AppState, WebError, cookies, csrf};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use sesame_service::config::{Config, ProfileSource};
use sesame_service::session::new_token;
use sesame_service::signup::sms::{self as flow, SmsError, Stage};
use sesame_service::signup::{Credentials, FieldErrors};

/// The flow token's cookie (`sesame-sms`).
const COOKIE: &str = "-sms";

const NUMBER: &str = "/premiere-visite/sms";
const CODE: &str = "/premiere-visite/sms/code";
const CHILD: &str = "/premiere-visite/sms/enfant";
const ACCOUNT: &str = "/premiere-visite/sms/compte";
const CREATED: &str = "/premiere-visite/sms/compte-cree";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(NUMBER, get(show_number).post(submit_number))
        .route(CODE, get(show_code).post(submit_code))
        .route(CHILD, get(show_child).post(submit_child))
        .route(ACCOUNT, get(show_account).post(submit_account))
        .route(CREATED, get(show_created))
}

/// Which form a page shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Number,
    Code,
    Child,
    Account,
}

impl Step {
    fn path(self) -> &'static str {
        match self {
            Self::Number => NUMBER,
            Self::Code => CODE,
            Self::Child => CHILD,
            Self::Account => ACCOUNT,
        }
    }

    fn of(stage: Option<Stage>) -> Self {
        match stage {
            None => Self::Number,
            Some(Stage::Code) => Self::Code,
            Some(Stage::Child) => Self::Child,
            Some(Stage::Account) => Self::Account,
        }
    }
}

#[derive(Template)]
#[template(path = "sms.html")]
struct SmsPage<'a> {
    site: &'a Config,
    csrf: String,
    step: &'static str,
    title: &'static str,
    action: &'static str,
    errors: crate::i18n::Errors,
    /// The key of why the flow ended, written in the page's language.
    notice: Option<String>,
    portable: &'a str,
    prenom: &'a str,
    naissance: &'a str,
    credentials: &'a Credentials,
    password_label: String,
}

/// What a page shows again.
#[derive(Default)]
struct Typed<'a> {
    portable: &'a str,
    prenom: &'a str,
    naissance: &'a str,
    credentials: Option<Credentials>,
}

fn page(
    app: &AppState,
    jar: CookieJar,
    step: Step,
    errors: &FieldErrors,
    notice: Option<&str>,
    typed: Typed<'_>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (jar, csrf) = csrf::issue(app, jar, csrf::Form::Sms);
    let mut credentials = typed.credentials.unwrap_or_default();
    credentials.clear_passwords();
    let (name, title) = match step {
        Step::Number => ("numero", "sms-page-numero"),
        Step::Code => ("code", "sms-page-code"),
        Step::Child => ("enfant", "sms-page-enfant"),
        Step::Account => ("compte", "sms-page-compte"),
    };
    let p = SmsPage {
        site: &app.config,
        csrf,
        step: name,
        title,
        action: step.path(),
        errors: errors.into(),
        notice: notice.map(crate::i18n::tr),
        portable: typed.portable,
        prenom: typed.prenom,
        naissance: typed.naissance,
        credentials: &credentials,
        password_label: crate::i18n::tr_with(
            "sms-compte-mot-de-passe",
            &[("regle", &crate::pages::password_rule(app))],
        ),
    };
    Ok((status, jar, render(&p)?).into_response())
}

fn offered(app: &AppState) -> bool {
    app.config.sms.enabled && app.config.profiles.parent == ProfileSource::Local
}

fn flow_of(app: &AppState, jar: &CookieJar) -> Option<String> {
    jar.get(&cookies::name(app, COOKIE))
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 43)
}

/// The page for `want`, or a redirect to where the flow stands.
async fn show(app: &AppState, jar: CookieJar, want: Step) -> Result<Response, WebError> {
    if !offered(app) {
        return Ok(Redirect::to("/premiere-visite/parent").into_response());
    }
    let stage = match flow_of(app, &jar) {
        Some(f) => flow::stage(app, &f).await.map_err(store)?,
        None => None,
    };
    let at = Step::of(stage);
    if want != Step::Number && at != want {
        return Ok(Redirect::to(at.path()).into_response());
    }
    page(
        app,
        jar,
        want,
        &FieldErrors::new(),
        None,
        Typed::default(),
        StatusCode::OK,
    )
}

fn store(e: SmsError) -> WebError {
    match e {
        SmsError::Store(e) => e.into(),
        // Only storage failures reach here.
        other => WebError::from(sesame_store::StoreError::Ephemeral(
            sesame_store::EphemeralError::from_text(other.to_string()),
        )),
    }
}

/// The answer to a failed step: the form again with its errors, the first
/// form with why the flow ended, or « trop de demandes ».
fn failed(
    app: &AppState,
    jar: CookieJar,
    step: Step,
    e: SmsError,
    typed: Typed<'_>,
) -> Result<Response, WebError> {
    match e {
        SmsError::Invalid(errors) => page(
            app,
            jar,
            step,
            &errors,
            None,
            typed,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        SmsError::Over(why) => page(
            app,
            jar.remove(cookies::removal(app, COOKIE)),
            Step::Number,
            &FieldErrors::new(),
            Some(why),
            Typed::default(),
            StatusCode::GONE,
        ),
        SmsError::Throttled => message(
            app,
            StatusCode::TOO_MANY_REQUESTS,
            &tr("sms-trop-titre"),
            &tr("sms-trop-texte"),
            "/premiere-visite/parent",
            &tr("sms-retour"),
        ),
        SmsError::Store(e) => Err(e.into()),
    }
}

/// Checks the form's CSRF token and that the path is offered.
async fn guard(app: &AppState, jar: &CookieJar, token: &str) -> Result<Option<Response>, WebError> {
    if !csrf::check(app, jar, token, csrf::Form::Sms).await? {
        return Ok(Some(csrf_refused(app)?));
    }
    if !offered(app) {
        return Ok(Some(
            Redirect::to("/premiere-visite/parent").into_response(),
        ));
    }
    Ok(None)
}

async fn show_number(State(app): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    show(&app, jar, Step::Number).await
}

#[derive(Deserialize)]
struct NumberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    portable: String,
}

async fn submit_number(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<NumberForm>,
) -> Result<Response, WebError> {
    if let Some(r) = guard(&app, &jar, &f.csrf).await? {
        return Ok(r);
    }
    // A new flow for every number asked: a code sent earlier to this
    // browser no longer counts.
    let token = new_token();
    let max_age = flow::FLOW_MINUTES * 60;
    match flow::request_code(&app, &token, &f.portable, &ip).await {
        Ok(()) => {
            let jar = jar.add(cookies::build(&app, COOKIE, token, Some(max_age)));
            Ok((jar, Redirect::to(CODE)).into_response())
        }
        Err(e) => failed(
            &app,
            jar,
            Step::Number,
            e,
            Typed {
                portable: &f.portable,
                ..Typed::default()
            },
        ),
    }
}

async fn show_code(State(app): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    show(&app, jar, Step::Code).await
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

async fn submit_code(
    State(app): State<AppState>,
    jar: CookieJar,
    Form(f): Form<CodeForm>,
) -> Result<Response, WebError> {
    if let Some(r) = guard(&app, &jar, &f.csrf).await? {
        return Ok(r);
    }
    let flow_token = flow_of(&app, &jar).unwrap_or_default();
    match flow::verify_code(&app, &flow_token, &f.code).await {
        Ok(()) => Ok(Redirect::to(CHILD).into_response()),
        Err(e) => failed(&app, jar, Step::Code, e, Typed::default()),
    }
}

async fn show_child(State(app): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    show(&app, jar, Step::Child).await
}

#[derive(Deserialize)]
struct ChildForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    prenom: String,
    #[serde(default)]
    naissance: String,
}

async fn submit_child(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<ChildForm>,
) -> Result<Response, WebError> {
    if let Some(r) = guard(&app, &jar, &f.csrf).await? {
        return Ok(r);
    }
    let flow_token = flow_of(&app, &jar).unwrap_or_default();
    match flow::check_child(&app, &flow_token, &f.prenom, &f.naissance, &ip).await {
        Ok(()) => Ok(Redirect::to(ACCOUNT).into_response()),
        Err(e) => failed(
            &app,
            jar,
            Step::Child,
            e,
            Typed {
                prenom: &f.prenom,
                naissance: &f.naissance,
                ..Typed::default()
            },
        ),
    }
}

async fn show_account(State(app): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    show(&app, jar, Step::Account).await
}

#[derive(Deserialize)]
struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    credentials: Credentials,
}

async fn submit_account(
    State(app): State<AppState>,
    jar: CookieJar,
    Form(f): Form<AccountForm>,
) -> Result<Response, WebError> {
    if let Some(r) = guard(&app, &jar, &f.csrf).await? {
        return Ok(r);
    }
    let flow_token = flow_of(&app, &jar).unwrap_or_default();
    match flow::create_account(&app, &flow_token, &f.credentials).await {
        Ok(_) => {
            let jar = jar.remove(cookies::removal(&app, COOKIE));
            flash::redirect(&app, jar, Kind::SmsCreated, "", CREATED).await
        }
        Err(e) => failed(
            &app,
            jar,
            Step::Account,
            e,
            Typed {
                credentials: Some(f.credentials),
                ..Typed::default()
            },
        ),
    }
}

/// The page of the created account, shown while its flash lasts.
async fn show_created(State(app): State<AppState>, jar: CookieJar) -> Result<Response, WebError> {
    if flash::read(&app, &jar, Kind::SmsCreated).await?.is_none() {
        return Ok(Redirect::to(NUMBER).into_response());
    }
    message(
        &app,
        StatusCode::OK,
        &tr("sms-cree-titre"),
        &tr("sms-cree-texte"),
        "/connexion?profil=parent",
        &tr("sms-cree-lien"),
    )
}
