//! axe-core in Chromium on the French and English pages (issue 17, item
//! 8): every page family — the OpenID Connect consent page and an upstream
//! provider's « indisponible » page included — and its failed-submit
//! state, at 360 and 1280 px, with no violation; screenshots in
//! `target/screenshots/{fr,en}/`. `axe.min.js` comes from the axe-core npm package, fetched by
//! `.ci/run` into `target/axe/` (or named by `SESAME_AXE_JS`), and is
//! injected through the WebDriver session.

use super::*;

/// The axe-core script.
pub(crate) fn axe_source() -> String {
    let path = std::env::var_os("SESAME_AXE_JS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/axe/axe.min.js"),
        PathBuf::from,
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}. .ci/run fetches axe-core (npm pack axe-core) into target/axe/",
            path.display()
        )
    })
}

/// The violations axe-core finds in the current page: "rule: targets".
pub(crate) async fn violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(axe, vec![]).await.expect("inject axe-core");
    let v = c
        .execute_async(
            r#"
const done = arguments[arguments.length - 1];
axe.run(document).then(
  r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))),
  e => done(['axe failed: ' + e]));
"#,
            vec![],
        )
        .await
        .expect("axe.run");
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// What differs between the languages: the code, and words the pages show.
struct Lang {
    code: &'static str,
    hello: &'static str,
    error_title: &'static str,
    consent: &'static str,
    unavailable: &'static str,
}

const FRENCH: Lang = Lang {
    code: "fr",
    hello: "Bonjour camille.martin",
    error_title: "<title>Erreur : ",
    consent: "Autoriser « Orientation en ligne » ?",
    unavailable: "Service de connexion indisponible",
};

const ENGLISH: Lang = Lang {
    code: "en",
    hello: "Hello camille.martin",
    error_title: "<title>Error: ",
    consent: "Authorise “Orientation en ligne”?",
    unavailable: "Sign-in service unavailable",
};

