//! axe-core in Chromium on the English pages (issue 17, item 8): every
//! page family and its failed-submit state, at 360 and 1280 px, with no
//! violation. `axe.min.js` comes from the axe-core npm package, fetched by
//! `.ci/run` into `target/axe/` (or named by `SESAME_AXE_JS`), and is
//! injected through the WebDriver session.

use super::*;

/// The axe-core script.
fn axe_source() -> String {
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
async fn violations(c: &Client, axe: &str) -> Vec<String> {
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

#[tokio::test(flavor = "multi_thread")]
async fn english_pages_have_no_axe_violation_in_chromium() {
    let axe = axe_source();
    let env = TestEnv::new();
    let s = pupil_account(&env, now_clock(), 1000).await;
    let driver = Driver::start();
    let c = driver.connect().await;
    let url = |p: &str| format!("{}{p}", s.url);
    // English from the footer's switch (its cookie).
    c.goto(&url("/langue?choix=en&retour=%2Fprofil"))
        .await
        .expect("goto");
    wait_for(&c, "<html lang=\"en\">").await;
    c.goto(&url("/connexion?profil=eleve")).await.expect("goto");
    fill(&c, "identifiant", "camille.martin").await;
    fill(&c, "password", PASSWORD).await;
    submit_login(&c).await;
    wait_for(&c, "Hello camille.martin").await;

    let pages = [
        "/",
        "/profil",
        "/connexion?profil=parent",
        "/premiere-visite/eleve",
        "/premiere-visite/parent",
        "/premiere-visite/parent?compte=joint",
        "/compte",
        "/compte/supprimer",
        "/identifiant-oublie",
        "/mot-de-passe-oublie",
        "/accessibilite",
        "/mentions-legales",
        "/donnees-personnelles",
        "/aide",
        "/nulle-part",
    ];
    let mut shots = Shots::new("english");
    let mut failures = Vec::new();
    for width in [360u32, 1280] {
        c.set_window_size(width, 900).await.expect("resize");
        for path in pages {
            c.goto(&url(path)).await.expect("goto");
            let html = wait_for(&c, "</footer>").await;
            assert!(html.contains("<html lang=\"en\">"), "{path}: {html}");
            shots
                .take(
                    &c,
                    &format!("{width}-{}", path.replace(['/', '?', '='], "_")),
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
            let html = wait_for(&c, "<title>Error: ").await;
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
