//! The SSO session: a server-side record in the shared ephemeral store,
//! reached by an opaque 256-bit token (the cookie). The store key is a keyed
//! hash of the token, so a copy of the store does not yield cookies.

use crate::app::App;
use serde::{Deserialize, Serialize};
use sesame_domain::AccountKind;
use sesame_store::{EphemeralError, Key, Ns, StoreError, accounts};
use std::time::Duration;

/// What a session holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// The account.
    pub account_id: i32,
    /// Its identifiant, for display.
    pub identifiant: String,
    /// Whose account it is.
    pub kind: AccountKind,
    /// The profile chosen at login.
    pub profile: String,
    /// Login time, unix seconds.
    pub auth_time: i64,
    /// The account's session generation when this session opened: ending
    /// every session of an account (password change) moves it on.
    #[serde(default)]
    pub generation: i64,
    /// Logged in with a temporary password, or with the password of an
    /// account a renewal campaign marked: nothing but choosing a new
    /// password until done (REC-04). Holds a keyed hash of the temporary
    /// password, or [`RENEWAL`] and a keyed hash of the old password,
    /// which the new one must differ from.
    #[serde(default)]
    pub must_change: Option<String>,
    /// The session's public id (CAS single logout, OIDC `sid`), set when
    /// the session opens; not the cookie, which stays secret.
    #[serde(default)]
    pub sid: String,
    /// Opened through an upstream provider: how to log out there too.
    #[serde(default)]
    pub upstream: Option<UpstreamLogin>,
}

/// A login through an upstream provider, kept in its session for the
/// logout towards the provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UpstreamLogin {
    /// The provider's id (`[[upstream]]`).
    pub provider: String,
    /// The ID token it gave (the logout's `id_token_hint`).
    pub id_token: String,
    /// Its `end_session_endpoint`, if it publishes one.
    #[serde(default)]
    pub end_session: Option<String>,
}

/// A new random token (cookie value).
pub fn new_token() -> String {
    sesame_domain::secret::new_token(&mut rand::rng())
}

fn key(app: &App, token: &str) -> Key {
    Ns::Session.key(app.keys.stable_hmac(token))
}

fn idle(app: &App) -> Duration {
    Duration::from_secs(app.config.session.idle_minutes * 60)
}

fn generation_key(account_id: i32) -> Key {
    Ns::SessionGeneration.key(account_id)
}

/// How long the store keeps its copy of an account's generation: as long
/// as a session lives. The database keeps the generation itself, for as
/// long as the longest token.
fn generation_ttl(app: &App) -> Duration {
    Duration::from_secs(app.config.session.absolute_hours * 3600 + 3600)
}

/// The mark of a session whose account a renewal campaign marked, before
/// the keyed hash of the password it logged in with.
pub const RENEWAL: &str = "renouvellement:";

/// An account's session generation. The database holds it (REV-01: it
/// must outlive every token issued under it); the shared store keeps a
/// copy so that a session check costs no SQL.
pub(crate) async fn generation(app: &App, account_id: i32) -> Result<i64, StoreError> {
    if app.store.is_in_process() {
        // One node, whose memory the command line cannot reach: a copy
        // here would hide what `sesame accounts campaign|delete` moved in
        // the database. The database answers (a primary-key read).
        return Ok(accounts::session_generation(&app.db, account_id)
            .await?
            .unwrap_or(-1));
    }
    let key = generation_key(account_id);
    if let Some(g) = app
        .store
        .get(&key)
        .await?
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.parse().ok())
    {
        return Ok(g);
    }
    let Some(g) = accounts::session_generation(&app.db, account_id).await? else {
        // Security: a deleted account has no generation that anything it
        // was given could match (and none is cached, should its id ever
        // come back).
        return Ok(-1);
    };
    // Security: the copy is only added when absent, so that a reader that
    // read the database before a change cannot overwrite what `end_all`
    // wrote after it.
    app.store
        .put_if_absent(&key, g.to_string().as_bytes(), generation_ttl(app))
        .await?;
    Ok(g)
}

