//! The http transport against a provider stood for by a local HTTP server
//! (axum on a free port) that keeps every request and answers the
//! statuses it is given in turn: a temporary failure is retried, a
//! refusal is final, and both erase nothing but what they should.

use super::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::sync::Mutex;

/// What the provider received: (authorization, content type, body).
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

/// The provider: answers `statuses` in turn (the last one afterwards).
async fn provider(statuses: &[u16]) -> (u16, Received) {
    #[derive(Clone)]
    struct Provider {
        got: Received,
        statuses: Arc<Vec<u16>>,
    }
    async fn receive(State(p): State<Provider>, headers: HeaderMap, body: String) -> StatusCode {
        let h = |k: &str| {
            headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let n = {
            let mut got = p.got.lock().expect("lock");
            got.push((h("authorization"), h("content-type"), body));
            got.len()
        };
        let status = p.statuses[(n - 1).min(p.statuses.len() - 1)];
        StatusCode::from_u16(status).expect("status")
    }
    let got: Received = Arc::default();
    let state = Provider {
        got: got.clone(),
        statuses: Arc::new(statuses.to_vec()),
    };
    let app = axum::Router::new()
        .route("/v1/sms", axum::routing::post(receive))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (port, got)
}

/// A configuration file for the http transport towards `port`.
fn http_config(env: &TestEnv, port: u16) -> String {
    let file = env.write(
        "sms.toml",
        format!(
            r#"[sms]
enabled = true
transport = "http"

[sms.http]
url = "http://127.0.0.1:{port}/v1/sms"
auth_header = "Bearer s3cret-jeton"
body_template = '{{"to":"{{to}}","message":"{{text}}","sender":"SESAME"}}'
"#
        ),
    );
    file.to_str().expect("utf8").to_owned()
}

fn sms(env: &TestEnv, config: &str, args: &[&str]) -> crate::support::Run {
    let mut all = vec!["sms"];
    all.extend_from_slice(args);
    env.sesame_with(&all, &[("SESAME_CONFIG", config)])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_http_transport_retries_a_failure_then_delivers_and_the_path_ends() {
    let env = TestEnv::new();
    family(&env);
    let (port, got) = provider(&[500, 200]).await;
    let config = http_config(&env, port);
    let s = sms_server(&env, None).await;
    assert_eq!(ask_code(&s.client, &s.url, MOBILE).await.0, 303);

    // First attempt: the provider fails; the message waits its backoff.
    let first = sms(&env, &config, &["send"]);
    assert_eq!(first.ok().trim(), "0 SMS envoyé(s).");
    assert_eq!(got.lock().expect("lock").len(), 1);
    let list = sms(&env, &config, &["list", "--json"]).ok();
    let rows: serde_json::Value = serde_json::from_str(&list).expect("json");
    assert_eq!(rows[0]["state"], "pending");
    assert_eq!(rows[0]["attempts"], 1);
    assert!(
        rows[0]["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("500"),
        "{list}"
    );
    assert_eq!(
        sms(&env, &config, &["send"]).ok().trim(),
        "0 SMS envoyé(s)."
    );
    assert_eq!(got.lock().expect("lock").len(), 1, "not before its backoff");

    // `sms retry ID` makes it due now; the second attempt goes through.
    let id = rows[0]["id"].to_string();
    let retry = sms(&env, &config, &["retry", &id]);
    retry.ok();
    let second = sms(&env, &config, &["send"]);
    assert_eq!(second.ok().trim(), "1 SMS envoyé(s).");
    let received = got.lock().expect("lock").clone();
    assert_eq!(received.len(), 2);
    let (auth, content_type, body) = &received[1];
    assert_eq!(auth, "Bearer s3cret-jeton");
    assert_eq!(content_type, "application/json");
    let body: serde_json::Value = serde_json::from_str(body).expect("the template stays JSON");
    assert_eq!(body["to"], E164);
    assert_eq!(body["sender"], "SESAME");
    let code = code_in(body["message"].as_str().expect("message"));

    // Security: never the code in the operator's output or logs, nor at
    // rest once sent.
    for run in [&first, &retry, &second] {
        assert!(!run.stdout().contains(&code) && !run.stderr().contains(&code));
    }
    let list = sms(&env, &config, &["list"]).ok();
    assert!(list.contains("sent") && !list.contains(&code), "{list}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM sms_outbox WHERE text <> '' OR recipient <> ''")
            .await,
        0
    );

    // The parent goes on with the code received.
    let (status, location, _) = type_code(&s.client, &s.url, &code).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/premiere-visite/sms/enfant")
    );
    let (status, location, _) = submit(
        &s.client,
        &s.url,
        "/premiere-visite/sms/enfant",
        &[("prenom", "ZOÉ"), ("naissance", "14/03/2015")],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/premiere-visite/sms/compte")
    );
    let (status, location, _) = submit(
        &s.client,
        &s.url,
        "/premiere-visite/sms/compte",
        &[
            ("identifiant", "anais.http"),
            ("password", NEW_PASSWORD),
            ("password2", NEW_PASSWORD),
            ("email", "anais@example.org"),
            ("email2", "anais@example.org"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/premiere-visite/sms/compte-cree")
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM account_pupils ap JOIN accounts a ON a.id = ap.account_id WHERE a.identifiant = 'anais.http' AND a.state = 'active'")
            .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_by_the_provider_is_final_and_erases_the_message() {
    let env = TestEnv::new();
    family(&env);
    let (port, got) = provider(&[400]).await;
    let config = http_config(&env, port);
    let s = sms_server(&env, None).await;
    assert_eq!(ask_code(&s.client, &s.url, MOBILE).await.0, 303);
    assert_eq!(
        sms(&env, &config, &["send"]).ok().trim(),
        "0 SMS envoyé(s)."
    );
    assert_eq!(got.lock().expect("lock").len(), 1);
    let list = sms(&env, &config, &["list", "--json"]).ok();
    let rows: serde_json::Value = serde_json::from_str(&list).expect("json");
    assert_eq!(rows[0]["state"], "failed");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM sms_outbox WHERE text <> '' OR recipient <> ''")
            .await,
        0,
        "given up, the code is erased"
    );
    let id = rows[0]["id"].to_string();
    let err = sms(&env, &config, &["retry", &id]).fails_with(4);
    assert!(err.contains("new code"), "{err}");
    assert_eq!(
        sms(&env, &config, &["send"]).ok().trim(),
        "0 SMS envoyé(s)."
    );
    assert_eq!(got.lock().expect("lock").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_provider_configuration_is_refused_with_its_key() {
    let env = TestEnv::new();
    let file = env.write(
        "bad.toml",
        "[sms]\ntransport = \"http\"\n[sms.http]\nurl = \"http://127.0.0.1:9/\"\nbody_template = \"to={to}\"\n",
    );
    let err = env
        .sesame_with(
            &["check-config"],
            &[("SESAME_CONFIG", file.to_str().expect("utf8"))],
        )
        .fails_with(3);
    assert!(
        err.contains("sms.http.body_template") && err.contains("{text}"),
        "{err}"
    );
}
