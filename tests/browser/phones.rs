//! The main pages on phones (320 and 360 px).

use super::*;

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
