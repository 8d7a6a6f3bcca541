//! The pages of a login through a provider in English (issue 17, item 8):
//! the child confirmation, its wrong answer, and the provider failure page.

use super::*;
use crate::support::english::assert_english_page;

#[tokio::test(flavor = "multi_thread")]
async fn the_confirmation_pages_speak_english() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (_env, down) = downstream(listener, &up.url, true).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    browser
        .get(format!("{}/langue?choix=en", down.url))
        .send()
        .await
        .expect("switch");
    let (r, _) = follow(&browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert_english_page(
        "upstream confirmation",
        &html,
        &[
            "<title>Confirm your identity",
            "has identified you; to connect your account to your children",
            "Child's first name",
            "or activation code",
            ">Confirm</button>",
        ],
    );
    let ticket = html
        .split("name=\"ticket\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("ticket")
        .to_owned();
    let r = browser
        .post(format!("{}/amont/confirmation", down.url))
        .form(&[
            ("csrf", csrf_of(&html)),
            ("ticket", ticket),
            ("prenom", "Jean-Baptiste".to_owned()),
            ("naissance", "01/01/2011".to_owned()),
        ])
        .send()
        .await
        .expect("confirm");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("body");
    assert_english_page(
        "wrong confirmation",
        &html,
        &["This information matches none of your children."],
    );

    // An unknown provider: the failure page.
    let (r, _) = follow(
        &browser,
        &format!("{}/amont/inconnu?profil=parent", down.url),
    )
    .await;
    assert_eq!(r.status(), 404);
    let html = r.text().await.expect("body");
    assert_english_page(
        "unknown provider",
        &html,
        &[
            "Cannot sign in",
            "This way of signing in does not exist.",
            "Change profile",
        ],
    );
}
