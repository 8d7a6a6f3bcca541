//! Client authentication at the token, revocation and introspection
//! endpoints (RFC 6749 §2.3.1, §3.2.1): `client_secret_basic` or
//! `client_secret_post` for a confidential client, none for a public one
//! (which uses PKCE instead).

use super::error::TokenError;
use super::request::TokenRequest;
use crate::app::App;
use crate::oidc::clients::client;
use sesame_store::{Ns, Throttle, Verdict};

/// The keyed hash a verified secret is remembered by: of the secret and
/// of the stored argon2 hash (a changed registration forgets it).
fn digest(app: &App, stored_hash: &str, secret: &str) -> String {
    app.keys
        .token_hmac(&format!("oidc-client-secret:{stored_hash}:{secret}"))
}

/// Authenticates the client of a request.
pub(in crate::oidc) async fn check_client(app: &App, req: &TokenRequest) -> Result<(), TokenError> {
    let Some(c) = client(app, &req.client_id) else {
        return Err(TokenError::InvalidClient);
    };
    let Some(hash) = &c.client_secret_hash else {
        // A public client: no secret, PKCE instead.
        return match req.client_secret {
            None => Ok(()),
            Some(_) => Err(TokenError::InvalidClient),
        };
    };
    // Per-client throttle (OIDC-08), per address (CONC-04): after too many
    // wrong secrets in a minute from one address, that address is refused
    // without a check; the client's own servers, elsewhere, are not.
    let now_s = app.clock.now().unix_timestamp();
    let throttle = Throttle::per_minute(i64::from(app.config.oidc.client_failures_per_minute));
    let who = format!("{}:{}", c.client_id, app.keys.pseudonym(&req.ip));
    let (window, _) = throttle.window_key(Ns::OidcClientFailures, &who, now_s);
    if throttle.exhausted(&app.store, &window).await? {
        return Err(TokenError::InvalidClient);
    }
    // The secret verified last for this client, kept in memory as a keyed
    // hash: argon2id costs tens of milliseconds, too much for every token
    // request; a constant-time comparison does not. A match is the right
    // secret, so it reserves nothing: a relying party's parallel requests
    // must not count as failures while in flight (issue 19: 32 at once
    // over Redis filled the limit and locked the client out for the
    // minute). A wrong secret never matches, and goes on to the reserved
    // check below.
    let known = |app: &App| {
        req.client_secret.as_ref().is_some_and(|secret| {
            app.client_secrets
                .knows(&c.client_id, &digest(app, hash, secret))
        })
    };
    if known(app) {
        return Ok(());
    }
    // One verification at a time per client on this node: requests that
    // came together (a relying party's burst just after a restart) wait
    // for the first one, then find its secret remembered and reserve
    // nothing. Once the secret is known, no request takes this turn.
    let turn = app.client_secrets.turn(&c.client_id);
    let _turn = turn.lock().await;
    if known(app) {
        return Ok(());
    }
    // Security: an attempt to verify is reserved before the (argon2id)
    // check and given back on success, so that parallel requests cannot
    // pass the limit.
    let (failures, verdict) = throttle
        .reserve_in_window(&app.store, Ns::OidcClientFailures, who, now_s)
        .await?;
    if let Verdict::Refused { first, .. } = verdict {
        if first {
            tracing::warn!(client_id = %c.client_id, "too many wrong client secrets from one address: refused until the minute is over");
        }
        return Err(TokenError::InvalidClient);
    }
    let known = match &req.client_secret {
        // argon2id verification compares in constant time.
        Some(secret) if app.hasher.verify(secret, Some(hash)).await => {
            app.client_secrets
                .remember(&c.client_id, digest(app, hash, secret));
            true
        }
        _ => false,
    };
    if !known {
        return Err(TokenError::InvalidClient);
    }
    throttle.release(&app.store, &failures).await?;
    Ok(())
}
