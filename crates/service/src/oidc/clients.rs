//! The registered OpenID Connect clients, as the configuration lists
//! them, and the subject each one knows an account by.

use crate::app::App;
use crate::config::{OidcClient, Protocol};

/// The client `client_id`, if registered.
pub fn client<'a>(app: &'a App, client_id: &str) -> Option<&'a OidcClient> {
    app.config
        .services
        .iter()
        .filter(|s| s.protocol == Protocol::Oidc)
        .filter_map(|s| s.oidc.as_ref())
        .find(|c| c.client_id == client_id)
}

/// What `sesame_oidc::authorize::check` needs to know of a client.
pub fn rules(c: &OidcClient) -> sesame_oidc::authorize::Client<'_> {
    sesame_oidc::authorize::Client {
        redirect_uris: &c.redirect_uris,
        scopes: &c.scopes,
        public: c.client_secret_hash.is_none(),
    }
}

/// The name of a client, as users see it.
pub fn client_name(app: &App, client_id: &str) -> String {
    app.config
        .services
        .iter()
        .find(|s| s.oidc.as_ref().is_some_and(|c| c.client_id == client_id))
        .map(|s| s.name.clone())
        .unwrap_or_default()
}

/// The stable, opaque subject of an account (OIDC Core §8): never derived
/// from names; for a client with `subject_type = "pairwise"`, one of its
/// own (§8.1).
pub fn subject(app: &App, account_id: i32, client: Option<&OidcClient>) -> String {
    let pairwise = client
        .filter(|c| c.subject_type == sesame_oidc::claims::SubjectType::Pairwise)
        .map(|c| c.client_id.as_str());
    let input = sesame_oidc::claims::subject_input(account_id, pairwise);
    sesame_oidc::claims::subject(&app.keys.stable_hmac(&input))
}

/// The `sid` a client receives for SSO session `sid` (issue 15, item 9):
/// a keyed hash of the session and the client, so that two clients (with
/// pairwise subjects) cannot join their users by `sid`. Stable for one
/// session and one client: the ID tokens and the logout token agree.
pub fn client_sid(app: &App, sid: &str, client_id: &str) -> String {
    if sid.is_empty() {
        return String::new();
    }
    app.keys.stable_hmac(&format!("sid\0{sid}\0{client_id}"))[..32].to_owned()
}

/// The subject of an account as client `client_id` knows it.
pub fn subject_for(app: &App, account_id: i32, client_id: &str) -> String {
    subject(app, account_id, client(app, client_id))
}
