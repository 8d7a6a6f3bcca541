//! The « État » theme (issue 17, item 9): `branding.theme = "etat"` puts
//! the République française block-mark and the académie's name in the
//! header and the State design system's colours and spacing on every page;
//! the default theme stays neutral. Through HTTP, the command line, and
//! Debian's headless Chromium with axe-core (its `axe.min.js` from the npm
//! package, which `.ci/run` fetches into `target/axe/`), with screenshots
//! under `target/screenshots/theme-etat/`.

use crate::browser::Driver;
use crate::browser::axe::{axe_source, violations};
use crate::support::layout::ACADEMIE;
use crate::support::{TestEnv, TestServer};
use fantoccini::Client;
use sesame_service::config::Theme;
use std::path::PathBuf;
use std::time::Duration;

async fn get(c: &reqwest::Client, url: &str, accept: &str) -> (u16, String) {
    let r = c
        .get(url)
        .header("accept-language", accept)
        .send()
        .await
        .expect("get");
    (r.status().as_u16(), r.text().await.expect("body"))
}

async fn server(env: &TestEnv, theme: Theme) -> TestServer {
    TestServer::spawn(env, |c| {
        c.branding.academie = ACADEMIE.into();
        c.branding.theme = theme;
    })
    .await
}

const BLOCK_MARK: &str = "<div class=\"bloc-marque\" lang=\"fr\">\n  <p class=\"republique\">République<br>française</p>\n  <p class=\"devise\">Liberté<br>Égalité<br>Fraternité</p>\n  </div>";

#[tokio::test(flavor = "multi_thread")]
async fn the_etat_theme_shows_the_block_mark_and_the_academie_and_the_neutral_one_does_not() {
    let env = TestEnv::new();
    let etat = server(&env, Theme::Etat).await;
    let c = TestServer::browser();
    for (path, status) in [
        ("/", 200),
        ("/premiere-visite/parent", 200),
        ("/nulle-part", 404),
    ] {
        for accept in ["fr-FR", "en-GB"] {
            let (got, html) = get(&c, &format!("{}{path}", etat.url), accept).await;
            assert_eq!(got, status, "{path} {accept}");
            assert!(html.contains(BLOCK_MARK), "{path} {accept}: {html}");
            assert!(
                html.contains(&format!(
                    "<div class=\"service\">\n  <p class=\"academie\">{ACADEMIE}</p>"
                )),
                "{path} {accept}: {html}"
            );
            assert!(
                html.contains("<link rel=\"stylesheet\" href=\"/static/etat.css\">"),
                "{path}: {html}"
            );
            // No logo configured: no operator logo beside the block-mark.
            assert!(!html.contains("src=\"/logo\""), "{path}: {html}");
            // Nothing requires JavaScript.
            assert!(!html.contains("<script"), "{path}: {html}");
        }
    }
    let r = c
        .get(format!("{}/static/etat.css", etat.url))
        .send()
        .await
        .expect("css");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    let css = r.text().await.expect("css");
    for colour in ["#000091", "#e1000f", "#161616", "#3a3a3a"] {
        assert!(css.contains(colour), "{colour}");
    }
    // Only free assets: no Marianne font, no image fetched.
    for fetched in ["@font-face", "url(", "@import"] {
        assert!(!css.contains(fetched), "{fetched}");
    }
    assert!(
        !css.contains("\"Marianne\""),
        "the Marianne font is not named"
    );

    let env2 = TestEnv::new();
    let neutral = server(&env2, Theme::Neutral).await;
    let (status, html) = get(&c, &format!("{}/", neutral.url), "fr-FR").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!(
            "<header class=\"bandeau\">\n  <img class=\"logo\" src=\"/logo\" alt=\"\" width=\"48\" height=\"48\">\n  <div>\n  <p class=\"academie\">{ACADEMIE}</p>"
        )),
        "{html}"
    );
    for etat_only in ["bloc-marque", "République", "Fraternité", "etat.css"] {
        assert!(!html.contains(etat_only), "{etat_only}: {html}");
    }
}

#[test]
fn check_config_names_an_unknown_theme_and_accepts_the_two() {
    let env = TestEnv::new();
    let f = env.write("bad.toml", "[branding]\ntheme = \"bleu-blanc-rouge\"\n");
    let err = env
        .sesame(&["--config", f.to_str().expect("utf8"), "check-config"])
        .fails_with(3);
    assert!(
        err.contains("bad.toml") && err.contains("branding.theme"),
        "{err}"
    );
    assert!(
        err.contains("bleu-blanc-rouge"),
        "the theme is named: {err}"
    );
    assert!(err.contains("neutral") && err.contains("etat"), "{err}");
    for theme in ["neutral", "etat"] {
        let f = env.write("ok.toml", format!("[branding]\ntheme = \"{theme}\"\n"));
        let out = env
            .sesame(&["--config", f.to_str().expect("utf8"), "check-config"])
            .ok();
        assert!(out.contains(&format!("theme = \"{theme}\"")), "{out}");
    }
}

/// (scroll width, client width) of the current page.
async fn widths(c: &Client) -> (u64, u64) {
    let v = c
        .execute(
            "const d = document.documentElement; return [Math.max(d.scrollWidth, document.body.scrollWidth), d.clientWidth];",
            vec![],
        )
        .await
        .expect("script");
    (v[0].as_u64().expect("width"), v[1].as_u64().expect("width"))
}

/// The page's source once its footer has come.
async fn loaded(c: &Client) {
    for _ in 0..100 {
        if c.source().await.expect("source").contains("</footer>") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never loaded: {:?}", c.current_url().await);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_etat_theme_passes_axe_and_fits_a_phone_in_chromium() {
    let axe = axe_source();
    let env = TestEnv::new();
    let s = server(&env, Theme::Etat).await;
    let driver = Driver::start();
    let c = driver.connect().await;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots/theme-etat");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    let pages = [
        ("profil", "/profil"),
        ("connexion-parent", "/connexion?profil=parent"),
        ("parent", "/premiere-visite/parent"),
        ("eleve", "/premiere-visite/eleve"),
        ("mot-de-passe-oublie", "/mot-de-passe-oublie"),
        ("accessibilite", "/accessibilite"),
        ("donnees-personnelles", "/donnees-personnelles"),
        ("introuvable", "/nulle-part"),
    ];
    let mut failures = Vec::new();
    for lang in ["fr", "en"] {
        c.goto(&format!("{}/langue?choix={lang}&retour=/", s.url))
            .await
            .expect("switch");
        loaded(&c).await;
        for width in [320u32, 360, 1280] {
            c.set_window_size(width, 900).await.expect("resize");
            for (name, path) in pages {
                c.goto(&format!("{}{path}", s.url)).await.expect("goto");
                loaded(&c).await;
                let name = format!("{lang}-{width}-{name}");
                let png = c.screenshot().await.expect("screenshot");
                std::fs::write(dir.join(format!("{name}.png")), png).expect("write");
                let (scroll, client) = widths(&c).await;
                if client > width as u64 || scroll > client {
                    failures.push(format!("{name}: {scroll} px wide in {client} px"));
                }
                if width != 320 {
                    for v in violations(&c, &axe).await {
                        failures.push(format!("{name}: {v}"));
                    }
                }
            }
        }
    }
    c.close().await.expect("close");
    assert!(failures.is_empty(), "{failures:#?}");
}
