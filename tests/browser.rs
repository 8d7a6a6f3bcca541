//! Journeys in a real browser: Debian's headless Chromium driven through
//! chromedriver (WebDriver), with a screenshot of each page under
//! `target/screenshots/`: the parent journey from the profile screen to the
//! first login (`parent-journey/`), a third-party OpenID Connect
//! télé-service asking for consent (`oidc-consent/`), and the main pages
//! on phones at 320 and 360 px (`phones/`).

use crate::support::fixtures::{now_clock, pupil_account};
use crate::support::{PASSWORD, TestEnv, TestServer, UAI, link_in, outbox};
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// chromedriver on a free port, stopped when dropped.
struct Driver {
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
    fn start() -> Self {
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

    async fn connect(&self) -> Client {
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

struct Shots {
    dir: PathBuf,
    n: u32,
}

impl Shots {
    fn new(journey: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/screenshots")
            .join(journey);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        Self { dir, n: 0 }
    }

    async fn take(&mut self, c: &Client, name: &str) {
        self.n += 1;
        let png = c.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(self.dir.join(format!("{:02}-{name}.png", self.n)), png).expect("write");
    }
}

async fn fill(c: &Client, id: &str, value: &str) {
    let e = c
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

/// The page's source once it contains `marker` (a click that submits a
/// form may return before the next page has loaded).
async fn wait_for(c: &Client, marker: &str) -> String {
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
async fn pupil_in_chromium(service: (&str, String)) -> (TestEnv, TestServer, Driver) {
    let env = TestEnv::new();
    env.write(service.0, service.1);
    let s = pupil_account(&env, now_clock(), 1000).await;
    (env, s, Driver::start())
}

/// On the profile screen: chooses `profile`, then "Valider".
async fn choose_profile(c: &Client, profile: &str) {
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
async fn submit_login(c: &Client) {
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
async fn wait_for_url(c: &Client, prefix: &str) -> url::Url {
    for _ in 0..100 {
        let u = c.current_url().await.expect("url");
        if u.as_str().starts_with(prefix) {
            return u;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser never reached {prefix}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parent_goes_from_the_profile_screen_to_the_first_login_in_chromium() {
    let env = TestEnv::new();
    env.import_samples();
    let out = env
        .sesame(&["codes", "generate", "--uai", UAI, "--out", "lettres"])
        .ok();
    // Olivier MARTIN's codes, in the order his letter prints them.
    let olivier: Vec<String> = out
        .split("Olivier MARTIN")
        .nth(1)
        .expect("Olivier's letter")
        .lines()
        .skip(1)
        .take(2)
        .map(|l| l.split_whitespace().last().expect("code").to_owned())
        .collect();
    let s = TestServer::spawn(&env, |_| {}).await;
    let driver = Driver::start();
    let c = driver.connect().await;
    let mut shots = Shots::new("parent-journey");

    c.goto(&format!("{}/", s.url)).await.expect("goto");
    wait_for(&c, "Vous souhaitez vous connecter avec le profil").await;
    shots.take(&c, "profil").await;
    choose_profile(&c, "parent").await;
    wait_for(&c, "Profil choisi").await;
    shots.take(&c, "connexion").await;

    c.find(Locator::LinkText("créez votre compte"))
        .await
        .expect("première visite")
        .click()
        .await
        .expect("click");
    wait_for(&c, "Création de votre compte responsable").await;
    shots.take(&c, "creation-compte").await;

    fill(&c, "prenom_0", "jean-baptiste").await;
    fill(&c, "naissance_0", "03/02/2011").await;
    fill(&c, "code_0", &olivier[0].to_lowercase()).await;
    fill(&c, "prenom_1", "Camille").await;
    fill(&c, "naissance_1", "16/06/2013").await;
    fill(&c, "code_1", &olivier[1]).await;
    // "ajoutez un enfant" works without JavaScript and keeps what was typed.
    c.find(Locator::Css("button[value=ajouter]"))
        .await
        .expect("ajoutez")
        .click()
        .await
        .expect("click");
    wait_for(&c, "id=\"prenom_3\"").await; // a fourth row
    let kept = c
        .find(Locator::Id("prenom_1"))
        .await
        .expect("row 2")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some("Camille"));
    // The new row has the focus (issue 17 §4).
    let focused = c
        .active_element()
        .await
        .expect("focus")
        .attr("id")
        .await
        .expect("id");
    assert_eq!(focused.as_deref(), Some("prenom_3"));
    // A joint account and back: a button of the form, values kept.
    for (kind, marker) in [
        ("joint", "id=\"autre_0\""),
        ("personnel", "(compte personnel)"),
    ] {
        c.find(Locator::Css(&format!("button[value={kind}]")))
            .await
            .expect("switch")
            .click()
            .await
            .expect("click");
        wait_for(&c, marker).await;
        let kept = c
            .find(Locator::Id("code_1"))
            .await
            .expect("row 2")
            .prop("value")
            .await
            .expect("value");
        assert_eq!(kept.as_deref(), Some(olivier[1].as_str()), "{kind}");
    }
    fill(&c, "identifiant", "olivier.martin").await;
    fill(&c, "password", PASSWORD).await;
    fill(&c, "password2", PASSWORD).await;
    fill(&c, "email", "olivier.martin@example.org").await;
    fill(&c, "email2", "olivier.martin@example.org").await;
    shots.take(&c, "formulaire-rempli").await;
    c.find(Locator::Css("button[value=creer]:not(.defaut)"))
        .await
        .expect("créer")
        .click()
        .await
        .expect("click");
    wait_for(&c, "Votre compte est créé : confirmez-le").await;
    shots.take(&c, "compte-cree").await;

    let link = outbox(&env)
        .await
        .into_iter()
        .find(|(_, subject, _)| subject.contains("confirmez"))
        .map(|(_, _, text)| link_in(&text, "/confirmation"))
        .expect("confirmation mail");
    c.goto(&format!("{}{link}", s.url)).await.expect("goto");
    wait_for(&c, "Confirmer mon compte").await;
    shots.take(&c, "lien-confirmation").await;
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .expect("confirmer")
        .click()
        .await
        .expect("click");
    wait_for(&c, "Votre compte est confirmé").await;
    shots.take(&c, "compte-confirme").await;

    c.find(Locator::LinkText("Se connecter"))
        .await
        .expect("lien")
        .click()
        .await
        .expect("click");
    wait_for(&c, "Profil choisi").await;
    fill(&c, "identifiant", "Olivier.Martin").await;
    fill(&c, "password", PASSWORD).await;
    shots.take(&c, "premiere-connexion").await;
    submit_login(&c).await;
    let home = wait_for(&c, "Bonjour olivier.martin").await;
    assert!(
        home.contains("Camille MARTIN") && home.contains("Jean-Baptiste MARTIN"),
        "{home}"
    );
    shots.take(&c, "accueil").await;
    c.close().await.expect("close");
    assert_eq!(std::fs::read_dir(&shots.dir).expect("dir").count(), 9);
}

// A third-party télé-service (OpenID Connect, consent required): from its
// authorization request through the profile choice, the login (identifiant
// pre-filled by `login_hint`) and the consent page, back to the service
// with a code that the test redeems.
#[tokio::test(flavor = "multi_thread")]
async fn a_pupil_consents_to_a_third_party_service_in_chromium() {
    use sha2::Digest;
    let callback = format!("http://127.0.0.1:{}/callback", crate::support::free_port());
    let (env, s, driver) = pupil_in_chromium((
        "services/tiers.toml",
        format!("id = \"tiers\"\nname = \"Orientation en ligne\"\nprotocol = \"oidc\"\n[oidc]\nclient_id = \"tiers\"\nredirect_uris = [\"{callback}\"]\nscopes = [\"openid\", \"profile\"]\nconsent = true\n"),
    ))
    .await;
    let c = driver.connect().await;
    let mut shots = Shots::new("oidc-consent");

    let verifier = "a-verifier-for-the-browser-journey-0123456789";
    let challenge = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        sha2::Sha256::digest(verifier.as_bytes()),
    );
    let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    c.goto(&format!(
        "{}/oidc/authorize?client_id=tiers&redirect_uri={}&response_type=code&scope=openid%20profile&state=etat-42&code_challenge={challenge}&code_challenge_method=S256&login_hint=camille.martin",
        s.url,
        enc(&callback)
    ))
    .await
    .expect("goto");
    wait_for(&c, "Vous souhaitez vous connecter avec le profil").await;
    shots.take(&c, "profil").await;
    choose_profile(&c, "eleve").await;
    let page = wait_for(&c, "Profil choisi").await;
    assert!(
        page.contains("value=\"camille.martin\""),
        "login_hint pre-fills"
    );
    fill(&c, "password", PASSWORD).await;
    shots.take(&c, "connexion").await;
    submit_login(&c).await;
    let consent = wait_for(&c, "Autoriser « Orientation en ligne » ?").await;
    assert!(consent.contains("connaître vos nom, prénom et identifiant"));
    shots.take(&c, "consentement").await;
    c.find(Locator::Css("button[value=autoriser]"))
        .await
        .expect("autoriser")
        .click()
        .await
        .expect("click");
    let back = wait_for_url(&c, &callback).await;
    let q: Vec<(String, String)> = back.query_pairs().into_owned().collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("state").as_deref(), Some("etat-42"));
    assert_eq!(get("iss").as_deref(), Some("http://localhost"));
    let code = get("code").expect("code");
    c.close().await.expect("close");

    let r = TestServer::browser()
        .post(format!("{}/oidc/token", s.url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", callback.as_str()),
            ("code_verifier", verifier),
            ("client_id", "tiers"),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 200);
    let tokens: serde_json::Value = r.json().await.expect("JSON");
    let info: serde_json::Value = TestServer::browser()
        .get(format!("{}/oidc/userinfo", s.url))
        .bearer_auth(tokens["access_token"].as_str().expect("at"))
        .send()
        .await
        .expect("userinfo")
        .json()
        .await
        .expect("JSON");
    assert_eq!(info["given_name"], "Camille");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM oidc_consents WHERE client_id = 'tiers'")
            .await,
        1
    );
    assert_eq!(std::fs::read_dir(&shots.dir).expect("dir").count(), 3);
}

// A CAS service on another origin: its login link → profile → password →
// back at the service with a ticket (the form's redirect to another origin
// is what a browser's `form-action` would stop), validated by the test.
#[tokio::test(flavor = "multi_thread")]
async fn a_pupil_logs_in_to_a_cas_service_in_chromium() {
    let service = format!("http://127.0.0.1:{}/ent/", crate::support::free_port());
    let (_env, s, driver) = pupil_in_chromium((
        "services/ent.toml",
        format!("id = \"ent\"\nname = \"ENT\"\nprotocol = \"cas\"\n[attributes]\nidentifiant = \"uid\"\n[cas]\nservice_urls = [\"{service}\"]\n"),
    ))
    .await;
    let c = driver.connect().await;
    let mut shots = Shots::new("cas-login");
    let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    c.goto(&format!("{}/cas/login?service={}", s.url, enc(&service)))
        .await
        .expect("goto");
    choose_profile(&c, "eleve").await;
    wait_for(&c, "Profil choisi").await;
    fill(&c, "identifiant", "camille.martin").await;
    fill(&c, "password", PASSWORD).await;
    shots.take(&c, "connexion").await;
    submit_login(&c).await;
    let back = wait_for_url(&c, &service).await;
    c.close().await.expect("close");
    let ticket = back
        .query_pairs()
        .find(|(k, _)| k == "ticket")
        .map(|(_, v)| v.into_owned())
        .expect("ticket");
    let xml = TestServer::browser()
        .get(format!(
            "{}/cas/p3/serviceValidate?ticket={ticket}&service={}",
            s.url,
            enc(&service)
        ))
        .send()
        .await
        .expect("validate")
        .text()
        .await
        .expect("body");
    assert!(xml.contains("<cas:user>camille.martin</cas:user>"), "{xml}");
}

/// What a phone shows of the current page: (scroll width, client width,
/// the links and buttons smaller than 44 × 44 px). Hidden elements (the
/// skip link until focused, the form's default button) are not targets.
async fn phone_check(c: &Client) -> (u64, u64, Vec<String>) {
    let v = c
        .execute(
            r#"
const d = document.documentElement;
const small = [];
for (const e of document.querySelectorAll('a, button')) {
  const r = e.getBoundingClientRect();
  const s = getComputedStyle(e);
  if (r.width < 2 || r.height < 2 || r.bottom <= 0 || s.visibility === 'hidden'
      || s.display === 'none' || e.closest('[aria-hidden=true]')) continue;
  if (r.width < 44 || r.height < 44) {
    small.push(e.textContent.trim().slice(0, 40) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
  }
}
return [Math.max(d.scrollWidth, document.body.scrollWidth), d.clientWidth, small];
"#,
            vec![],
        )
        .await
        .expect("script");
    let scroll = v[0].as_u64().expect("scroll width");
    let client = v[1].as_u64().expect("client width");
    let small = v[2]
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s.as_str().expect("text").to_owned())
        .collect();
    (scroll, client, small)
}

/// Whether the element `css` is shown with a size (not visually hidden).
async fn shown(c: &Client, css: &str) -> bool {
    let v = c
        .execute(
            "const e = document.querySelector(arguments[0]); if (!e) return false; const r = e.getBoundingClientRect(); return r.width > 2 && r.height > 2;",
            vec![serde_json::json!(css)],
        )
        .await
        .expect("script");
    v.as_bool().expect("bool")
}

/// Submits the parent sign-up form with its visible « Créer mon compte ».
async fn submit_parent_signup(c: &Client) {
    c.find(Locator::Css("button[value=creer]:not(.defaut)"))
        .await
        .expect("créer mon compte")
        .click()
        .await
        .expect("click");
}

// Issue 17: at 320 and 360 px no page scrolls sideways (WCAG 1.4.10), the
// links and buttons are at least 44 × 44 px, the children table becomes
// cards with their labels shown, and a failed submit focuses the summary.
#[tokio::test(flavor = "multi_thread")]
async fn the_main_pages_fit_a_phone_in_chromium() {
    let env = TestEnv::new();
    let s = pupil_account(&env, now_clock(), 1000).await;
    let driver = Driver::start();
    let c = driver.connect().await;
    let mut shots = Shots::new("phones");
    let url = |p: &str| format!("{}{p}", s.url);

    // Camille logged in, for the account page.
    c.goto(&url("/connexion?profil=eleve")).await.expect("goto");
    fill(&c, "identifiant", "camille.martin").await;
    fill(&c, "password", PASSWORD).await;
    submit_login(&c).await;
    wait_for(&c, "Bonjour").await;

    let pages = [
        ("profil", "/profil"),
        ("connexion-parent", "/connexion?profil=parent"),
        ("connexion-eleve", "/connexion?profil=eleve"),
        ("parent-personnel", "/premiere-visite/parent"),
        ("parent-joint", "/premiere-visite/parent?compte=joint"),
        ("eleve", "/premiere-visite/eleve"),
        ("compte", "/compte"),
        ("accessibilite", "/accessibilite"),
        ("mentions-legales", "/mentions-legales"),
        ("donnees-personnelles", "/donnees-personnelles"),
        ("aide", "/aide"),
        ("introuvable", "/nulle-part"),
    ];
    let mut failures = Vec::new();
    for width in [320u64, 360] {
        c.set_window_size(width as u32, 900).await.expect("resize");
        let check = |name: String, (scroll, client, small): (u64, u64, Vec<String>)| {
            let mut f = Vec::new();
            if client > width {
                f.push(format!("{name}: the viewport is {client} px, not {width}"));
            }
            if scroll > client {
                f.push(format!("{name}: {scroll} px wide in {client} px"));
            }
            if !small.is_empty() {
                f.push(format!("{name}: small targets {small:?}"));
            }
            f
        };
        for (name, path) in pages {
            c.goto(&url(path)).await.expect("goto");
            wait_for(&c, "</footer>").await;
            let name = format!("{width}-{name}");
            shots.take(&c, &name).await;
            failures.extend(check(name, phone_check(&c).await));
        }

        // The children table as cards: every field with its label shown,
        // inside the screen.
        c.goto(&url("/premiere-visite/parent?compte=joint"))
            .await
            .expect("goto");
        wait_for(&c, "</footer>").await;
        for id in ["prenom_0", "naissance_0", "code_0", "autre_0"] {
            assert!(
                shown(&c, &format!("label[for={id}]")).await,
                "{width} px: the label of #{id} is shown"
            );
        }

        // Failed submits, personal and joint: the summary is focused.
        for (name, path) in [
            ("parent-personnel-erreurs", "/premiere-visite/parent"),
            (
                "parent-joint-erreurs",
                "/premiere-visite/parent?compte=joint",
            ),
        ] {
            c.goto(&url(path)).await.expect("goto");
            wait_for(&c, "</footer>").await;
            fill(&c, "prenom_0", "Jean-Baptiste").await;
            fill(&c, "naissance_0", "03/02/2011").await;
            fill(&c, "code_0", "ABCD-EFGH-JKLMN-PQRST").await;
            fill(&c, "identifiant", "x").await;
            submit_parent_signup(&c).await;
            wait_for(&c, "resume-erreurs").await;
            let focused = c
                .execute("return document.activeElement.id;", vec![])
                .await
                .expect("script");
            assert_eq!(
                focused, "erreurs",
                "{width} px {name}: focus on the summary"
            );
            let name = format!("{width}-{name}");
            shots.take(&c, &name).await;
            failures.extend(check(name, phone_check(&c).await));
        }
    }
    c.close().await.expect("close");
    assert!(failures.is_empty(), "{failures:#?}");
}