/// Whether what a login gave (a session's ticket, code or token) is still
/// valid: its SSO session `sid` was not logged out and no password change,
/// reset or "end all sessions" moved the account's generation since.
pub(crate) async fn alive(
    app: &App,
    account_id: i32,
    sid: &str,
    generation: i64,
) -> Result<bool, StoreError> {
    if ended(app, sid).await? {
        return Ok(false);
    }
    Ok(self::generation(app, account_id).await? == generation)
}

/// [`alive`] for a caller that has just read the account's row: its
/// `session_generation` (the database's, never older than the store's
/// copy) stands in for the copy, which saves a store read.
pub(crate) async fn alive_at(
    app: &App,
    sid: &str,
    generation: i64,
    current: i64,
) -> Result<bool, StoreError> {
    Ok(!ended(app, sid).await? && current == generation)
}

/// Whether the SSO session `sid` was logged out.
async fn ended(app: &App, sid: &str) -> Result<bool, StoreError> {
    Ok(!sid.is_empty() && app.store.get(&ended_key(sid)).await?.is_some())
}

/// The marker of an ended SSO session, which revokes what it gave.
fn ended_key(sid: &str) -> Key {
    Ns::SloEnded.key(sid)
}

/// Marks the SSO session `sid` ended for `ttl` (as long as what it gave
/// may live): `alive` is false from now on for what it gave.
pub async fn mark_ended(app: &App, sid: &str, ttl: Duration) -> Result<(), EphemeralError> {
    if sid.is_empty() {
        return Ok(());
    }
    app.store.put(&ended_key(sid), b"1", ttl).await
}

/// Ends every session of an account, and every ticket, code and token its
/// sessions gave (those opened afterwards live on).
pub async fn end_all(app: &App, account_id: i32) -> Result<(), StoreError> {
    let g = accounts::next_session_generation(app.db.conn(), account_id).await?;
    publish_generation(app, account_id, g).await
}

/// Writes the shared store's copy of an account's generation, after the
/// database moved it on (overwriting: a reader that read the database
/// before only adds its copy when none is there).
pub(crate) async fn publish_generation(
    app: &App,
    account_id: i32,
    g: i64,
) -> Result<(), StoreError> {
    app.store
        .put(
            &generation_key(account_id),
            g.to_string().as_bytes(),
            generation_ttl(app),
        )
        .await?;
    Ok(())
}

/// Opens a session; returns its token. A new token at every login.
pub async fn open(app: &App, session: &Session) -> Result<String, StoreError> {
    let token = new_token();
    let mut session = session.clone();
    session.generation = generation(app, session.account_id).await?;
    if session.sid.is_empty() {
        session.sid = new_token();
    }
    let value = serde_json::to_vec(&session).unwrap_or_default();
    app.store.put(&key(app, &token), &value, idle(app)).await?;
    Ok(token)
}

/// Finds the session of a token, enforcing the absolute lifetime and
/// extending the idle one.
pub async fn find(app: &App, token: &str) -> Result<Option<Session>, StoreError> {
    if token.len() != 43 {
        return Ok(None);
    }
    let k = key(app, token);
    // One round trip reads the session and slides its idle expiry.
    let Some(bytes) = app.store.get_touch(&k, idle(app)).await? else {
        return Ok(None);
    };
    let Ok(s) = serde_json::from_slice::<Session>(&bytes) else {
        return Ok(None);
    };
    let age = app.clock.now().unix_timestamp() - s.auth_time;
    if age > i64::try_from(app.config.session.absolute_hours * 3600).unwrap_or(i64::MAX)
        || s.generation != generation(app, s.account_id).await?
    {
        app.store.delete(&k).await?;
        return Ok(None);
    }
    Ok(Some(s))
}

/// Replaces a session's record (same token), e.g. once the forced
/// password change is done.
pub async fn update(app: &App, token: &str, session: &Session) -> Result<(), StoreError> {
    let mut session = session.clone();
    session.generation = generation(app, session.account_id).await?;
    let value = serde_json::to_vec(&session).unwrap_or_default();
    Ok(app.store.put(&key(app, token), &value, idle(app)).await?)
}

/// Ends a session.
pub async fn close(app: &App, token: &str) -> Result<(), EphemeralError> {
    app.store.delete(&key(app, token)).await
}
