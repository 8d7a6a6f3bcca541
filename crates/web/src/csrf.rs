//! CSRF protection: stateless tokens, bound to the browser and the form,
//! spent once.
//!
//! A form's token is `nonce ‖ expiry ‖ key id ‖ MAC`, the MAC (HMAC-SHA256
//! under a key derived from `cookie_key`, or a previous one the key id
//! names, for CSRF tokens only) covering the browser's id (its cookie), the
//! form's purpose ([`Form`]), the expiry (one hour on the application
//! clock) and a random nonce. Issuing one stores nothing: the ephemeral
//! store grows with POSTs (which are throttled), never with GETs (CONC-05).
//! A POST that presents a valid token records its nonce as spent for the
//! token's remaining life (`put_if_absent`), so that a token serves once.
//!
//! Security: a missing, forged, foreign (another browser's, another form's),
//! expired or replayed token is refused (AUTH-14, CONC-05). The MAC is
//! compared in constant time.

use crate::cookies;
use axum_extra::extract::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sesame_service::App;
use sesame_service::session::new_token;
use sesame_store::Ns;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// How long a form stays valid.
const TTL: Duration = Duration::from_secs(3600);

/// Bytes of the random nonce.
const NONCE: usize = 16;
/// Bytes of the expiry (Unix seconds, big-endian).
const EXPIRY: usize = 8;
/// Bytes of the key id.
const KID: usize = 4;
/// Bytes of the MAC.
const MAC: usize = 32;
/// Bytes of a whole token, before base64.
const LEN: usize = NONCE + EXPIRY + KID + MAC;

/// What a form does. A token issued for one form passes no other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The profile choice (`/profil`).
    Profile,
    /// The login page: login, and "renvoyer le courriel" shown on it.
    Login,
    /// Logout (`/deconnexion`), from the home page or the OpenID Connect
    /// logout confirmation.
    Logout,
    /// The pupil sign-up (`/premiere-visite/eleve`).
    SignupPupil,
    /// The parent sign-up (`/premiere-visite/parent`).
    SignupParent,
    /// The first visit by text message (`/premiere-visite/sms…`).
    Sms,
    /// "Identifiant oublié".
    LostIdentifiant,
    /// "Mot de passe oublié".
    LostPassword,
    /// The account page's forms: password, address, child, linking an
    /// upstream provider.
    Account,
    /// The new password after a temporary one.
    NewPassword,
    /// The account confirmation link's page.
    Confirmation,
    /// The unlock link's page.
    Unlock,
    /// The new address's confirmation link's page.
    EmailChange,
    /// The old address's cancel link's page.
    EmailCancel,
    /// The OpenID Connect consent.
    Consent,
    /// The confirmation of an upstream login to be linked.
    UpstreamConfirm,
    /// « Ce n'est pas mon enfant » on the home page, and its confirmation.
    Report,
}

impl Form {
    /// The short name the MAC covers.
    fn name(self) -> &'static str {
        match self {
            Self::Profile => "profile",
            Self::Login => "login",
            Self::Logout => "logout",
            Self::SignupPupil => "signup-pupil",
            Self::SignupParent => "signup-parent",
            Self::Sms => "sms",
            Self::LostIdentifiant => "lost-identifiant",
            Self::LostPassword => "lost-password",
            Self::Account => "account",
            Self::NewPassword => "new-password",
            Self::Confirmation => "confirmation",
            Self::Unlock => "unlock",
            Self::EmailChange => "email-change",
            Self::EmailCancel => "email-cancel",
            Self::Consent => "consent",
            Self::UpstreamConfirm => "upstream-confirm",
            Self::Report => "report",
        }
    }
}

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

/// The fields a token's MAC covers.
fn fields<'a>(form: Form, browser: &'a str, expiry: &'a [u8], nonce: &'a [u8]) -> [&'a [u8]; 5] {
    [
        b"sesame:csrf:v1",
        form.name().as_bytes(),
        browser.as_bytes(),
        expiry,
        nonce,
    ]
}

/// Issues a token for `form`, setting the browser cookie when missing.
/// Nothing is stored.
pub fn issue(app: &App, jar: CookieJar, form: Form) -> (CookieJar, String) {
    let (jar, browser) = browser(app, jar);
    let mut nonce = [0u8; NONCE];
    rand::rng().fill_bytes(&mut nonce);
    let ttl = i64::try_from(TTL.as_secs()).unwrap_or(i64::MAX);
    let expiry = app
        .clock
        .now()
        .unix_timestamp()
        .saturating_add(ttl)
        .to_be_bytes();
    let mut token = Vec::with_capacity(LEN);
    token.extend_from_slice(&nonce);
    token.extend_from_slice(&expiry);
    let (kid, mac) = app.keys.csrf_mac(&fields(form, &browser, &expiry, &nonce));
    token.extend_from_slice(&kid);
    token.extend_from_slice(&mac);
    (jar, URL_SAFE_NO_PAD.encode(token))
}

/// Checks the token of a submitted `form` and spends it; answers whether
/// it is valid here: issued for this form, to this browser, unexpired, and
/// not spent before.
pub async fn check(
    app: &App,
    jar: &CookieJar,
    token: &str,
    form: Form,
) -> Result<bool, crate::WebError> {
    let Some(browser) = browser_of(app, jar) else {
        return Ok(false);
    };
    let Some(bytes) = URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .filter(|b| b.len() == LEN)
    else {
        return Ok(false);
    };
    let (nonce, rest) = bytes.split_at(NONCE);
    let (expiry, rest) = rest.split_at(EXPIRY);
    let (kid, given) = rest.split_at(KID);
    let mut id = [0u8; KID];
    id.copy_from_slice(kid);
    // Security: constant-time comparison of the MAC, under the cookie key
    // the token names (a previous one only while it is listed); the store
    // is reached only by genuine tokens.
    let Some(expected) = app
        .keys
        .csrf_mac_by(id, &fields(form, &browser, expiry, nonce))
    else {
        return Ok(false);
    };
    if !bool::from(expected.as_slice().ct_eq(given)) {
        return Ok(false);
    }
    let mut be = [0u8; EXPIRY];
    be.copy_from_slice(expiry);
    let left = i64::from_be_bytes(be).saturating_sub(app.clock.now().unix_timestamp());
    let Some(left) = u64::try_from(left).ok().filter(|s| *s > 0) else {
        return Ok(false);
    };
    // Security: the nonce is recorded as spent for the token's remaining
    // life; a second POST with the same token finds it (AUTH-14).
    app.store
        .put_if_absent(
            &Ns::Csrf.key(URL_SAFE_NO_PAD.encode(nonce)),
            b"1",
            Duration::from_secs(left),
        )
        .await
        .map_err(crate::WebError::from)
}
