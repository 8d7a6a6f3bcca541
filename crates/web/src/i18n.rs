//! The language of the pages: French by default, English, and any other
//! language whose Fluent files are added under `crates/web/locales/`
//! (docs/configuration.md, « Langues »).
//!
//! The language of a request is chosen once, by [`negotiate`], in this
//! order: the `langue` cookie set by the switch in every footer
//! (`/langue`), then the OpenID Connect `ui_locales` of the authorization
//! (on `/oidc/authorize`, in the `suite` a login carries, or remembered
//! for the browser session by the `langue-oidc` cookie), then
//! `Accept-Language`, then French. It is request-scoped (a task-local
//! set around the request, like the request's tracing span), so that the
//! templates and the message helpers read it without every handler
//! passing it along; outside a request it is French.
//!
//! Texts that were literal in a template come through [`t`] and are not
//! escaped again (they are ours); texts that were variables (messages,
//! labels) come through [`tr`] as plain strings that askama escapes as
//! before, so that the French pages are byte-identical to what they were.

use crate::{AppState, cookies};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use sesame_domain::{Arg, Message};
use sesame_service::config::Conformity;
use sesame_service::signup::FieldErrors;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

fluent_templates::static_loader! {
    // The .ftl files, embedded at compile time.
    static LOCALES = {
        locales: "./locales",
        fallback_language: "fr",
        // No Unicode isolation marks around arguments: the French pages
        // stay byte-identical and the arguments are left-to-right.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages of the pages. Adding one: a variant here, its line in
/// [`Lang::ALL`], its folder under `locales/` (docs/configuration.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Lang {
    #[default]
    Fr,
    En,
}

static FR: LanguageIdentifier = langid!("fr");
static EN: LanguageIdentifier = langid!("en");

impl Lang {
    /// Every language, the default first.
    pub(crate) const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// The language's tag (`<html lang>`, the cookie's value).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language's name in itself, as the switch offers it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }

    /// The language of a tag (`en`, `en-GB`, `FR-fr`); `None` for one
    /// that is not offered.
    pub(crate) fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The first offered language of an OpenID Connect `ui_locales`
    /// (space-separated tags, preferred first).
    fn from_ui_locales(v: &str) -> Option<Lang> {
        v.split_ascii_whitespace().find_map(Lang::from_tag)
    }

    /// The preferred offered language of an `Accept-Language` header
    /// (RFC 9110 §12.5.4: quality values, `*` ignored).
    fn from_accept_language(v: &str) -> Option<Lang> {
        let mut best: Option<(u16, Lang)> = None;
        for item in v.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(1000, |q| {
                    q.trim()
                        .parse::<f32>()
                        .map_or(0, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
                });
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }
}

/// What a request's pages need of its language: the language, and the
/// page to come back to after switching it.
#[derive(Clone, Debug, Default)]
struct Ctx {
    lang: Lang,
    /// The path and query of this page (a GET), for the switch.
    here: String,
}

tokio::task_local! {
    static CURRENT: Ctx;
}

/// The language of the request being answered (French outside one).
pub(crate) fn lang() -> Lang {
    CURRENT.try_with(|c| c.lang).unwrap_or_default()
}

/// The request's language as the service knows it: the language of the
/// mails of an account created or switched in this request.
pub(crate) fn language() -> sesame_domain::Language {
    lang().into()
}

impl From<Lang> for sesame_domain::Language {
    fn from(l: Lang) -> Self {
        match l {
            Lang::Fr => sesame_domain::Language::Fr,
            Lang::En => sesame_domain::Language::En,
        }
    }
}

/// A text of ours, in the request's language, written as it is (not
/// escaped again: the .ftl files hold HTML-ready text).
#[derive(Clone, Debug)]
pub(crate) struct Text(String);

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for Text {}

/// The text of `key` in the request's language, for a template.
pub(crate) fn t(key: &str) -> Text {
    Text(tr(key))
}

/// An argument, escaped as askama escapes a variable.
fn escaped(value: impl fmt::Display) -> String {
    askama::filters::escape(value.to_string(), askama::filters::Html)
        .map(|e| e.to_string())
        .unwrap_or_default()
}

/// The text of `key` with one argument, escaped, for a template.
pub(crate) fn t1(key: &str, name: &str, value: impl fmt::Display) -> Text {
    Text(tr_with(key, &[(name, &escaped(value))]))
}

/// The text of `key` with two arguments, escaped, for a template.
pub(crate) fn t2(
    key: &str,
    name: &str,
    value: impl fmt::Display,
    name2: &str,
    value2: impl fmt::Display,
) -> Text {
    Text(tr_with(
        key,
        &[(name, &escaped(value)), (name2, &escaped(value2))],
    ))
}

/// The text of `key` in the request's language, as a plain string (to be
/// escaped where it is shown).
pub(crate) fn tr(key: &str) -> String {
    LOCALES.lookup(lang().id(), key)
}

/// The text of `key` with its arguments, as a plain string.
pub(crate) fn tr_with(key: &str, args: &[(&str, &str)]) -> String {
    let args: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| {
            (
                Cow::Owned((*k).to_owned()),
                FluentValue::from((*v).to_owned()),
            )
        })
        .collect();
    LOCALES.lookup_with_args(lang().id(), key, &args)
}

/// A message of the services (`sesame_domain::Message`) in the request's
/// language, as a plain string; its message arguments are written first.
pub(crate) fn message(m: &Message) -> String {
    let args: Vec<(&str, String)> = m
        .args
        .iter()
        .map(|(k, a)| {
            (
                *k,
                match a {
                    Arg::Text(t) => t.clone(),
                    Arg::Message(inner) => message(inner),
                },
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    tr_with(m.key, &refs)
}

/// The errors of a form (`FieldErrors`), written in the request's
/// language: what the templates show beside the fields and in the summary.
#[derive(Debug, Clone, Default)]
pub(crate) struct Errors(BTreeMap<String, String>);

impl Errors {
    /// A field's message.
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    /// Whether the form has no error.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every (field, message).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl From<&FieldErrors> for Errors {
    fn from(e: &FieldErrors) -> Self {
        Self(e.iter().map(|(k, m)| (k.to_owned(), message(m))).collect())
    }
}

/// The text of `key` with its arguments, escaped, for a template.
pub(crate) fn ta(key: &str, args: &[(&str, String)]) -> Text {
    let escaped: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, escaped(v))).collect();
    let refs: Vec<(&str, &str)> = escaped.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Text(tr_with(key, &refs))
}

/// The text of `key` with its arguments, as a plain string (a label that
/// the template escapes where it shows it).
pub(crate) fn tra(key: &str, args: &[(&str, String)]) -> String {
    let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    tr_with(key, &refs)
}

/// The key of a conformity level, as the accessibility declaration says
/// it (« partiellement conforme »).
pub(crate) fn conformity_key(c: &Conformity) -> &'static str {
    match c {
        Conformity::Conforme => "conformite-conforme",
        Conformity::PartiellementConforme => "conformite-partiellement-conforme",
        Conformity::NonConforme => "conformite-non-conforme",
    }
}

/// What an OpenID Connect scope lets a service do, as the consent page
/// lists it ("" for a scope without a label, as
/// `sesame_service::oidc::flow::scope_label` has: a unit test compares them).
pub(crate) fn scope_label(scope: &str) -> String {
    let key = match scope {
        "openid" => "portee-openid",
        "profile" => "portee-profile",
        "email" => "portee-email",
        "sesame" => "portee-sesame",
        "sesame.children" => "portee-enfants",
        _ => return String::new(),
    };
    tr(key)
}

/// The key of the page refusing an authorization request.
pub(crate) fn oidc_refusal_key(e: sesame_service::oidc::flow::PageError) -> &'static str {
    use sesame_service::oidc::flow::PageError;
    match e {
        PageError::RepeatedParameter => "oidc-refus-parametre-repete",
        PageError::UnknownClient => "oidc-refus-client-inconnu",
        PageError::UnregisteredRedirectUri => "oidc-refus-redirect-uri",
    }
}

