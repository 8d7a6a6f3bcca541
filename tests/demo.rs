//! `sesame demo` end to end: the real binary, its sample school and codes,
//! a pupil account created with a printed code, and the demonstration
//! télé-service logging in through CAS over HTTP.

use crate::support::fixtures::{pupil_code, sign_up_camille};
use crate::support::{CAMILLE, PASSWORD, TestEnv, TestServer, free_port, log_in};
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_service_logs_in_through_cas_and_shows_the_validation() {
    let env = TestEnv::new();
    let port = free_port();
    let mut child = env
        .command()
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("SESAME__PASSWORD__ARGON2_MEMORY_KIB", "8192")
        .env("SESAME__PASSWORD__ARGON2_ITERATIONS", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn sesame demo");
    let stdout = child.stdout.take().expect("stdout");
    let _demo = Demo(child);
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("line");
            let done = line.starts_with("Arrêt");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    })
    .await
    .expect("demo output");
    let out = lines.join("\n");
    assert!(
        out.contains(&format!("http://127.0.0.1:{port}/demo/")),
        "{out}"
    );
    let code = pupil_code(&out, "Camille MARTIN");
    let base = format!("http://127.0.0.1:{port}");
    let c = TestServer::browser();
    let deadline = Instant::now() + Duration::from_secs(30);
    while c
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
        != 200
    {
        assert!(Instant::now() < deadline, "the demo never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A pupil account, with the code the demo printed.
    sign_up_camille(&c, &base, &code, PASSWORD).await;

    // The demo service sends the browser to CAS…
    let html = c
        .get(format!("{base}/demo/"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let login = html
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap_or_default())
        .find(|h| h.starts_with("/cas/login"))
        .expect("a CAS login link")
        .replace("&amp;", "&");
    let r = c.get(format!("{base}{login}")).send().await.expect("get");
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    let service = to.split_once("service=").expect("service").1.to_owned();
    let service = url::form_urlencoded::parse(format!("s={service}").as_bytes())
        .next()
        .expect("service")
        .1
        .into_owned();
    let r = log_in(&c, &base, &CAMILLE, &[("service", &service)]).await;
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(
        back.starts_with(&format!("{base}/demo/?ticket=ST-")),
        "{back}"
    );
    // …and shows what its validation received.
    let page = c
        .get(&back)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(page.contains("Connecté : camille.martin"), "{page}");
    assert!(
        page.contains("cas:authenticationSuccess") && page.contains("0999001W"),
        "{page}"
    );
}
