//! OpenID Connect as a relying party speaks it: the authorization request
//! (OIDC Core §3.1.2.1, with PKCE S256, RFC 7636 §4.3), the code exchange
//! (RFC 6749 §4.1.3), refresh (§6), introspection and revocation (RFC 7662,
//! RFC 7009), userinfo (OIDC Core §5.3), and the `openidconnect` crate's
//! relying party for what a library must verify.

use super::fixtures::{CALLBACK, SECRET, now_clock, pupil_account_with, register_oidc_clients};
use super::http::{enc, q, query_of};
use super::personas::{CAMILLE, login_as};
use super::{TestEnv, TestServer};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreProviderMetadata,
};
use openidconnect::{ClientId, ClientSecret, CsrfToken, Nonce, PkceCodeChallenge, RedirectUrl};
use reqwest::Client;
use sesame_domain::FixedClock;
use std::sync::Arc;

/// A confidential client as it authenticates at the token endpoint
/// (HTTP Basic, RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy)]
pub struct Rp<'a> {
    /// The client id.
    pub id: &'a str,
    /// The secret it presents.
    pub secret: &'a str,
}

/// The confidential client `teleservice` of the fixtures.
pub const TELESERVICE: Rp<'static> = Rp {
    id: "teleservice",
    secret: SECRET,
};

impl<'a> Rp<'a> {
    /// A confidential client registered with `register_oidc_clients`
    /// (secret [`SECRET`]).
    pub fn confidential(id: &'a str) -> Self {
        Self { id, secret: SECRET }
    }

    /// The same client presenting another secret.
    pub fn with_secret(self, secret: &'a str) -> Self {
        Self { secret, ..self }
    }
}

/// A server with the OpenID Connect clients of the fixtures and Camille's
/// pupil account, on a clock the test moves.
pub async fn setup() -> (TestEnv, TestServer, Arc<FixedClock>) {
    setup_with(&[], |_| {}).await
}

/// Like [`setup`], with more confidential clients (client id, lines added
/// to their `[oidc]`; same secret and redirect URI) and a configuration
/// change.
pub async fn setup_with(
    clients: &[(&str, String)],
    tweak: impl FnOnce(&mut sesame_service::Config),
) -> (TestEnv, TestServer, Arc<FixedClock>) {
    let env = TestEnv::new();
    register_oidc_clients(&env, clients).await;
    let clock = now_clock();
    let s = pupil_account_with(&env, clock.clone(), 1000, tweak).await;
    (env, s, clock)
}

/// The JWKS the server publishes (RFC 7517 §5), as the `openidconnect`
/// crate reads it.
pub async fn jwks(s: &TestServer) -> CoreJsonWebKeySet {
    let body = s.get("/oidc/jwks").await.text().await.expect("body");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("JWKS ({e}): {body}"))
}

/// The `openidconnect` crate's client, as discovery configures it.
pub type LibraryClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The `openidconnect` crate's relying party for `teleservice`, from the
/// discovery document and the JWKS; answers it and the metadata.
pub async fn library_client(s: &TestServer) -> (LibraryClient, CoreProviderMetadata) {
    library_client_as(s, "teleservice").await
}

/// Like [`library_client`], for the confidential client `client_id`.
pub async fn library_client_as(
    s: &TestServer,
    client_id: &str,
) -> (LibraryClient, CoreProviderMetadata) {
    let meta: CoreProviderMetadata = serde_json::from_str(
        &s.get("/.well-known/openid-configuration")
            .await
            .text()
            .await
            .expect("body"),
    )
    .expect("metadata");
    let jwks: CoreJsonWebKeySet =
        serde_json::from_str(&s.get("/oidc/jwks").await.text().await.expect("body")).expect("jwks");
    let meta = meta.set_jwks(jwks);
    let c = CoreClient::from_provider_metadata(
        meta.clone(),
        ClientId::new(client_id.into()),
        Some(ClientSecret::new(SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).expect("url"));
    (c, meta)
}

/// The path and query of a URL built for the issuer `http://localhost`.
pub fn local(url: &url::Url) -> String {
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

/// The PKCE S256 challenge of `verifier` (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    use sha2::Digest;
    base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        sha2::Sha256::digest(verifier.as_bytes()),
    )
}

/// An authorization request (OIDC Core §3.1.2.1) at `base` from `browser`
/// for `client_id` with `scope`, redirect URI [`CALLBACK`], `state=st` and
/// a fresh PKCE S256 challenge (RFC 7636 §4.3); `extra` is appended to the
/// query. Answers the response and the PKCE verifier.
pub async fn authorize(
    base: &str,
    browser: &Client,
    client_id: &str,
    scope: &str,
    extra: &str,
) -> (reqwest::Response, String) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let url = format!(
        "{base}/oidc/authorize?client_id={client_id}&redirect_uri={}&response_type=code&scope={}&state=st&code_challenge={}&code_challenge_method=S256{extra}",
        enc(CALLBACK),
        enc(scope),
        challenge.as_str()
    );
    let r = browser.get(url).send().await.expect("authorize");
    (r, verifier.secret().to_owned())
}

