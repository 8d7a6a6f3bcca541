//! Cookie names and flags. Security: `__Host-` prefix, Secure, HttpOnly,
//! SameSite=Lax; only the documented development switch
//! (`server.allow_insecure_http` with an http public URL) drops Secure and
//! the prefix. The names start with `server.cookie_prefix` (`sesame`;
//! `annuaire` for the demonstration directory of `sesame demo`, on the
//! same host).

use axum_extra::extract::cookie::{Cookie, SameSite};
use sesame_service::App;

/// The SSO session cookie (`sesame`).
pub const SESSION: &str = "";
/// The browser binding of CSRF tokens (`sesame-b`).
pub const BROWSER: &str = "-b";
/// The remembered profile, no identity in it (`sesame-profil`).
pub const PROFILE: &str = "-profil";

fn secure(app: &App) -> bool {
    !(app.config.server.allow_insecure_http && app.config.server.public_url.scheme() == "http")
}

/// The name a cookie goes by: the prefix, then the cookie's suffix
/// ([`SESSION`], [`BROWSER`], [`PROFILE`]).
pub fn name(app: &App, suffix: &str) -> String {
    let prefix = &app.config.server.cookie_prefix;
    if secure(app) {
        format!("__Host-{prefix}{suffix}")
    } else {
        format!("{prefix}{suffix}")
    }
}

/// A cookie with Sésame's flags; `max_age` in seconds, `None` for a session cookie.
pub fn build(app: &App, suffix: &str, value: String, max_age: Option<i64>) -> Cookie<'static> {
    let mut c = Cookie::new(name(app, suffix), value);
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(secure(app));
    if let Some(s) = max_age {
        c.set_max_age(time::Duration::seconds(s));
    }
    c
}

/// A cookie that deletes the one of `suffix`.
pub fn removal(app: &App, suffix: &str) -> Cookie<'static> {
    build(app, suffix, String::new(), Some(0))
}