#[tokio::test(flavor = "multi_thread")]
async fn french_pages_have_no_axe_violation_in_chromium() {
    no_axe_violation(&FRENCH).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn english_pages_have_no_axe_violation_in_chromium() {
    no_axe_violation(&ENGLISH).await;
}

/// Camille's pupil account on a server with a third-party OpenID Connect
/// service asking for consent (`tiers`, its callback at `nowhere`), and
/// the académie directory as the staff's upstream provider, at `nowhere`
/// too: an address where nothing listens.
async fn server(env: &TestEnv, nowhere: &str) -> TestServer {
    env.write(
        "services/tiers.toml",
        format!("id = \"tiers\"\nname = \"Orientation en ligne\"\nprotocol = \"oidc\"\n[oidc]\nclient_id = \"tiers\"\nredirect_uris = [\"{nowhere}/callback\"]\nscopes = [\"openid\", \"profile\"]\nconsent = true\n"),
    );
    let secret = env.write("secret-amont", UPSTREAM_SECRET);
    let upstream = toml::from_str::<sesame_service::config::Upstream>(&format!(
        "id = \"academie\"\nname = \"l'annuaire académique\"\nissuer = \"{nowhere}\"\nclient_id = \"sesame-aval\"\nclient_secret_file = \"{}\"\nprofiles = [\"personnel_education\"]\n",
        secret.display()
    ))
    .expect("upstream");
    pupil_account_with(env, now_clock(), 1000, |c| {
        c.upstream = vec![upstream];
        c.profiles.personnel_education = sesame_service::config::ProfileSource::Upstream;
    })
    .await
}

/// Every page and failed submit in `lang`, at both widths, through axe-core.
async fn no_axe_violation(lang: &Lang) {
    let axe = axe_source();
    let env = TestEnv::new();
    let nowhere = format!("http://127.0.0.1:{}", crate::support::free_port());
    let s = server(&env, &nowhere).await;
    let driver = Driver::start();
    let c = driver.connect().await;
    let url = |p: &str| format!("{}{p}", s.url);
    let html_lang = format!("<html lang=\"{}\">", lang.code);
    // The language from the footer's switch (its cookie).
    c.goto(&url(&format!(
        "/langue?choix={}&retour=%2Fprofil",
        lang.code
    )))
    .await
    .expect("goto");
    wait_for(&c, &html_lang).await;
    c.goto(&url("/connexion?profil=eleve")).await.expect("goto");
    fill(&c, "identifiant", "camille.martin").await;
    fill(&c, "password", PASSWORD).await;
    submit_login(&c).await;
    wait_for(&c, lang.hello).await;

    // The consent page, shown again until the pupil answers; the staff's
    // provider, which does not answer.
    let callback: String =
        url::form_urlencoded::byte_serialize(format!("{nowhere}/callback").as_bytes()).collect();
    let consent = format!(
        "/oidc/authorize?client_id=tiers&redirect_uri={callback}&response_type=code&scope=openid%20profile&state=etat&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    let pages = [
        ("/", "</footer>"),
        ("/profil", "</footer>"),
        ("/connexion?profil=parent", "</footer>"),
        ("/premiere-visite/eleve", "</footer>"),
        ("/premiere-visite/parent", "</footer>"),
        ("/premiere-visite/parent?compte=joint", "</footer>"),
        ("/compte", "</footer>"),
        ("/compte/supprimer", "</footer>"),
        ("/identifiant-oublie", "</footer>"),
        ("/mot-de-passe-oublie", "</footer>"),
        ("/accessibilite", "</footer>"),
        ("/mentions-legales", "</footer>"),
        ("/donnees-personnelles", "</footer>"),
        ("/aide", "</footer>"),
        ("/nulle-part", "</footer>"),
        (consent.as_str(), lang.consent),
        (
            "/amont/academie?profil=personnel_education",
            lang.unavailable,
        ),
    ];
    let mut shots = Shots::new(lang.code);
    let mut failures = Vec::new();
    for width in [360u32, 1280] {
        c.set_window_size(width, 900).await.expect("resize");
        for (path, marker) in &pages {
            c.goto(&url(path)).await.expect("goto");
            wait_for(&c, marker).await;
            let html = wait_for(&c, "</footer>").await;
            assert!(html.contains(&html_lang), "{path}: {html}");
            let name: String = path.chars().take(40).collect();
            shots
                .take(
                    &c,
                    &format!("{width}-{}", name.replace(['/', '?', '=', '&'], "_")),
                )
                .await;
            for v in violations(&c, &axe).await {
                failures.push(format!("{width} px {path}: {v}"));
            }
        }
        // The failed submits: every error shown, summary and fields.
        for (path, button) in [
            ("/premiere-visite/eleve", "form button[type=submit]"),
            (
                "/premiere-visite/parent",
                "button[value=creer]:not(.defaut)",
            ),
            ("/compte", "form[action='/compte/mot-de-passe'] button"),
        ] {
            c.goto(&url(path)).await.expect("goto");
            wait_for(&c, "</footer>").await;
            c.find(Locator::Css(button))
                .await
                .expect("submit")
                .click()
                .await
                .expect("click");
            let html = wait_for(&c, lang.error_title).await;
            assert!(html.contains("class=\"erreur\""), "{path}: {html}");
            shots
                .take(&c, &format!("{width}-error{}", path.replace('/', "_")))
                .await;
            for v in violations(&c, &axe).await {
                failures.push(format!("{width} px {path} (failed submit): {v}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");

    // The check can fail: an image without a text alternative is found.
    c.execute(
        "document.querySelector('main').appendChild(document.createElement('img'));",
        vec![],
    )
    .await
    .expect("add an image");
    let found = violations(&c, &axe).await;
    assert!(
        found.iter().any(|v| v.starts_with("image-alt")),
        "{found:?}"
    );
}
