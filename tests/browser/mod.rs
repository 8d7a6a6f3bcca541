//! Journeys in a real browser: Debian's headless Chromium driven through
//! chromedriver (WebDriver), with a screenshot of each page under
//! `target/screenshots/`: the parent journey from the profile screen to the
//! first login (`parent-journey/`), a third-party OpenID Connect
//! télé-service asking for consent (`oidc-consent/`), and the main pages
//! on phones at 320 and 360 px (`phones/`).

use crate::support::fixtures::{UPSTREAM_SECRET, now_clock, pupil_account, pupil_account_with};
use crate::support::{PASSWORD, TestEnv, TestServer, UAI, link_in, outbox};
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// chromedriver on a free port, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub(crate) fn start() -> Self {
        let port = crate::support::free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver) must be installed: .ci/run installs it");
        Self {
            child,
            port,
            _profile: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub(crate) async fn connect(&self) -> Client {
        let profile = self._profile.path().display().to_string();
        let caps = serde_json::json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--disable-dev-shm-usage",
                    format!("--user-data-dir={profile}"),
                    "--window-size=420,1600", "--lang=fr-FR",
                ],
                // Headless Chromium sends `Accept-Language: en-US` whatever
                // `--lang` says: the journeys here are the French ones.
                "prefs": { "intl": { "accept_languages": "fr-FR,fr" } }
            }
        });
        let caps = caps.as_object().expect("object").clone();
        let url = format!("http://127.0.0.1:{}", self.port);
        let mut last = None;
        for _ in 0..50 {
            let mut b =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            b.capabilities(caps.clone());
            match b.connect(&url).await {
                Ok(c) => return c,
                Err(e) => last = Some(e.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("chromedriver did not start: {last:?}");
    }
}

pub(super) struct Shots {
    dir: PathBuf,
    n: u32,
}

impl Shots {
    pub(super) fn new(journey: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/screenshots")
            .join(journey);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        Self { dir, n: 0 }
    }

    pub(super) async fn take(&mut self, c: &Client, name: &str) {
        self.n += 1;
        let png = c.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(self.dir.join(format!("{:02}-{name}.png", self.n)), png).expect("write");
    }
}

pub(super) async fn fill(c: &Client, id: &str, value: &str) {
    let e = c
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

/// The page's source once it contains `marker` (a click that submits a
/// form may return before the next page has loaded).
pub(super) async fn wait_for(c: &Client, marker: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        last = c.source().await.expect("source");
        if last.contains(marker) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed {marker:?}: {last}");
}

/// Camille's pupil account on a server whose services folder holds
/// `service` (file name, content); a Chromium session on it.
pub(super) async fn pupil_in_chromium(service: (&str, String)) -> (TestEnv, TestServer, Driver) {
    let env = TestEnv::new();
    env.write(service.0, service.1);
    let s = pupil_account(&env, now_clock(), 1000).await;
    (env, s, Driver::start())
}

/// On the profile screen: chooses `profile`, then "Valider".
pub(super) async fn choose_profile(c: &Client, profile: &str) {
    wait_for(c, "Vous souhaitez vous connecter avec le profil").await;
    c.find(Locator::Css(&format!("input[value={profile}]")))
        .await
        .expect("profile")
        .click()
        .await
        .expect("click");
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .expect("valider")
        .click()
        .await
        .expect("click");
}

/// On the login page: submits the form.
pub(super) async fn submit_login(c: &Client) {
    c.find(Locator::Css(
        "form[action='/connexion'] button[type=submit]",
    ))
    .await
    .expect("se connecter")
    .click()
    .await
    .expect("click");
}

/// The browser's address once it starts with `prefix` (a service on
/// another origin, where nothing listens: the address is what counts).
pub(super) async fn wait_for_url(c: &Client, prefix: &str) -> url::Url {
    for _ in 0..100 {
        let u = c.current_url().await.expect("url");
        if u.as_str().starts_with(prefix) {
            return u;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser never reached {prefix}");
}

pub(crate) mod axe;
mod journeys;
mod phones;
