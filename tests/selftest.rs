//! `sesame selftest` against live servers, as a deployer runs it after an
//! install: a sound deployment passes every check; a misconfigured one
//! fails on exactly the check that names its fault, and the command exits
//! non-zero.

use crate::support::fixtures::{
    CALLBACK, PASSWORD, SECRET, camille_code, register_cas_services, register_oidc_clients,
    sign_up_camille,
};
use crate::support::{TestEnv, TestServer, proxy};
use std::collections::BTreeSet;

/// A server with the `teleservice` client, the `ent` CAS service and
/// Camille's pupil account, whose public URL is `http://{host}:{port}/`
/// where `port` is the server's own, or `public_port` when given (a proxy
/// in front).
async fn deployment(env: &TestEnv, host: &str, public_port: Option<u16>) -> TestServer {
    register_oidc_clients(env, &[]).await;
    register_cas_services(env);
    let code = camille_code(env);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = public_port.unwrap_or(listener.local_addr().expect("addr").port());
    let public = format!("http://{host}:{port}/");
    let s = TestServer::spawn_on(
        env,
        listener,
        "127.0.0.1",
        std::sync::Arc::new(sesame_domain::SystemClock),
        |c| c.server.public_url = public.parse().expect("url"),
    )
    .await;
    sign_up_camille(&s.client, &s.url, &code, PASSWORD).await;
    s
}

/// Runs `sesame selftest --json` against `url` with the test client, the
/// `ent` service and Camille (`redirect_uri` as given); answers the exit
/// code and the checks by status.
async fn selftest(env: &TestEnv, url: &str, redirect_uri: &str) -> (i32, serde_json::Value) {
    let secret = env.write("selftest/client-secret", format!("{SECRET}\n"));
    let password = env.write("selftest/password", format!("{PASSWORD}\n"));
    let args: Vec<String> = [
        "selftest",
        "--json",
        "--url",
        url,
        "--client-id",
        "teleservice",
        "--client-secret-file",
        secret.to_str().expect("utf8"),
        "--redirect-uri",
        redirect_uri,
        "--cas-service",
        "https://app.ent.fr/cas/",
        "--identifiant",
        "camille.martin",
        "--password-file",
        password.to_str().expect("utf8"),
    ]
    .map(str::to_owned)
    .to_vec();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // The command runs while this test's server answers on the runtime.
    let run = tokio::task::block_in_place(|| env.sesame(&args));
    let out = run.stdout();
    let report: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON report ({e}): {out}"));
    (run.code(), report)
}

fn with_status(report: &serde_json::Value, status: &str) -> BTreeSet<String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["status"] == status)
        .map(|c| c["name"].as_str().expect("name").to_owned())
        .collect()
}

/// Every check a sound deployment on http://127.0.0.1 passes (TLS and
/// HSTS are skipped on loopback http).
const ALL: [&str; 22] = [
    "readyz",
    "headers.content-security-policy",
    "headers.x-content-type-options",
    "headers.x-frame-options",
    "headers.referrer-policy",
    "headers.cache-control",
    "discovery.document",
    "discovery.issuer",
    "discovery.endpoints",
    "jwks",
    "discovery.algorithms",
    "oidc.authorize",
    "oidc.token",
    "oidc.id_token",
    "oidc.userinfo",
    "oidc.refresh",
    "oidc.revocation",
    "cas.login",
    "cas.validate",
    "cas.replay",
    "cookies",
    "tls",
];

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sound_deployment_passes_every_check() {
    let env = TestEnv::new();
    let s = deployment(&env, "127.0.0.1", None).await;
    let (code, report) = selftest(&env, &s.url, CALLBACK).await;
    assert_eq!(with_status(&report, "fail"), BTreeSet::new(), "{report:#}");
    let mut passed = set(&ALL);
    passed.remove("tls");
    assert_eq!(with_status(&report, "ok"), passed, "{report:#}");
    assert_eq!(
        with_status(&report, "skip"),
        set(&["tls", "headers.strict-transport-security"])
    );
    assert_eq!(code, 0);
    assert_eq!(report["failed"], 0);
    // The flows really ran: Camille's CAS user, one refresh family revoked.
    let cas = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "cas.validate")
        .expect("cas.validate");
    assert!(
        cas["detail"]
            .as_str()
            .expect("detail")
            .contains("camille.martin"),
        "{cas}"
    );
    assert!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_succeeded'")
            .await
            >= 1
    );
}

// A public URL that is not the one the deployment is reached at: only the
// issuer check fails (the endpoints published still answer).
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_issuer_fails_the_issuer_check_only() {
    let env = TestEnv::new();
    let s = deployment(&env, "localhost", None).await;
    let (code, report) = selftest(&env, &s.url, CALLBACK).await;
    assert_eq!(
        with_status(&report, "fail"),
        set(&["discovery.issuer"]),
        "{report:#}"
    );
    assert_eq!(code, 1);
    assert_eq!(report["failed"], 1);
}

// A redirect URI the client did not register: the authorization fails,
// the steps after it are not run, nothing else fails.
#[tokio::test(flavor = "multi_thread")]
async fn an_unregistered_redirect_uri_fails_the_authorization_only() {
    let env = TestEnv::new();
    let s = deployment(&env, "127.0.0.1", None).await;
    let (code, report) = selftest(&env, &s.url, "https://app.exemple.fr/ailleurs").await;
    assert_eq!(
        with_status(&report, "fail"),
        set(&["oidc.authorize"]),
        "{report:#}"
    );
    for step in [
        "oidc.token",
        "oidc.id_token",
        "oidc.userinfo",
        "oidc.refresh",
        "oidc.revocation",
    ] {
        assert!(with_status(&report, "skip").contains(step), "{step}");
    }
    assert!(with_status(&report, "ok").contains("cas.replay"));
    assert_eq!(code, 1);
}

// A reverse proxy that loses a security header: that header's check
// fails, nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_dropping_a_security_header_fails_that_header_only() {
    let env = TestEnv::new();
    let front = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = front.local_addr().expect("addr").port();
    let s = deployment(&env, "127.0.0.1", Some(port)).await;
    proxy::start_dropping(front, s.url.clone(), "x-content-type-options").await;
    let (code, report) = selftest(&env, &format!("http://127.0.0.1:{port}"), CALLBACK).await;
    assert_eq!(
        with_status(&report, "fail"),
        set(&["headers.x-content-type-options"]),
        "{report:#}"
    );
    assert_eq!(code, 1);
}

// Without a client, a service or an account, the checks that need them
// say so and are not run; the human report names each check.
#[tokio::test(flavor = "multi_thread")]
async fn checks_that_need_credentials_are_skipped_and_say_why() {
    let env = TestEnv::new();
    let s = deployment(&env, "127.0.0.1", None).await;
    let run = tokio::task::block_in_place(|| env.sesame(&["selftest", "--url", &s.url]));
    let out = run.ok();
    assert!(out.contains("ok    discovery.issuer"), "{out}");
    assert!(out.contains("—     oidc.authorize"), "{out}");
    assert!(out.contains("--client-id"), "{out}");
    assert!(out.contains("0 en échec"), "{out}");
    // A missing secret file is a clear refusal, not a crash.
    let run = tokio::task::block_in_place(|| {
        env.sesame(&[
            "selftest",
            "--url",
            &s.url,
            "--identifiant",
            "camille.martin",
            "--password-file",
            "/nonexistent/password",
        ])
    });
    assert_eq!(run.code(), 4);
    assert!(run.stderr().contains("--password-file"), "{}", run.stderr());
}