/// The footer's « Accessibilité : … conforme », in the request's language.
pub(crate) fn conformity(c: &Conformity) -> Text {
    t(match c {
        Conformity::Conforme => "pied-accessibilite-conforme",
        Conformity::PartiellementConforme => "pied-accessibilite-partiellement-conforme",
        Conformity::NonConforme => "pied-accessibilite-non-conforme",
    })
}

/// The other languages, with the link that switches to each (the footer).
pub(crate) fn switches() -> Vec<(String, &'static str, &'static str)> {
    let (lang, here) = CURRENT
        .try_with(|c| (c.lang, c.here.clone()))
        .unwrap_or_default();
    Lang::ALL
        .into_iter()
        .filter(|l| *l != lang)
        .map(|l| {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            q.append_pair("choix", l.code());
            if !here.is_empty() {
                q.append_pair("retour", &here);
            }
            (format!("/langue?{}", q.finish()), l.code(), l.name())
        })
        .collect()
}

/// Suffix of the cookie of the chosen language (`sesame-langue`).
pub(crate) const COOKIE: &str = "-langue";
/// Suffix of the session cookie of the last `ui_locales` (`sesame-langue-oidc`).
pub(crate) const COOKIE_OIDC: &str = "-langue-oidc";

/// The `ui_locales` of this request: on the authorization itself, or in
/// the authorization a login page carries (`suite`).
fn ui_locales(query: &str) -> Option<Lang> {
    let mut found = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k == "ui_locales" {
            found = Lang::from_ui_locales(&v);
        } else if k == "suite"
            && let Some((_, inner)) = v.split_once('?')
            && let Some(l) = ui_locales(inner)
        {
            found = Some(l);
        }
        if found.is_some() {
            break;
        }
    }
    found
}

