//! POST-redirect-GET: what the page after a successful submission needs,
//! kept a short while in the ephemeral store for the browser that
//! submitted, so that the POST answers `303 See Other` and reloading the
//! page shown never posts again.
//!
//! Security: the value is keyed by a keyed hash of the browser's id (its
//! cookie, which the form's CSRF token is bound to), so the URL carries no
//! secret and no personal data, and another browser finds nothing there.
//! Its expiry is on the application clock (kept with the value), like
//! every lifetime.

use crate::{AppState, WebError, csrf};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use sesame_store::{Key, Ns};
use std::time::Duration;

/// How long the page after a submission can be shown again (a reload, the
/// back button).
const TTL_SECS: i64 = 10 * 60;

/// What a flash is about: one page each.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A parent account created (its address, for « confirmez-le »).
    ParentCreated,
    /// A pupil account created.
    PupilCreated,
    /// A parent account created by text message.
    SmsCreated,
    /// The account deleted.
    AccountDeleted,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::ParentCreated => "parent-created",
            Self::PupilCreated => "pupil-created",
            Self::SmsCreated => "sms-created",
            Self::AccountDeleted => "account-deleted",
        }
    }
}

fn key(app: &AppState, kind: Kind, browser: &str) -> Key {
    Ns::Flash.key2(
        kind.name(),
        app.keys.stable_hmac(&format!("flash:{browser}")),
    )
}

/// Keeps `value` for the page of `kind` in this browser and answers the
/// `303 See Other` to `to` (with `jar`, whose cookies it sets).
pub(crate) async fn redirect(
    app: &AppState,
    jar: CookieJar,
    kind: Kind,
    value: &str,
    to: &str,
) -> Result<Response, WebError> {
    let (jar, browser) = csrf::browser(app, jar);
    // The expiry on the application clock goes with the value: Redis
    // counts its time to live on its own clock.
    let until = app.clock.now().unix_timestamp().saturating_add(TTL_SECS);
    app.store
        .put(
            &key(app, kind, &browser),
            format!("{until}\n{value}").as_bytes(),
            Duration::from_secs(TTL_SECS.unsigned_abs()),
        )
        .await?;
    Ok((jar, Redirect::to(to)).into_response())
}

/// The value kept for the page of `kind` in this browser, if it is still
/// there. Reading leaves it for a reload.
pub(crate) async fn read(
    app: &AppState,
    jar: &CookieJar,
    kind: Kind,
) -> Result<Option<String>, WebError> {
    let Some(browser) = csrf::browser_of(app, jar) else {
        return Ok(None);
    };
    let Some(stored) = app.store.get(&key(app, kind, &browser)).await? else {
        return Ok(None);
    };
    let stored = String::from_utf8_lossy(&stored);
    let now = app.clock.now().unix_timestamp();
    Ok(stored
        .split_once('\n')
        .filter(|(until, _)| until.parse::<i64>().is_ok_and(|u| now < u))
        .map(|(_, value)| value.to_owned()))
}