/// `/oidc/authorize` with the given query after the common part, from a
/// browser: for requests the test builds itself.
pub async fn authorize_raw(s: &TestServer, browser: &Client, query: &str) -> reqwest::Response {
    browser
        .get(format!("{}/oidc/authorize?{query}", s.url))
        .send()
        .await
        .expect("authorize")
}

/// The code of an authorization response that redirected (RFC 6749
/// §4.1.2).
pub fn code_in(r: &reqwest::Response) -> String {
    let loc = r.headers()["location"].to_str().expect("ascii");
    q(&query_of(loc), "code")
        .unwrap_or_else(|| panic!("no code: {loc}"))
        .to_owned()
}

/// Camille's browser, logged in, authorizes `teleservice` through the
/// `openidconnect` crate's request (PKCE, nonce, state); answers the code,
/// the PKCE verifier and the browser.
pub async fn authorize_code(s: &TestServer) -> (String, openidconnect::PkceCodeVerifier, Client) {
    let (rp, _) = library_client(s).await;
    let browser = login_as(s, &CAMILLE).await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, _, _) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let r = browser
        .get(format!("{}{}", s.url, local(&auth_url)))
        .send()
        .await
        .expect("authorize");
    let back = query_of(r.headers()["location"].to_str().expect("ascii"));
    (
        q(&back, "code").expect("code").to_owned(),
        verifier,
        browser,
    )
}

/// The code exchange (RFC 6749 §4.1.3, RFC 7636 §4.5) at `base` for `rp`,
/// redirect URI [`CALLBACK`]; answers (status, JSON body).
pub async fn exchange(
    base: &str,
    rp: Rp<'_>,
    code: &str,
    verifier: &str,
) -> (u16, serde_json::Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier),
    ];
    let (status, body) = post_token(base, rp, &form).await;
    (status, serde_json::from_str(&body).expect("JSON"))
}

/// POSTs a token request (RFC 6749 §3.2) to `base` as `rp`; answers
/// (status, body).
async fn post_token(base: &str, rp: Rp<'_>, form: &[(&str, &str)]) -> (u16, String) {
    let r = TestServer::browser()
        .post(format!("{base}/oidc/token"))
        .basic_auth(rp.id, Some(rp.secret))
        .form(form)
        .send()
        .await
        .expect("post");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// Like [`exchange`] for the confidential client `client_id`, which must
/// succeed; answers the token response.
pub async fn exchange_as(
    base: &str,
    client_id: &str,
    code: &str,
    verifier: &str,
) -> serde_json::Value {
    let (status, body) = exchange(base, Rp::confidential(client_id), code, verifier).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A full code flow for `teleservice`; answers the token response.
pub async fn tokens(s: &TestServer) -> serde_json::Value {
    let (code, verifier, _) = authorize_code(s).await;
    let (status, body) = exchange(&s.url, TELESERVICE, &code, verifier.secret()).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A token request for `client_id` (secret [`SECRET`]) with the given
/// form; answers (status, JSON body or null).
pub async fn token_request(
    s: &TestServer,
    client_id: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let (status, body) = post_token(&s.url, Rp::confidential(client_id), form).await;
    (status, serde_json::from_str(&body).unwrap_or_default())
}

/// The refresh grant (RFC 6749 §6) for `teleservice`; answers (status,
/// JSON body).
pub async fn refresh(s: &TestServer, token: &str) -> (u16, serde_json::Value) {
    let form = [("grant_type", "refresh_token"), ("refresh_token", token)];
    let (status, body) = post_token(&s.url, TELESERVICE, &form).await;
    (status, serde_json::from_str(&body).expect("JSON"))
}

/// POSTs `token` to `path` (introspection, RFC 7662 §2.1, or revocation,
/// RFC 7009 §2.1) as `who`: (client id, its secret, or none for a public
/// client). Answers (status, body).
pub async fn call(
    s: &TestServer,
    path: &str,
    who: (&str, Option<&str>),
    token: &str,
) -> (u16, String) {
    let mut req = TestServer::browser().post(format!("{}{path}", s.url));
    req = match who.1 {
        Some(secret) => req
            .basic_auth(who.0, Some(secret))
            .form(&[("token", token)]),
        None => req.form(&[("token", token), ("client_id", who.0)]),
    };
    let r = req.send().await.expect("post");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// The claims of a JWT, unverified (the verification is the test's).
pub fn payload(jwt: &str) -> serde_json::Value {
    let part = jwt.split('.').nth(1).expect("payload");
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part)
        .expect("base64");
    serde_json::from_slice(&raw).expect("JSON")
}

/// The userinfo endpoint (OIDC Core §5.3) with the access token `at`;
/// answers (status, JSON body or null).
pub async fn userinfo(s: &TestServer, at: &str) -> (u16, serde_json::Value) {
    let r = TestServer::browser()
        .get(format!("{}/oidc/userinfo", s.url))
        .bearer_auth(at)
        .send()
        .await
        .expect("userinfo");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or_default())
}
