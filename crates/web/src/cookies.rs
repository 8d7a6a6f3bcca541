//! Cookie names and flags. Security: `__Host-` prefix, Secure, HttpOnly,
//! SameSite=Lax; only the documented development switch
//! (`server.allow_insecure_http` with an http public URL) drops Secure and
//! the prefix.

use axum_extra::extract::cookie::{Cookie, SameSite};
use sesame_service::App;

/// The SSO session cookie.
pub const SESSION: &str = "sesame";
/// The browser binding of CSRF tokens.
pub const BROWSER: &str = "sesame-b";
/// The remembered profile (no identity in it).
pub const PROFILE: &str = "sesame-profil";

fn secure(app: &App) -> bool {
    !(app.config.server.allow_insecure_http && app.config.server.public_url.scheme() == "http")
}

/// The name a cookie goes by.
pub fn name(app: &App, base: &str) -> String {
    if secure(app) {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// A cookie with Sésame's flags; `max_age` in seconds, `None` for a session cookie.
pub fn build(app: &App, base: &str, value: String, max_age: Option<i64>) -> Cookie<'static> {
    let mut c = Cookie::new(name(app, base), value);
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(secure(app));
    if let Some(s) = max_age {
        c.set_max_age(time::Duration::seconds(s));
    }
    c
}

/// A cookie that deletes `base`.
pub fn removal(app: &App, base: &str) -> Cookie<'static> {
    build(app, base, String::new(), Some(0))
}
