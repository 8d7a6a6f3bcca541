//! Interoperability: `python-cas` (PyPI), a CAS client the project did not
//! write, builds the login URL, validates the ticket through
//! `/p3/serviceValidate` and parses Sésame's single-logout request.
//! `.ci/run` installs it (`pip install python-cas`).

use crate::support::fixtures::{ENT as SERVICE, now_clock, pupil_account};
use crate::support::{CAMILLE, TestEnv, TestServer, log_in};

fn python(args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/interop/python_cas.py"
    );
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 must be installed");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("python");
    assert!(
        out.status.success(),
        "python-cas (pip install python-cas; .ci/run installs it) failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn python_cas_logs_in_validates_and_reads_single_logout() {
    let env = TestEnv::new();
    env.write(
        "services/ent.toml",
        "id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[attributes]\nlast_name = \"sn\"\nuai = \"ENTPersonStructRattach\"\n[cas]\nservice_urls = [\"https://app.ent.fr/cas/\"]\n",
    );
    let s = pupil_account(&env, now_clock(), 1000).await;
    let server = format!("{}/cas/", s.url);
    let login_url = tokio::task::spawn_blocking({
        let server = server.clone();
        move || python(&["login-url", &server, SERVICE], None)
    })
    .await
    .expect("join");
    assert!(
        login_url.starts_with(&format!("{server}login?service=")),
        "{login_url}"
    );

    // The browser part: the login URL the client built, then credentials.
    let c = TestServer::browser();
    let r = c.get(&login_url).send().await.expect("get");
    assert_eq!(r.status(), 303);
    let r = log_in(&c, &s.url, &CAMILLE, &[("service", SERVICE)]).await;
    let location = r.headers()["location"].to_str().expect("ascii").to_owned();
    let ticket = location.split("ticket=").nth(1).expect("ticket").to_owned();

    let verify = |t: String| {
        let server = server.clone();
        tokio::task::spawn_blocking(move || python(&["verify", &server, SERVICE, &t], None))
    };
    let v: serde_json::Value =
        serde_json::from_str(&verify(ticket.clone()).await.expect("join")).expect("JSON");
    assert_eq!(v["user"], "camille.martin", "{v}");
    assert_eq!(v["attributes"]["sn"], "MARTIN", "{v}");
    assert_eq!(v["attributes"]["ENTPersonStructRattach"], "0999001W", "{v}");
    assert_eq!(v["attributes"]["isFromNewLogin"], "true", "{v}");
    let again: serde_json::Value =
        serde_json::from_str(&verify(ticket.clone()).await.expect("join")).expect("JSON");
    assert!(again["user"].is_null(), "a ticket is single use: {again}");

    // SAML 1.1 validation, with python-cas's own SAML client.
    let r = c.get(&login_url).send().await.expect("get");
    let location = r.headers()["location"].to_str().expect("ascii").to_owned();
    let t2 = location
        .split("ticket=")
        .nth(1)
        .expect("SSO ticket")
        .to_owned();
    let saml = tokio::task::spawn_blocking({
        let server = server.clone();
        move || python(&["saml-verify", &server, SERVICE, &t2], None)
    })
    .await
    .expect("join");
    let v: serde_json::Value = serde_json::from_str(&saml).expect("JSON");
    assert_eq!(v["user"], "camille.martin", "{v}");
    assert_eq!(v["attributes"]["sn"], "MARTIN", "{v}");

    let request =
        sesame_service::cas::slo::logout_request(&ticket, time::OffsetDateTime::now_utc());
    let slos = tokio::task::spawn_blocking({
        let server = server.clone();
        move || python(&["slo", &server, SERVICE], Some(&request))
    })
    .await
    .expect("join");
    assert_eq!(slos, format!("[\"{ticket}\"]"));
}
