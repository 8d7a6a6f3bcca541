//! CSRF protection: synchroniser tokens, single use, bound to the browser.
//!
//! Each form carries a random token stored in the shared ephemeral store with
//! the browser's id (a cookie); a POST must present a token that is taken
//! (once) and bound to the same browser. Security: a missing, foreign or
//! replayed token is refused (AUTH-14).

use crate::cookies;
use axum_extra::extract::CookieJar;
use sesame_service::App;
use sesame_service::session::new_token;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// How long a form stays valid.
const TTL: Duration = Duration::from_secs(3600);

/// The browser's id (its cookie), set when missing: what binds CSRF
/// tokens and upstream logins in flight to one browser.
pub fn browser(app: &App, jar: CookieJar) -> (CookieJar, String) {
    let name = cookies::name(app, cookies::BROWSER);
    match jar
        .get(&name)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 43)
    {
        Some(b) => (jar, b),
        None => {
            let b = new_token();
            (
                jar.add(cookies::build(app, cookies::BROWSER, b.clone(), None)),
                b,
            )
        }
    }
}

/// The browser's id, if it has one.
pub fn browser_of(app: &App, jar: &CookieJar) -> Option<String> {
    jar.get(&cookies::name(app, cookies::BROWSER))
        .map(|c| c.value().to_owned())
}

/// Issues a token for a form, setting the browser cookie when missing.
pub async fn issue(app: &App, jar: CookieJar) -> Result<(CookieJar, String), crate::WebError> {
    let (jar, browser) = browser(app, jar);
    let token = new_token();
    app.store
        .put(
            &format!("csrf:{}", app.keys.token_hmac(&token)),
            browser.as_bytes(),
            TTL,
        )
        .await
        .map_err(|e| crate::WebError::Unavailable(e.to_string()))?;
    Ok((jar, token))
}

/// Takes the token of a submitted form; answers whether it is valid here.
pub async fn check(app: &App, jar: &CookieJar, token: &str) -> Result<bool, crate::WebError> {
    let Some(browser) = browser_of(app, jar) else {
        return Ok(false);
    };
    if token.len() != 43 {
        return Ok(false);
    }
    let stored = app
        .store
        .take(&format!("csrf:{}", app.keys.token_hmac(token)))
        .await
        .map_err(|e| crate::WebError::Unavailable(e.to_string()))?;
    Ok(stored.is_some_and(|s| bool::from(s.ct_eq(browser.as_bytes()))))
}
