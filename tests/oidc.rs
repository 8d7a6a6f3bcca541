//! OpenID Connect, first part: discovery and JWKS read by the
//! `openidconnect` crate's own types (a relying-party library the project
//! did not write), signing keys encrypted at rest, kept across restarts and
//! rotated by `sesame keys rotate`.

use crate::support::{TestEnv, TestServer};
use openidconnect::core::{CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{JsonWebKey, JsonWebKeyId};

async fn jwks(s: &TestServer) -> CoreJsonWebKeySet {
    let body = s.get("/oidc/jwks").await.text().await.expect("body");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("JWKS ({e}): {body}"))
}

fn kids(set: &CoreJsonWebKeySet) -> Vec<String> {
    set.keys()
        .iter()
        .filter_map(|k| k.key_id().map(|id: &JsonWebKeyId| id.as_str().to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_and_jwks_are_read_by_an_openid_connect_library() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let r = s.get("/.well-known/openid-configuration").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body = r.text().await.expect("body");
    let meta: CoreProviderMetadata =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("metadata ({e}): {body}"));
    assert_eq!(meta.issuer().as_str(), "http://localhost");
    assert_eq!(meta.jwks_uri().as_str(), "http://localhost/oidc/jwks");
    assert_eq!(
        meta.authorization_endpoint().as_str(),
        "http://localhost/oidc/authorize"
    );
    let raw: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        raw["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        raw["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert_eq!(raw["request_parameter_supported"], false);

    let set = jwks(&s).await;
    assert_eq!(set.keys().len(), 1);
    let key = &set.keys()[0];
    assert_eq!(serde_json::to_value(key).expect("jwk")["alg"], "RS256");
    assert_eq!(serde_json::to_value(key).expect("jwk")["kty"], "RSA");
    let kid = kids(&set)[0].clone();

    // Encrypted at rest: no PKCS#8 in the clear.
    let stored = env.rows("SELECT private_key FROM signing_keys").await;
    let private = stored[0][0].clone().unwrap_or_default();
    assert!(
        !private.starts_with("MII") && !private.contains("PRIVATE KEY"),
        "{private}"
    );
    // Kept across restarts.
    drop(s);
    let s = TestServer::spawn(&env, |_| {}).await;
    assert_eq!(kids(&jwks(&s).await), vec![kid.clone()]);

    // Rotation: the new key is published at once, the old one still signs.
    let out = env.sesame(&["keys", "rotate"]).ok();
    assert!(
        out.contains("Nouvelle clé") && out.contains("2 clé(s)."),
        "{out}"
    );
    let listed: Vec<&str> = out.lines().filter(|l| l.starts_with(&kid)).collect();
    assert!(
        listed[0].ends_with("oui\toui"),
        "the first key is published and still signs: {out}"
    );
    let after = kids(&jwks(&s).await);
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.contains(&kid));
}

pub(crate) mod flow {
    use crate::support::fixtures::pupil_account_with;
    use crate::support::{PASSWORD, TestEnv, TestServer, csrf_of};
    use openidconnect::JsonWebKey;
    use openidconnect::core::{
        CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJsonWebKeySet, CoreProviderMetadata,
    };
    use openidconnect::{
        AccessToken, AccessTokenHash, ClientId, ClientSecret, CsrfToken, Nonce, PkceCodeChallenge,
        RedirectUrl, Scope,
    };
    use sesame_domain::FixedClock;
    use std::sync::Arc;

    pub(crate) const SECRET: &str = "le-secret-du-teleservice-2026";
    pub(crate) const CALLBACK: &str = "https://app.exemple.fr/callback";

    pub(crate) async fn setup() -> (TestEnv, TestServer, Arc<FixedClock>) {
        setup_with(&[], |_| {}).await
    }

    /// Like [`setup`], with more confidential clients (client id, lines
    /// added to their `[oidc]`; same secret and redirect URI) and a
    /// configuration change.
    pub(crate) async fn setup_with(
        clients: &[(&str, String)],
        tweak: impl FnOnce(&mut sesame_service::Config),
    ) -> (TestEnv, TestServer, Arc<FixedClock>) {
        let env = TestEnv::new();
        let hash = sesame_service::password::Hasher::new(8192, 1, 1, 1)
            .expect("hasher")
            .hash(SECRET)
            .await
            .expect("hash");
        env.write(
            "services/teleservice.toml",
            format!(
                "id = \"teleservice\"\nname = \"Télé-service\"\nprotocol = \"oidc\"\n[oidc]\nclient_id = \"teleservice\"\nclient_secret_hash = \"{hash}\"\nredirect_uris = [\"{CALLBACK}\"]\npost_logout_redirect_uris = [\"https://app.exemple.fr/au-revoir\"]\nscopes = [\"openid\", \"profile\", \"email\"]\n"
            ),
        );
        env.write(
            "services/public.toml",
            "id = \"public\"\nname = \"Application publique\"\nprotocol = \"oidc\"\n[oidc]\nclient_id = \"public\"\nredirect_uris = [\"https://public.exemple.fr/cb\"]\n",
        );
        for (id, extra) in clients {
            env.write(
                &format!("services/{id}.toml"),
                format!(
                    "id = \"{id}\"\nname = \"Service {id}\"\nprotocol = \"oidc\"\n[oidc]\nclient_id = \"{id}\"\nclient_secret_hash = \"{hash}\"\nredirect_uris = [\"{CALLBACK}\"]\n{extra}\n"
                ),
            );
        }
        let clock = Arc::new(FixedClock::new(time::OffsetDateTime::now_utc()));
        let s = pupil_account_with(&env, clock.clone(), 1000, tweak).await;
        (env, s, clock)
    }

    pub(crate) async fn client(
        s: &TestServer,
    ) -> (
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        CoreProviderMetadata,
    ) {
        client_as(s, "teleservice").await
    }

    async fn client_as(
        s: &TestServer,
        client_id: &str,
    ) -> (
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        CoreProviderMetadata,
    ) {
        let meta: CoreProviderMetadata = serde_json::from_str(
            &s.get("/.well-known/openid-configuration")
                .await
                .text()
                .await
                .expect("body"),
        )
        .expect("metadata");
        let jwks: CoreJsonWebKeySet =
            serde_json::from_str(&s.get("/oidc/jwks").await.text().await.expect("body"))
                .expect("jwks");
        let meta = meta.set_jwks(jwks);
        let c = CoreClient::from_provider_metadata(
            meta.clone(),
            ClientId::new(client_id.into()),
            Some(ClientSecret::new(SECRET.into())),
        )
        .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).expect("url"));
        (c, meta)
    }

    pub(crate) async fn logged_in(s: &TestServer) -> reqwest::Client {
        let c = TestServer::browser();
        let html = c
            .get(format!("{}/connexion?profil=eleve", s.url))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("body");
        let r = c
            .post(format!("{}/connexion", s.url))
            .form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("profil", "eleve"),
                ("identifiant", "camille.martin"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 303);
        c
    }

    /// The path and query of a URL built for the issuer `http://localhost`.
    pub(crate) fn local(url: &url::Url) -> String {
        format!("{}?{}", url.path(), url.query().unwrap_or_default())
    }

    pub(crate) fn query_of(location: &str) -> Vec<(String, String)> {
        let u = url::Url::parse(location).expect("location");
        u.query_pairs().into_owned().collect()
    }

    pub(crate) fn q<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
        pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }

    pub(crate) async fn exchange(
        s: &TestServer,
        code: &str,
        verifier: &str,
        secret: &str,
    ) -> (u16, serde_json::Value) {
        let r = TestServer::browser()
            .post(format!("{}/oidc/token", s.url))
            .basic_auth("teleservice", Some(secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        (
            status,
            serde_json::from_str(&r.text().await.expect("body")).expect("JSON"),
        )
    }

    // OIDC code flow with PKCE and nonce, verified by the openidconnect
    // crate's relying-party side; then the RFC 9700 negative cases.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_relying_party_library_completes_the_code_flow() {
        let (_env, s, _clock) = setup().await;
        let (rp, meta) = client(&s).await;
        let browser = logged_in(&s).await;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (auth_url, state, nonce) = rp
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        let r = browser
            .get(format!("{}{}", s.url, local(&auth_url)))
            .send()
            .await
            .expect("authorize");
        assert_eq!(r.status(), 302);
        let back = query_of(r.headers()["location"].to_str().expect("ascii"));
        assert_eq!(q(&back, "state"), Some(state.secret().as_str()));
        assert_eq!(q(&back, "iss"), Some(meta.issuer().as_str()), "RFC 9207");
        let code = q(&back, "code").expect("code").to_owned();

        let (status, body) = exchange(&s, &code, verifier.secret(), SECRET).await;
        assert_eq!(status, 200, "{body}");
        let id_token: CoreIdToken =
            serde_json::from_value(body["id_token"].clone()).expect("id token");
        let claims = id_token
            .claims(&rp.id_token_verifier(), &nonce)
            .expect("signature, iss, aud, exp and nonce verify");
        let access = AccessToken::new(
            body["access_token"]
                .as_str()
                .expect("access token")
                .to_owned(),
        );
        let expected = AccessTokenHash::from_token(
            &access,
            id_token.signing_alg().expect("alg"),
            id_token.signing_key(&rp.id_token_verifier()).expect("key"),
        )
        .expect("hash");
        assert_eq!(claims.access_token_hash(), Some(&expected), "at_hash");
        assert!(claims.auth_time().is_some());
        let sub = claims.subject().as_str().to_owned();
        assert!(!sub.contains("camille"), "the subject is opaque");

        let info: serde_json::Value = serde_json::from_str(
            &TestServer::browser()
                .get(format!("{}/oidc/userinfo", s.url))
                .bearer_auth(access.secret())
                .send()
                .await
                .expect("userinfo")
                .text()
                .await
                .expect("body"),
        )
        .expect("JSON");
        assert_eq!(info["sub"], sub.as_str());
        assert_eq!(info["given_name"], "Camille");
        assert_eq!(info["email"], "camille@example.org");
        let r = TestServer::browser()
            .get(format!("{}/oidc/userinfo", s.url))
            .bearer_auth("nope")
            .send()
            .await
            .expect("userinfo");
        assert_eq!(r.status(), 401);

        let rt1 = body["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned();

        // Refresh: rotation, then reuse of the spent token revokes the family.
        let (status, r2) = refresh(&s, &rt1).await;
        assert_eq!(status, 200, "{r2}");
        let rt2 = r2["refresh_token"].as_str().expect("rotated").to_owned();
        assert_ne!(rt1, rt2);
        let id2: CoreIdToken = serde_json::from_value(r2["id_token"].clone()).expect("id token");
        let c2 = id2
            .claims(&rp.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
            .expect("the refreshed ID token verifies");
        assert_eq!(c2.subject().as_str(), sub);
        let at2 = r2["access_token"].as_str().expect("access").to_owned();
        let userinfo_status = |token: String| {
            let url = format!("{}/oidc/userinfo", s.url);
            async move {
                TestServer::browser()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .expect("userinfo")
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(userinfo_status(at2.clone()).await, 200);
        let (status, reuse) = refresh(&s, &rt1).await;
        assert_eq!(
            (status, reuse["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let (status, after) = refresh(&s, &rt2).await;
        assert_eq!(
            (status, after["error"].as_str()),
            (400, Some("invalid_grant")),
            "the family is revoked"
        );
        assert_eq!(userinfo_status(at2).await, 401, "and its access tokens");

        // The code is single use; presenting it again revokes what it issued.
        let (status, again) = exchange(&s, &code, verifier.secret(), SECRET).await;
        assert_eq!(
            (status, again["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }

    pub(crate) async fn refresh(s: &TestServer, token: &str) -> (u16, serde_json::Value) {
        let r = TestServer::browser()
            .post(format!("{}/oidc/token", s.url))
            .basic_auth("teleservice", Some(SECRET))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        (
            status,
            serde_json::from_str(&r.text().await.expect("body")).expect("JSON"),
        )
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn bad_requests_are_refused_as_rfc_9700_asks() {
        let (_env, s, _clock) = setup().await;
        let (rp, _) = client(&s).await;
        let browser = logged_in(&s).await;
        let authorize = |extra: &str| {
            let url = format!(
                "{}/oidc/authorize?response_type=code&scope=openid&state=xyz{extra}",
                s.url
            );
            let b = browser.clone();
            async move { b.get(url).send().await.expect("authorize") }
        };
        // Unregistered redirect URI: a page, never a redirect.
        let r = authorize("&client_id=teleservice&redirect_uri=https%3A%2F%2Fevil.fr%2Fcb").await;
        assert_eq!(r.status(), 400);
        assert!(r.headers().get("location").is_none());
        let r =
            authorize("&client_id=inconnu&redirect_uri=https%3A%2F%2Fapp.exemple.fr%2Fcallback")
                .await;
        assert_eq!(r.status(), 400);
        // A public client needs PKCE S256; plain is refused.
        for extra in [
            "",
            "&code_challenge=abc&code_challenge_method=plain",
            "&code_challenge=abc",
        ] {
            let r = authorize(&format!(
                "&client_id=public&redirect_uri=https%3A%2F%2Fpublic.exemple.fr%2Fcb{extra}"
            ))
            .await;
            assert_eq!(r.status(), 302, "{extra}");
            let back = query_of(r.headers()["location"].to_str().expect("ascii"));
            assert_eq!(q(&back, "error"), Some("invalid_request"), "{extra}");
            assert_eq!(q(&back, "state"), Some("xyz"));
        }
        let r = authorize("&client_id=teleservice&redirect_uri=https%3A%2F%2Fapp.exemple.fr%2Fcallback&request=eyJ").await;
        assert_eq!(
            q(
                &query_of(r.headers()["location"].to_str().expect("ascii")),
                "error"
            ),
            Some("request_not_supported")
        );
        // prompt=none without a session.
        let r = TestServer::browser()
            .get(format!("{}/oidc/authorize?response_type=code&scope=openid&client_id=teleservice&redirect_uri=https%3A%2F%2Fapp.exemple.fr%2Fcallback&prompt=none", s.url))
            .send()
            .await
            .expect("authorize");
        assert_eq!(
            q(
                &query_of(r.headers()["location"].to_str().expect("ascii")),
                "error"
            ),
            Some("login_required")
        );

        // Wrong PKCE verifier, wrong secret.
        let (challenge, _) = PkceCodeChallenge::new_random_sha256();
        let (auth_url, _, _) = rp
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge)
            .url();
        let code_of = |r: reqwest::Response| {
            q(
                &query_of(r.headers()["location"].to_str().expect("ascii")),
                "code",
            )
            .expect("code")
            .to_owned()
        };
        let code = code_of(
            browser
                .get(format!("{}{}", s.url, local(&auth_url)))
                .send()
                .await
                .expect("authorize"),
        );
        let (status, body) = exchange(
            &s,
            &code,
            "a-verifier-that-is-not-the-right-one-at-all-000",
            SECRET,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let code = code_of(
            browser
                .get(format!("{}{}", s.url, local(&auth_url)))
                .send()
                .await
                .expect("authorize"),
        );
        let (status, body) = exchange(&s, &code, "x", "not-the-secret").await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
    }

    // Without a session the login page comes first, then the flow resumes.
    #[tokio::test(flavor = "multi_thread")]
    async fn without_a_session_the_login_page_comes_first() {
        let (_env, s, _clock) = setup().await;
        let c = TestServer::browser();
        let (challenge, _) = PkceCodeChallenge::new_random_sha256();
        let url = format!(
            "{}/oidc/authorize?response_type=code&scope=openid&client_id=teleservice&redirect_uri={}&state=s1&code_challenge={}&code_challenge_method=S256",
            s.url,
            url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>(),
            challenge.as_str()
        );
        let r = c.get(&url).send().await.expect("authorize");
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().expect("ascii").to_owned();
        assert!(to.starts_with("/profil?suite="), "{to}");
        let suite = to.trim_start_matches("/profil?");
        let html = c
            .get(format!("{}/connexion?profil=eleve&{suite}", s.url))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("body");
        assert!(html.contains("name=\"suite\""), "{html}");
        let suite_value: String = url::form_urlencoded::parse(suite.as_bytes())
            .next()
            .expect("suite")
            .1
            .into_owned();
        let r = c
            .post(format!("{}/connexion", s.url))
            .form(&[
                ("csrf", csrf_of(&html).as_str()),
                ("profil", "eleve"),
                ("identifiant", "camille.martin"),
                ("password", PASSWORD),
                ("suite", &suite_value),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 303);
        let back = r.headers()["location"].to_str().expect("ascii").to_owned();
        assert!(back.starts_with("/oidc/authorize?"), "{back}");
        let r = c
            .get(format!("{}{back}", s.url))
            .send()
            .await
            .expect("authorize");
        assert_eq!(r.status(), 302);
        let loc = r.headers()["location"].to_str().expect("ascii").to_owned();
        assert!(
            loc.starts_with(CALLBACK) && loc.contains("code=") && loc.contains("state=s1"),
            "{loc}"
        );
    }

    /// A logged-in browser's authorization with PKCE for the confidential
    /// client; answers the code, the PKCE verifier and the browser.
    pub(crate) async fn authorize_code(
        s: &TestServer,
    ) -> (String, openidconnect::PkceCodeVerifier, reqwest::Client) {
        let (rp, _) = client(s).await;
        let browser = logged_in(s).await;
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

    /// A full code flow for the confidential client; answers the token response.
    pub(crate) async fn tokens(s: &TestServer) -> serde_json::Value {
        let (code, verifier, _) = authorize_code(s).await;
        let (status, body) = exchange(s, &code, verifier.secret(), SECRET).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub(crate) async fn call(
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

    // RFC 7009 and RFC 7662.
    #[tokio::test(flavor = "multi_thread")]
    async fn tokens_can_be_introspected_and_revoked_by_their_client_only() {
        let (_env, s, _clock) = setup().await;
        let t = tokens(&s).await;
        let (at, rt) = (
            t["access_token"].as_str().expect("at"),
            t["refresh_token"].as_str().expect("rt"),
        );
        let me = ("teleservice", Some(SECRET));
        let (status, body) = call(&s, "/oidc/introspect", me, at).await;
        assert_eq!(status, 200);
        let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(v["active"], true);
        assert_eq!(v["client_id"], "teleservice");
        assert_eq!(v["scope"], "openid");
        let (status, _) = call(&s, "/oidc/introspect", ("teleservice", Some("wrong")), at).await;
        assert_eq!(status, 401);
        let (_, other) = call(&s, "/oidc/introspect", ("public", None), at).await;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&other).expect("JSON")["active"],
            false,
            "another client learns nothing"
        );
        let (_, v) = call(&s, "/oidc/introspect", me, rt).await;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&v).expect("JSON")["token_type"],
            "refresh_token"
        );

        assert_eq!(call(&s, "/oidc/revoke", me, "unknown-token").await.0, 200);
        assert_eq!(call(&s, "/oidc/revoke", me, rt).await.0, 200);
        let (status, body) = refresh(&s, rt).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let (_, v) = call(&s, "/oidc/introspect", me, at).await;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&v).expect("JSON")["active"],
            false,
            "the family's access token too"
        );
    }

    // RP-initiated logout: only with a valid id_token_hint and a registered
    // post_logout_redirect_uri does the browser go back to the client.
    #[tokio::test(flavor = "multi_thread")]
    async fn rp_initiated_logout_needs_a_valid_hint_and_a_registered_page() {
        let (_env, s, _clock) = setup().await;
        let (code, verifier, browser) = authorize_code(&s).await;
        let (_, body) = exchange(&s, &code, verifier.secret(), SECRET).await;
        let hint = body["id_token"].as_str().expect("id token").to_owned();
        let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        let logout = |hint: String, target: &str| {
            let url = format!(
                "{}/oidc/logout?id_token_hint={}&post_logout_redirect_uri={}&state=bye",
                s.url,
                enc(&hint),
                enc(target)
            );
            let b = browser.clone();
            async move { b.get(url).send().await.expect("logout") }
        };
        let account_status = || {
            let url = format!("{}/compte", s.url);
            let b = browser.clone();
            async move { b.get(url).send().await.expect("get").status().as_u16() }
        };
        // An unregistered page, or a forged hint: a confirmation page, no redirect.
        let r = logout(hint.clone(), "https://evil.fr/").await;
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.expect("body").contains("Se déconnecter"));
        let mut parts: Vec<&str> = hint.split('.').collect();
        let forged_payload = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"iss":"http://localhost","aud":"teleservice","sub":"x"}"#,
        );
        parts[1] = &forged_payload;
        let r = logout(parts.join("."), "https://app.exemple.fr/au-revoir").await;
        assert!(
            r.headers().get("location").is_none(),
            "a forged hint earns no redirect"
        );
        assert_eq!(account_status().await, 200, "still logged in");
        // The real thing.
        let r = logout(hint, "https://app.exemple.fr/au-revoir").await;
        assert_eq!(r.status(), 302);
        assert_eq!(
            r.headers()["location"],
            "https://app.exemple.fr/au-revoir?state=bye"
        );
        assert_eq!(account_status().await, 303, "the SSO session is over");
    }

    // RFC 9700 §4.5: a code presented twice revokes the tokens it gave.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_replayed_code_revokes_what_it_issued() {
        let (_env, s, _clock) = setup().await;
        let (code, verifier, _) = authorize_code(&s).await;
        let (status, body) = exchange(&s, &code, verifier.secret(), SECRET).await;
        assert_eq!(status, 200);
        let at = body["access_token"].as_str().expect("at").to_owned();
        let me = ("teleservice", Some(SECRET));
        let active = |token: String| {
            let s = &s;
            async move {
                let (_, v) = call(s, "/oidc/introspect", me, &token).await;
                serde_json::from_str::<serde_json::Value>(&v).expect("JSON")["active"].clone()
            }
        };
        assert_eq!(active(at.clone()).await, true);
        let (status, _) = exchange(&s, &code, verifier.secret(), SECRET).await;
        assert_eq!(status, 400);
        assert_eq!(
            active(at).await,
            false,
            "the replay revoked the access token"
        );
        let (status, _) = refresh(&s, body["refresh_token"].as_str().expect("rt")).await;
        assert_eq!(status, 400, "and the refresh token");
    }

    // max_age: an older login asks for the password again, then resumes.
    #[tokio::test(flavor = "multi_thread")]
    async fn max_age_asks_for_the_password_again_after_that_long() {
        let (_env, s, clock) = setup().await;
        let browser = logged_in(&s).await;
        let (challenge, _) = PkceCodeChallenge::new_random_sha256();
        let url = format!(
            "{}/oidc/authorize?response_type=code&scope=openid&client_id=teleservice&redirect_uri={}&code_challenge={}&code_challenge_method=S256&max_age=300",
            s.url,
            url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>(),
            challenge.as_str()
        );
        let r = browser.get(&url).send().await.expect("authorize");
        assert_eq!(r.status(), 302, "a fresh login satisfies max_age");
        clock.advance(time::Duration::seconds(301));
        let r = browser.get(&url).send().await.expect("authorize");
        assert_eq!(r.status(), 303, "credentials asked again");
        assert!(
            r.headers()["location"]
                .to_str()
                .expect("ascii")
                .contains("suite=")
        );
        let r = browser
            .get(url.replace("max_age=300", "max_age=abc"))
            .send()
            .await
            .expect("authorize");
        assert_eq!(r.status(), 302);
        assert!(
            r.headers()["location"]
                .to_str()
                .expect("ascii")
                .contains("error=invalid_request")
        );
    }

    // response_mode=form_post: a page that posts code, state and iss.
    #[tokio::test(flavor = "multi_thread")]
    async fn form_post_answers_a_page_that_posts_the_code() {
        let (_env, s, _clock) = setup().await;
        let browser = logged_in(&s).await;
        let (challenge, _) = PkceCodeChallenge::new_random_sha256();
        let url = format!(
            "{}/oidc/authorize?response_type=code&scope=openid&client_id=teleservice&redirect_uri={}&code_challenge={}&code_challenge_method=S256&state=st&response_mode=form_post",
            s.url,
            url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>(),
            challenge.as_str()
        );
        let r = browser.get(&url).send().await.expect("authorize");
        assert_eq!(r.status(), 200);
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(csp.contains("form-action https://app.exemple.fr"), "{csp}");
        let html = r.text().await.expect("body");
        assert!(html.contains(&format!("action=\"{CALLBACK}\"")), "{html}");
        assert!(
            html.contains("name=\"code\"")
                && html.contains("name=\"state\" value=\"st\"")
                && html.contains("name=\"iss\""),
            "{html}"
        );
        let r = browser
            .get(url.replace("form_post", "fragment"))
            .send()
            .await
            .expect("authorize");
        assert!(
            r.headers()["location"]
                .to_str()
                .expect("ascii")
                .contains("error=invalid_request")
        );
    }

    /// `/oidc/authorize` for a client of [`setup_with`], PKCE S256, from
    /// a browser; `extra` is appended to the query. Answers the response
    /// and the PKCE verifier.
    async fn authorize_as(
        s: &TestServer,
        browser: &reqwest::Client,
        client_id: &str,
        scope: &str,
        extra: &str,
    ) -> (reqwest::Response, String) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        let url = format!(
            "{}/oidc/authorize?client_id={client_id}&redirect_uri={}&response_type=code&scope={}&state=st&code_challenge={}&code_challenge_method=S256{extra}",
            s.url,
            enc(CALLBACK),
            enc(scope),
            challenge.as_str()
        );
        let r = browser.get(url).send().await.expect("authorize");
        (r, verifier.secret().to_owned())
    }

    /// The code of an authorization response that redirected.
    fn code_in(r: &reqwest::Response) -> String {
        let loc = r.headers()["location"].to_str().expect("ascii");
        q(&query_of(loc), "code")
            .unwrap_or_else(|| panic!("no code: {loc}"))
            .to_owned()
    }

    /// Redeems a code for a client of [`setup_with`].
    async fn exchange_as(
        s: &TestServer,
        client_id: &str,
        code: &str,
        verifier: &str,
    ) -> serde_json::Value {
        let r = TestServer::browser()
            .post(format!("{}/oidc/token", s.url))
            .basic_auth(client_id, Some(SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 200);
        serde_json::from_str(&r.text().await.expect("body")).expect("JSON")
    }

    /// The claims of a JWT, unverified (the verification is the test's).
    pub(crate) fn payload(jwt: &str) -> serde_json::Value {
        let part = jwt.split('.').nth(1).expect("payload");
        let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part)
            .expect("base64");
        serde_json::from_slice(&raw).expect("JSON")
    }

    pub(crate) async fn userinfo(s: &TestServer, at: &str) -> (u16, serde_json::Value) {
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

    // Back-channel logout 1.0, and one SSO session for both protocols: a
    // CAS logout sends the OpenID Connect client a signed logout token
    // with the ID token's sid, and revokes the tokens of that session.
    #[tokio::test(flavor = "multi_thread")]
    async fn logging_out_sends_a_logout_token_and_revokes_the_session_tokens() {
        let (port, got) = crate::support::http::receiver(false).await;
        let (_env, s, _clock) = setup_with(
            &[(
                "bcl",
                format!("backchannel_logout_uri = \"http://127.0.0.1:{port}/bcl\""),
            )],
            |_| {},
        )
        .await;
        let browser = logged_in(&s).await;
        let (r, verifier) = authorize_as(&s, &browser, "bcl", "openid", "").await;
        let t = exchange_as(&s, "bcl", &code_in(&r), &verifier).await;
        let id = payload(t["id_token"].as_str().expect("id token"));
        let sid = id["sid"].as_str().expect("sid claim").to_owned();
        let at = t["access_token"].as_str().expect("at").to_owned();
        assert_eq!(userinfo(&s, &at).await.0, 200);
        // Another login's tokens are not touched.
        let other = logged_in(&s).await;
        let (r, verifier) = authorize_as(&s, &other, "bcl", "openid", "").await;
        let other_tokens = exchange_as(&s, "bcl", &code_in(&r), &verifier).await;

        let r = browser
            .get(format!("{}/cas/logout", s.url))
            .send()
            .await
            .expect("logout");
        assert!(r.status().is_success() || r.status().is_redirection());
        // Revoked at once, before the logout token is even sent.
        assert_eq!(userinfo(&s, &at).await.0, 401, "the access token");
        let (status, body) = refresh(&s, t["refresh_token"].as_str().expect("rt")).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        let other_at = other_tokens["access_token"].as_str().expect("at");
        assert_eq!(
            userinfo(&s, other_at).await.0,
            200,
            "other sessions live on"
        );

        let mut body = String::new();
        for _ in 0..100 {
            if let Some(b) = got.lock().expect("lock").first() {
                body = b.clone();
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let token = url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "logout_token")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no logout token POSTed: {body:?}"));
        // Verified with the JWKS through the library's key type.
        let parts: Vec<&str> = token.split('.').collect();
        let header: serde_json::Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[0])
                .expect("b64"),
        )
        .expect("header");
        assert_eq!(header["typ"], "logout+jwt");
        assert_eq!(header["alg"], "RS256");
        let set = super::jwks(&s).await;
        let key = set
            .keys()
            .iter()
            .find(|k| k.key_id().map(|k| k.as_str()) == header["kid"].as_str())
            .expect("kid published");
        let sig =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[2])
                .expect("b64");
        key.verify_signature(
            &openidconnect::core::CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &sig,
        )
        .expect("the logout token's signature verifies");
        let claims = payload(&token);
        assert_eq!(claims["iss"], "http://localhost");
        assert_eq!(claims["aud"], "bcl");
        assert_eq!(claims["sid"], sid.as_str());
        assert_eq!(claims["sub"], id["sub"]);
        assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
        assert!(claims.get("nonce").is_none(), "a logout token has no nonce");
        assert_eq!(got.lock().expect("lock").len(), 1, "one token per client");
    }

    // OIDC-12: a password change ends every session and the refresh tokens
    // they gave.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_password_change_revokes_refresh_tokens() {
        let (_env, s, _clock) = setup().await;
        let (code, verifier, browser) = authorize_code(&s).await;
        let (_, t) = exchange(&s, &code, verifier.secret(), SECRET).await;
        let (status, _) = refresh(&s, t["refresh_token"].as_str().expect("rt")).await;
        assert_eq!(status, 200, "refresh works before");
        let t = tokens(&s).await;
        let (status, _, html) = crate::support::personas::account_form(
            &s,
            &browser,
            "/compte/mot-de-passe",
            &[
                ("actuel", PASSWORD),
                ("nouveau", "Hibou-Quartz-73"),
                ("nouveau2", "Hibou-Quartz-73"),
            ],
        )
        .await;
        assert!(status == 303 || status == 200, "{status} {html}");
        let (status, body) = refresh(&s, t["refresh_token"].as_str().expect("rt")).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
        assert_eq!(
            userinfo(&s, t["access_token"].as_str().expect("at"))
                .await
                .0,
            401
        );
    }

    // Consent (issue 6 §5): asked once per client and scope set, then
    // remembered; refused → access_denied to the client; prompt=consent
    // asks again; prompt=none cannot ask → consent_required.
    #[tokio::test(flavor = "multi_thread")]
    async fn consent_is_asked_once_per_client_and_scope_set() {
        let (env, s, _clock) = setup_with(
            &[(
                "tiers",
                "consent = true\nscopes = [\"openid\", \"profile\", \"email\"]".into(),
            )],
            |_| {},
        )
        .await;
        let browser = logged_in(&s).await;
        let consent_page = |r: reqwest::Response| async move {
            assert_eq!(r.status(), 200, "a page, not a redirect");
            let html = r.text().await.expect("body");
            assert!(html.contains("Autoriser « Service tiers » ?"), "{html}");
            html
        };
        let decide = |html: String, decision: &'static str| {
            let b = browser.clone();
            let url = format!("{}/oidc/consentement", s.url);
            async move {
                let ticket = html
                    .split("name=\"ticket\" value=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .expect("ticket")
                    .to_owned();
                b.post(url)
                    .form(&[
                        ("csrf", csrf_of(&html)),
                        ("ticket", ticket),
                        ("decision", decision.to_owned()),
                    ])
                    .send()
                    .await
                    .expect("post")
            }
        };
        let (r, _) = authorize_as(&s, &browser, "tiers", "openid profile", "").await;
        let html = consent_page(r).await;
        assert!(html.contains("connaître vos nom, prénom et identifiant"));
        let r = decide(html.clone(), "refuser").await;
        assert_eq!(r.status(), 302);
        let back = query_of(r.headers()["location"].to_str().expect("ascii"));
        assert_eq!(q(&back, "error"), Some("access_denied"));
        assert_eq!(q(&back, "state"), Some("st"));
        assert_eq!(q(&back, "iss"), Some("http://localhost"));
        // The ticket is single use (posted with a fresh form's CSRF token).
        let (r, _) = authorize_as(&s, &browser, "tiers", "openid profile", "").await;
        let fresh = consent_page(r).await;
        let old_ticket = html
            .split("name=\"ticket\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("ticket");
        let r = decide(
            fresh.replace(
                fresh
                    .split("name=\"ticket\" value=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .expect("ticket"),
                old_ticket,
            ),
            "autoriser",
        )
        .await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.expect("body").contains("Demande expirée"));

        let (r, verifier) = authorize_as(&s, &browser, "tiers", "openid profile", "").await;
        let html = consent_page(r).await;
        let r = decide(html, "autoriser").await;
        assert_eq!(r.status(), 302);
        exchange_as(&s, "tiers", &code_in(&r), &verifier).await;
        assert_eq!(
            env.count("SELECT COUNT(*) FROM oidc_consents WHERE client_id = 'tiers'")
                .await,
            1
        );
        // Remembered: no page, even from another login of the same account.
        let (r, _) = authorize_as(&s, &logged_in(&s).await, "tiers", "openid", "").await;
        assert_eq!(r.status(), 302);
        code_in(&r);
        // More scopes, or prompt=consent: asked again; prompt=none cannot.
        let (r, _) = authorize_as(&s, &browser, "tiers", "openid email", "").await;
        consent_page(r).await;
        let (r, _) = authorize_as(&s, &browser, "tiers", "openid", "&prompt=consent").await;
        consent_page(r).await;
        let (r, _) = authorize_as(&s, &browser, "tiers", "openid email", "&prompt=none").await;
        let back = query_of(r.headers()["location"].to_str().expect("ascii"));
        assert_eq!(q(&back, "error"), Some("consent_required"));
        // A first-party client (consent = false) never asks.
        let (r, _) = authorize_as(&s, &browser, "teleservice", "openid email", "").await;
        assert_eq!(r.status(), 302);
        code_in(&r);
    }

    // OIDC-17 and issue 6 §2-3: Sésame's scopes, children only to the
    // clients that list them, pairwise subjects per client, stable.
    #[tokio::test(flavor = "multi_thread")]
    async fn scopes_release_only_what_they_name_and_pairwise_subjects_differ() {
        let (_env, s, _clock) = setup_with(
            &[
                (
                    "ecole",
                    "scopes = [\"openid\", \"profile\", \"sesame\", \"sesame.children\"]".into(),
                ),
                ("paire", "subject_type = \"pairwise\"".into()),
            ],
            |_| {},
        )
        .await;
        let browser = logged_in(&s).await;
        let tokens_for = |id: &'static str, scope: &'static str| {
            let (s, b) = (&s, browser.clone());
            async move {
                let (r, v) = authorize_as(s, &b, id, scope, "").await;
                exchange_as(s, id, &code_in(&r), &v).await
            }
        };
        let t = tokens_for("ecole", "openid profile sesame sesame.children").await;
        let (_, info) = userinfo(&s, t["access_token"].as_str().expect("at")).await;
        assert_eq!(info["preferred_username"], "camille.martin");
        assert_eq!(info["sesame_profile"], "eleve");
        assert!(
            info["sesame_uai"].as_array().is_some_and(|a| !a.is_empty()),
            "{info}"
        );
        assert!(info.get("email").is_none(), "no email without the scope");
        // Without the scope in its registration, a client cannot have it.
        let (r, _) = authorize_as(&s, &browser, "paire", "openid sesame.children", "").await;
        let back = query_of(r.headers()["location"].to_str().expect("ascii"));
        assert_eq!(q(&back, "error"), Some("invalid_scope"));
        let t = tokens_for("paire", "openid sesame").await;
        let (_, info) = userinfo(&s, t["access_token"].as_str().expect("at")).await;
        assert!(info.get("sesame_children").is_none());
        assert!(info.get("given_name").is_none(), "no names without profile");

        let sub_of = |t: &serde_json::Value| {
            payload(t["id_token"].as_str().expect("id token"))["sub"]
                .as_str()
                .expect("sub")
                .to_owned()
        };
        let public = sub_of(&tokens_for("ecole", "openid").await);
        let public2 = sub_of(&tokens_for("teleservice", "openid").await);
        let pairwise = sub_of(&tokens_for("paire", "openid").await);
        assert_eq!(public, public2, "public: one subject for every client");
        assert_ne!(public, pairwise, "pairwise: the client's own");
        assert_eq!(
            pairwise,
            sub_of(&tokens_for("paire", "openid").await),
            "stable"
        );
        assert_eq!(info["sub"], pairwise.as_str(), "userinfo agrees");
    }

    // Issue 6 §1: ES256 and EdDSA as options, verified by the library.
    #[tokio::test(flavor = "multi_thread")]
    async fn es256_and_eddsa_id_tokens_verify_with_the_library() {
        let (_env, s, _clock) = setup_with(
            &[
                ("es", "id_token_signed_response_alg = \"ES256\"".into()),
                ("ed", "id_token_signed_response_alg = \"EdDSA\"".into()),
            ],
            |c| c.oidc.signing_algorithms = vec!["RS256".into(), "ES256".into(), "EdDSA".into()],
        )
        .await;
        let meta: serde_json::Value = serde_json::from_str(
            &s.get("/.well-known/openid-configuration")
                .await
                .text()
                .await
                .expect("body"),
        )
        .expect("JSON");
        assert_eq!(
            meta["id_token_signing_alg_values_supported"],
            serde_json::json!(["RS256", "ES256", "EdDSA"])
        );
        let set = super::jwks(&s).await;
        assert_eq!(set.keys().len(), 3);
        let browser = logged_in(&s).await;
        for (id, alg) in [
            (
                "es",
                openidconnect::core::CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            ),
            ("ed", openidconnect::core::CoreJwsSigningAlgorithm::EdDsa),
        ] {
            let (r, verifier) = authorize_as(&s, &browser, id, "openid", "&nonce=n-0S6").await;
            let t = exchange_as(&s, id, &code_in(&r), &verifier).await;
            let (rp, _) = client_as(&s, id).await;
            let token: CoreIdToken =
                serde_json::from_value(t["id_token"].clone()).expect("id token");
            assert_eq!(token.signing_alg().expect("alg"), &alg);
            let verifier = rp.id_token_verifier().set_allowed_algs(vec![alg.clone()]);
            let claims = token
                .claims(&verifier, &Nonce::new("n-0S6".into()))
                .unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(claims.audiences()[0].as_str(), id);
            // A tampered payload does not verify.
            let mut parts: Vec<String> = t["id_token"]
                .as_str()
                .expect("jwt")
                .split('.')
                .map(str::to_owned)
                .collect();
            let mut p = payload(t["id_token"].as_str().expect("jwt"));
            p["sub"] = "quelqu-un-d-autre".into();
            parts[1] = base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                p.to_string(),
            );
            let forged: CoreIdToken =
                serde_json::from_value(serde_json::json!(parts.join("."))).expect("parse");
            assert!(
                forged
                    .claims(&verifier, &Nonce::new("n-0S6".into()))
                    .is_err()
            );
        }
    }

    // OIDC-08: wrong secrets are counted per client; past the limit even
    // the right secret is refused for a minute. Secrets in the query string
    // are never read.
    #[tokio::test(flavor = "multi_thread")]
    async fn wrong_client_secrets_throttle_that_client() {
        let (_env, s, _clock) = setup_with(&[], |c| c.oidc.client_failures_per_minute = 5).await;
        let t = tokens(&s).await;
        let rt = t["refresh_token"].as_str().expect("rt").to_owned();
        let r = TestServer::browser()
            .post(format!(
                "{}/oidc/token?client_id=teleservice&client_secret={SECRET}",
                s.url
            ))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.as_str()),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 401, "a secret in the query string is not read");
        for _ in 0..5 {
            let r = TestServer::browser()
                .post(format!("{}/oidc/token", s.url))
                .basic_auth("teleservice", Some("mauvais"))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.as_str()),
                ])
                .send()
                .await
                .expect("post");
            assert_eq!(r.status(), 401);
            assert!(r.headers().get("www-authenticate").is_some());
        }
        let (status, body) = refresh(&s, &rt).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
        // The other clients are not affected.
        let (status, _) = call(&s, "/oidc/introspect", ("public", None), "x").await;
        assert_eq!(status, 200);
    }

    // OIDC-14: CORS only for the clients' origins, never on authorize.
    #[tokio::test(flavor = "multi_thread")]
    async fn cors_answers_registered_origins_only_and_never_on_authorize() {
        let (_env, s, _clock) = setup().await;
        let b = TestServer::browser();
        for path in ["/oidc/jwks", "/.well-known/openid-configuration"] {
            let r = b
                .get(format!("{}{path}", s.url))
                .header("origin", "https://evil.example")
                .send()
                .await
                .expect("get");
            assert!(r.headers().get("access-control-allow-origin").is_none());
            let r = b
                .get(format!("{}{path}", s.url))
                .header("origin", "https://app.exemple.fr")
                .send()
                .await
                .expect("get");
            assert_eq!(
                r.headers()["access-control-allow-origin"],
                "https://app.exemple.fr"
            );
        }
        let r = b
            .request(reqwest::Method::OPTIONS, format!("{}/oidc/token", s.url))
            .header("origin", "https://public.exemple.fr")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .expect("preflight");
        assert_eq!(r.status(), 204);
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "https://public.exemple.fr"
        );
        let r = b
            .get(format!(
                "{}/oidc/authorize?client_id=teleservice&redirect_uri={}&response_type=code&scope=openid",
                s.url,
                url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()
            ))
            .header("origin", "https://app.exemple.fr")
            .send()
            .await
            .expect("authorize");
        assert!(
            !r.headers()
                .keys()
                .any(|k| k.as_str().starts_with("access-control-")),
            "no CORS on the authorization endpoint"
        );
    }

    // login_hint pre-fills the identifiant on the login page.
    #[tokio::test(flavor = "multi_thread")]
    async fn login_hint_prefills_the_identifiant() {
        let (_env, s, _clock) = setup().await;
        let b = TestServer::browser();
        let (r, _) = authorize_as(
            &s,
            &b,
            "teleservice",
            "openid",
            "&login_hint=camille.martin&ui_locales=fr",
        )
        .await;
        // No session: the profile choice, whose links carry the request on.
        let to = r.headers()["location"].to_str().expect("ascii").to_owned();
        let query = to.split_once('?').expect("query").1;
        let html = b
            .get(format!("{}/connexion?profil=eleve&{query}", s.url))
            .send()
            .await
            .expect("login page")
            .text()
            .await
            .expect("body");
        assert!(html.contains(r#"value="camille.martin""#), "{html}");
    }

    /// `/oidc/authorize` with the given query after the common part
    /// (`response_type=code`, `state=st`), from a browser.
    async fn authorize_raw(
        s: &TestServer,
        browser: &reqwest::Client,
        query: &str,
    ) -> reqwest::Response {
        browser
            .get(format!("{}/oidc/authorize?{query}", s.url))
            .send()
            .await
            .expect("authorize")
    }

    fn enc(v: &str) -> String {
        url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
    }

    fn s256(verifier: &str) -> String {
        use sha2::Digest;
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            sha2::Sha256::digest(verifier.as_bytes()),
        )
    }

    /// A token request for `client_id` (secret SECRET); answers (status, body).
    async fn token_request(
        s: &TestServer,
        client_id: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let r = TestServer::browser()
            .post(format!("{}/oidc/token", s.url))
            .basic_auth(client_id, Some(SECRET))
            .form(form)
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        (
            status,
            serde_json::from_str(&r.text().await.expect("body")).unwrap_or_default(),
        )
    }

    // OIDC-02: only the byte-exact registered URI; anything else is an
    // error page, never a redirect.
    #[tokio::test(flavor = "multi_thread")]
    async fn redirect_uri_lookalikes_get_a_page_never_a_redirect() {
        let (_env, s, _clock) = setup().await;
        let browser = logged_in(&s).await;
        for uri in [
            "https://APP.exemple.fr/callback",
            "https://app.exemple.fr/Callback",
            "https://app.exemple.fr/callback/",
            "https://app.exemple.fr/x/../callback",
            "https://app.exemple.fr/%2E%2E/callback",
            "https://app.exemple.fr/callback%252F",
            "https://app.exemple.fr/callback?x=1",
            "https://app.exemple.fr/callback#fragment",
            "file:///etc/passwd",
            "https://app.exemple.fr@evil.fr/callback",
            "https://evil.fr@app.exemple.fr/callback",
            "https://app.exemple.fr:8443/callback",
            "http://app.exemple.fr/callback",
            "http://127.0.0.1:9999/callback",
        ] {
            let r = authorize_raw(
                &s,
                &browser,
                &format!("client_id=teleservice&response_type=code&scope=openid&state=st&redirect_uri={}", enc(uri)),
            )
            .await;
            assert_eq!(r.status(), 400, "{uri}");
            assert!(r.headers().get("location").is_none(), "{uri}");
        }
        // Missing: no default even with one registered URI.
        let r = authorize_raw(
            &s,
            &browser,
            "client_id=teleservice&response_type=code&scope=openid",
        )
        .await;
        assert_eq!(r.status(), 400);
        assert!(r.headers().get("location").is_none());
    }

    // OIDC-03, -07, -10, -13: errors go to the registered URI with state
    // and iss; state is echoed byte for byte; only the code flow and the
    // two grants exist; bearer tokens only in the header.
    #[tokio::test(flavor = "multi_thread")]
    async fn errors_carry_state_and_iss_and_state_is_echoed_exactly() {
        let (_env, s, _clock) = setup().await;
        let browser = logged_in(&s).await;
        let state = "a&b=c%d+e é€ 💡 /?#";
        let base = format!(
            "client_id=teleservice&redirect_uri={}&state={}",
            enc(CALLBACK),
            enc(state)
        );
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let r = authorize_raw(
            &s,
            &browser,
            &format!(
                "{base}&response_type=code&scope=openid&code_challenge={}&code_challenge_method=S256",
                challenge.as_str()
            ),
        )
        .await;
        let back = query_of(r.headers()["location"].to_str().expect("ascii"));
        assert_eq!(q(&back, "state"), Some(state), "byte-exact");
        let code = q(&back, "code").expect("code").to_owned();
        for (extra, error) in [
            ("&response_type=code&scope=openid%20admin", "invalid_scope"),
            ("&response_type=code&scope=profile", "invalid_scope"),
            (
                "&response_type=token&scope=openid",
                "unsupported_response_type",
            ),
            (
                "&response_type=id_token%20token&scope=openid",
                "unsupported_response_type",
            ),
            (
                "&response_type=code%20token&scope=openid",
                "unsupported_response_type",
            ),
            (
                "&response_type=code&scope=openid&request_uri=https%3A%2F%2Fx",
                "request_uri_not_supported",
            ),
        ] {
            let r = authorize_raw(&s, &browser, &format!("{base}{extra}")).await;
            assert_eq!(r.status(), 302, "{extra}");
            let loc = r.headers()["location"].to_str().expect("ascii").to_owned();
            assert!(loc.starts_with(CALLBACK), "{loc}");
            let back = query_of(&loc);
            assert_eq!(q(&back, "error"), Some(error), "{extra}");
            assert_eq!(q(&back, "state"), Some(state), "{extra}");
            assert_eq!(q(&back, "iss"), Some("http://localhost"), "{extra}");
        }
        // Unknown parameters are ignored.
        let r = authorize_raw(
            &s,
            &browser,
            &format!(
                "{base}&response_type=code&scope=openid&code_challenge={}&code_challenge_method=S256&foo=bar",
                challenge.as_str()
            ),
        )
        .await;
        assert!(
            q(
                &query_of(r.headers()["location"].to_str().expect("ascii")),
                "code"
            )
            .is_some()
        );

        let (status, body) = token_request(
            &s,
            "teleservice",
            &[
                ("grant_type", "password"),
                ("username", "camille.martin"),
                ("password", PASSWORD),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("unsupported_grant_type"))
        );
        let (status, body) = token_request(
            &s,
            "teleservice",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier.secret()),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let at = body["access_token"].as_str().expect("at");
        let r = TestServer::browser()
            .get(format!("{}/oidc/userinfo?access_token={at}", s.url))
            .send()
            .await
            .expect("userinfo");
        assert_eq!(r.status(), 401, "no token in the query string");
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .expect("ascii")
                .contains("invalid_token")
        );
        assert_eq!(userinfo(&s, at).await.0, 200);
    }

    // OIDC-05, -06: a code is bound to its client, redirect URI, lifetime
    // and PKCE challenge; verifiers are checked for syntax; no downgrade.
    #[tokio::test(flavor = "multi_thread")]
    async fn codes_are_bound_and_pkce_is_strict() {
        let (_env, s, clock) = setup_with(
            &[
                ("autre", String::new()),
                ("sansrt", "refresh_tokens = false".into()),
            ],
            |_| {},
        )
        .await;
        let browser = logged_in(&s).await;
        let good = "a-good-verifier-of-forty-three-characters-x";
        assert_eq!(good.len(), 43);
        let code_with = |client_id: &'static str, verifier: Option<String>| {
            let (s, b) = (&s, browser.clone());
            async move {
                let pkce = verifier
                    .map(|v| format!("&code_challenge={}&code_challenge_method=S256", s256(&v)))
                    .unwrap_or_default();
                let r = authorize_raw(
                    s,
                    &b,
                    &format!(
                        "client_id={client_id}&redirect_uri={}&response_type=code&scope=openid&state=st{pkce}",
                        enc(CALLBACK)
                    ),
                )
                .await;
                code_in(&r)
            }
        };
        let redeem = |client_id: &'static str,
                      code: String,
                      redirect: Option<&'static str>,
                      verifier: Option<String>| {
            let s = &s;
            async move {
                let mut form = vec![
                    ("grant_type", "authorization_code".to_owned()),
                    ("code", code),
                ];
                if let Some(r) = redirect {
                    form.push(("redirect_uri", r.to_owned()));
                }
                if let Some(v) = verifier {
                    form.push(("code_verifier", v));
                }
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let (status, body) = token_request(s, client_id, &form).await;
                (status, body["error"].as_str().map(str::to_owned))
            }
        };
        let invalid_grant = (400, Some("invalid_grant".to_owned()));
        let g = || Some(good.to_owned());
        // Another client, another or no redirect URI.
        let c = code_with("teleservice", g()).await;
        assert_eq!(redeem("autre", c, Some(CALLBACK), g()).await, invalid_grant);
        let c = code_with("teleservice", g()).await;
        assert_eq!(
            redeem("teleservice", c, Some("https://app.exemple.fr/autre"), g()).await,
            invalid_grant
        );
        let c = code_with("teleservice", g()).await;
        assert_eq!(redeem("teleservice", c, None, g()).await, invalid_grant);
        // After 61 s.
        let c = code_with("teleservice", g()).await;
        clock.advance(time::Duration::seconds(61));
        assert_eq!(
            redeem("teleservice", c, Some(CALLBACK), g()).await,
            invalid_grant
        );
        let browser = logged_in(&s).await;
        let _ = browser;
        // (c) challenge, no verifier; (d) wrong verifier; (e) downgrade.
        let c = code_with("teleservice", g()).await;
        assert_eq!(
            redeem("teleservice", c, Some(CALLBACK), None).await,
            invalid_grant
        );
        let c = code_with("teleservice", g()).await;
        assert_eq!(
            redeem(
                "teleservice",
                c,
                Some(CALLBACK),
                Some(good.replace('x', "y"))
            )
            .await,
            invalid_grant
        );
        let c = code_with("teleservice", None).await;
        assert_eq!(
            redeem("teleservice", c, Some(CALLBACK), g()).await,
            invalid_grant
        );
        // (f) 42 or 129 characters, or illegal ones, even when they match.
        for bad in [
            "x".repeat(42),
            "x".repeat(129),
            format!("{}!", "x".repeat(42)),
        ] {
            let c = code_with("teleservice", Some(bad.clone())).await;
            assert_eq!(
                redeem("teleservice", c, Some(CALLBACK), Some(bad.clone())).await,
                invalid_grant,
                "{bad}"
            );
        }
        // And the right one works (128 characters too).
        let long = "y".repeat(128);
        let c = code_with("teleservice", Some(long.clone())).await;
        assert_eq!(
            redeem("teleservice", c, Some(CALLBACK), Some(long)).await.0,
            200
        );
        // OIDC-07: a client without refresh tokens gets none, and may not
        // use the grant.
        let c = code_with("sansrt", g()).await;
        let (status, body) = token_request(
            &s,
            "sansrt",
            &[
                ("grant_type", "authorization_code"),
                ("code", &c),
                ("redirect_uri", CALLBACK),
                ("code_verifier", good),
            ],
        )
        .await;
        assert_eq!(status, 200);
        assert!(body.get("refresh_token").is_none(), "{body}");
        let (status, body) = token_request(
            &s,
            "sansrt",
            &[("grant_type", "refresh_token"), ("refresh_token", "x")],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("unauthorized_client"))
        );
    }

    // OIDC-09: after `sesame keys rotate`, the old key signs on for a day
    // (the new one is published), then the new one signs and the old one
    // stays published a day more, so tokens it signed still verify.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_rotated_key_signs_a_day_later_and_old_tokens_still_verify() {
        let (env, s, clock) = setup().await;
        let kid_of = |t: &serde_json::Value| {
            let jwt = t["id_token"].as_str().expect("id token");
            let h = jwt.split('.').next().expect("header");
            let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, h)
                .expect("b64");
            serde_json::from_slice::<serde_json::Value>(&raw).expect("JSON")["kid"]
                .as_str()
                .expect("kid")
                .to_owned()
        };
        let first = tokens(&s).await;
        let old = kid_of(&first);
        env.sesame(&["keys", "rotate"]).ok();
        assert_eq!(super::jwks(&s).await.keys().len(), 2, "published at once");
        assert_eq!(kid_of(&tokens(&s).await), old, "the old key still signs");
        clock.advance(time::Duration::hours(25));
        let second = tokens(&s).await;
        let new = kid_of(&second);
        assert_ne!(new, old, "the new key signs a day later");
        // The first token still verifies against the published keys.
        let (rp, _) = client(&s).await;
        let t: CoreIdToken = serde_json::from_value(first["id_token"].clone()).expect("id token");
        t.claims(&rp.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
            .expect("the old key is still published");
        clock.advance(time::Duration::hours(24));
        let set = super::jwks(&s).await;
        let kids: Vec<String> = set
            .keys()
            .iter()
            .filter_map(|k| k.key_id().map(|k| k.as_str().to_owned()))
            .collect();
        assert_eq!(
            kids,
            vec![new],
            "the old key is gone once its tokens have expired"
        );
    }
}