fn cookie_lang(app: &AppState, headers: &HeaderMap, suffix: &str) -> Option<Lang> {
    CookieJar::from_headers(headers)
        .get(&cookies::name(app, suffix))
        .and_then(|c| Lang::from_tag(c.value()))
}

/// Chooses the language of the request (module doc) and answers it in
/// that language.
pub(crate) async fn negotiate(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let query = req.uri().query().unwrap_or_default();
    let from_request = ui_locales(query);
    let lang = cookie_lang(&app, headers, COOKIE)
        .or(from_request)
        .or_else(|| cookie_lang(&app, headers, COOKIE_OIDC))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default();
    let here = if req.method() == axum::http::Method::GET {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default()
    } else {
        String::new()
    };
    let mut res = CURRENT.scope(Ctx { lang, here }, next.run(req)).await;
    // An authorization's `ui_locales` lasts through its login (the POSTs
    // carry it in their body, which is not read here).
    if let Some(l) = from_request {
        let c = cookies::build(&app, COOKIE_OIDC, l.code().to_owned(), None);
        if let Ok(v) = c.encoded().to_string().parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(serde::Deserialize)]
pub(crate) struct Switch {
    #[serde(default)]
    choix: String,
    #[serde(default)]
    retour: String,
}

/// Where the switch may send back to: a local path only (no open redirect).
fn local_path(p: &str) -> &str {
    let local = p.starts_with('/')
        && !p.starts_with("//")
        && !p.contains('\\')
        && !p.chars().any(char::is_control);
    if local { p } else { "/" }
}

/// `GET /langue?choix=en&retour=/profil`: remembers the language (a year)
/// and goes back to the page; signed in, the account's mails follow it.
/// A preference only, no identity: a GET without a CSRF token.
pub(crate) async fn switch(
    State(app): State<AppState>,
    jar: CookieJar,
    Query(s): Query<Switch>,
) -> Result<Response, crate::error::WebError> {
    let back = local_path(&s.retour).to_owned();
    let Some(lang) = Lang::from_tag(&s.choix) else {
        return Ok(Redirect::to(&back).into_response());
    };
    // Security: a link from another site can switch the language of a
    // signed-in person's mails, as it can the language of the pages; it
    // reads nothing and changes nothing else (a preference, like the
    // cookie), so the switch stays a plain link that works without a form.
    if let Some((_, session)) = crate::pages::current_session(&app, &jar).await? {
        sesame_service::account::set_language(&app, session.account_id, lang.into()).await?;
    }
    let jar = jar.add(cookies::build(
        &app,
        COOKIE,
        lang.code().to_owned(),
        Some(365 * 24 * 3600),
    ));
    Ok((jar, Redirect::to(&back)).into_response())
}

pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/langue", axum::routing::get(switch))
}

#[cfg(test)]
mod tests;
