//! Pages that send the browser on to another origin: the `form-action`
//! targets of a page whose form leads on (a registered CAS service, an
//! OpenID Connect client's redirect URI, an upstream provider), and the
//! post-back page (CAS `method=POST`, OpenID Connect `form_post`).

use crate::pages::render;
use crate::resume::Resume;
use crate::{AppState, WebError};
use askama::Template;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sesame_service::config::Config;

/// The origins a login may end at: the CAS service or the OpenID Connect
/// client's redirect URI it resumes (registered ones only), and the
/// upstream providers offered for `profile` (all of them when `None`).
pub(crate) fn form_targets(
    app: &AppState,
    ctx: &Resume,
    profile: Option<sesame_domain::Profile>,
) -> Vec<String> {
    let origin = |u: &str| {
        url::Url::parse(u)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    if !ctx.service.is_empty() && sesame_service::cas::find_service(app, &ctx.service).is_some() {
        out.push(origin(&ctx.service));
    }
    if ctx.resumes_oidc() {
        let q = ctx.suite.split_once('?').unwrap_or_default().1;
        let params: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect();
        if let Ok(req) = sesame_service::oidc::flow::check(app, &params) {
            out.push(origin(&req.redirect_uri));
        }
    }
    let upstreams = match profile {
        Some(p) => sesame_service::upstream::for_profile(app, p),
        None => app.config.upstream.iter().collect(),
    };
    out.extend(upstreams.iter().map(|u| origin(u.issuer.as_str())));
    out
}

/// A page whose form may lead to `targets` (see [`form_targets`]).
pub(crate) fn with_form_targets(targets: &[String], r: Response) -> Response {
    let mut r = r;
    if let Ok(v) = header::HeaderValue::from_str(&crate::headers::csp_with_form_targets(targets)) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

#[derive(Template)]
#[template(path = "post_back.html")]
struct PostBack<'a> {
    site: &'a Config,
    action: &'a str,
    fields: Vec<(String, String)>,
}

/// A page whose form the browser posts back to a service (CAS
/// `method=POST`, OpenID Connect `response_mode=form_post`); its CSP allows
/// that one origin as a form target.
pub(crate) fn post_back(
    app: &AppState,
    action: &str,
    fields: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let origin = url::Url::parse(action)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action {origin}; frame-ancestors 'none'; base-uri 'none'"
    );
    let page = PostBack {
        site: &app.config,
        action,
        fields,
    };
    Ok(([(header::CONTENT_SECURITY_POLICY, csp)], render(&page)?).into_response())
}
