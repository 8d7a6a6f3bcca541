//! The parent sign-up form's own buttons (issue 17 §4) and its answer
//! (§2): switching between the personal and the joint account keeps what
//! was typed, « ajoutez un enfant » puts the focus on the new row, and a
//! created account answers `303 See Other` to a page that a reload shows
//! again without posting.

use super::*;

/// The opening tag of the element with `id` in `html`.
fn tag_of<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let start = html[..at].rfind('<').expect("tag start");
    let end = html[at..].find('>').expect("tag end") + at;
    &html[start..=end]
}

/// A form that would not pass (a made-up code, mismatched addresses),
/// typed by a parent who then changes their mind about the account.
fn typed<'a>() -> Signup<'a> {
    Signup {
        joint: false,
        rows: vec![
            ["Zoé", "14/03/2015", "ABCD-EFGH-JKLM", "NPQR-STUV-WXYZ"],
            ["Léon", "21.12.2013", "", ""],
        ],
        identifiant: "anais.dupont",
        password: ANAIS.password,
        email: "anais@example.org",
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn switching_between_personal_and_joint_keeps_what_was_typed_both_ways() {
    let env = TestEnv::new();
    martin_family(&env);
    let s = TestServer::spawn(&env, |_| {}).await;
    let url = format!("{}/premiere-visite/parent", s.url);
    let (_, html) = page(&s.client, &url).await;
    // The switch is a button of the form, not a link that empties it.
    assert!(!html.contains("href=\"/premiere-visite/parent?compte=joint\""));
    let joint_button = html
        .split("<button")
        .find(|b| b.contains("value=\"joint\""))
        .expect("the joint account button");
    assert!(
        joint_button.contains("type=\"submit\"") && joint_button.contains("form=\"inscription\""),
        "{joint_button}"
    );

    let form = typed();
    let (status, _, html) = post(&s.client, &url, &form.form(&csrf_of(&html), "joint")).await;
    assert_eq!(status, 200, "a switch is no failed submit: {html}");
    assert!(
        html.contains("<title>Création du compte responsable (compte joint)"),
        "{html}"
    );
    assert!(tag_of(&html, "autre_0").contains("value=\"NPQR-STUV-WXYZ\""));
    for (id, value) in [
        ("prenom_0", "Zoé"),
        ("code_0", "ABCD-EFGH-JKLM"),
        ("prenom_1", "Léon"),
        ("naissance_1", "21.12.2013"),
        ("identifiant", "anais.dupont"),
        ("email", "anais@example.org"),
    ] {
        assert!(
            tag_of(&html, id).contains(&format!("value=\"{value}\"")),
            "{id}: {html}"
        );
    }
    assert!(
        !html.contains(ANAIS.password),
        "passwords are never sent back"
    );
    assert!(
        !html.contains("Erreur") && !html.contains("aria-invalid"),
        "no error shown for a switch: {html}"
    );

    // Back to a personal account: the same values, and the other guardian's
    // codes kept (hidden) for a switch back.
    let joint = Signup {
        joint: true,
        ..typed()
    };
    let (status, _, html) = post(&s.client, &url, &joint.form(&csrf_of(&html), "personnel")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("<title>Création du compte responsable (compte personnel)"),
        "{html}"
    );
    assert!(
        !html.contains("id=\"autre_0\""),
        "no column for the other guardian"
    );
    assert!(html.contains("name=\"autre_0\" value=\"NPQR-STUV-WXYZ\""));
    assert!(tag_of(&html, "prenom_0").contains("value=\"Zoé\""));
    assert!(tag_of(&html, "code_0").contains("value=\"ABCD-EFGH-JKLM\""));
    assert!(tag_of(&html, "identifiant").contains("value=\"anais.dupont\""));
    assert!(!html.contains("Erreur") && !html.contains("aria-invalid"));

    // Nothing was created or checked, and a switch spends its form's token
    // like any submission: a forged one is refused.
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
    assert_eq!(
        env.count("SELECT COALESCE(SUM(failed_attempts), 0) FROM activation_codes")
            .await,
        0
    );
    let (status, _, _) = post(&s.client, &url, &form.form("forged", "joint")).await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_child_puts_the_focus_on_the_new_row() {
    let env = TestEnv::new();
    let s = TestServer::spawn(&env, |_| {}).await;
    let url = format!("{}/premiere-visite/parent", s.url);
    let (_, html) = page(&s.client, &url).await;
    assert!(!html.contains("autofocus"), "nothing focused on arrival");

    let mut form = typed();
    let (status, _, html) = post(&s.client, &url, &form.form(&csrf_of(&html), "ajouter")).await;
    assert_eq!(status, 200);
    // The row has an anchor; the focused field scrolls into view.
    assert!(tag_of(&html, "enfant-4").starts_with("<tr"), "{html}");
    assert!(tag_of(&html, "prenom_3").contains(" autofocus"), "{html}");
    assert_eq!(html.matches("autofocus").count(), 1, "one field focused");
    assert!(tag_of(&html, "prenom_1").contains("value=\"Léon\""));
    assert!(!html.contains("aria-invalid"), "no error shown");

    // Once more: the fifth row gets it.
    form.rows.push(["Inès", "", "", ""]);
    form.rows.push(["", "", "", ""]);
    let (_, _, html) = post(&s.client, &url, &form.form(&csrf_of(&html), "ajouter")).await;
    assert!(tag_of(&html, "prenom_4").contains(" autofocus"), "{html}");
    assert!(!tag_of(&html, "prenom_3").contains("autofocus"));
    assert!(tag_of(&html, "prenom_2").contains("value=\"Inès\""));
    assert!(tag_of(&html, "enfant-5").starts_with("<tr"), "{html}");
}

// Issue 17 §2: POST-redirect-GET.
#[tokio::test(flavor = "multi_thread")]
async fn a_created_account_answers_303_and_its_page_reloads_without_posting() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    let url = format!("{}/premiere-visite/parent", s.url);
    let (_, html) = page(&s.client, &url).await;
    let form = Signup::olivier(&jb).form(&csrf_of(&html), "creer");
    let (status, location, body) = post(&s.client, &url, &form).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location, PARENT_CREATED, "no address nor secret in the URL");

    let created = format!("{}{location}", s.url);
    for _ in 0..3 {
        let (status, html) = page(&s.client, &created).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Votre compte est créé : confirmez-le")
                && html.contains("olivier.martin@example.org"),
            "{html}"
        );
    }
    // The reloads posted nothing: one account, one mail, one audit event.
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM mail_outbox WHERE subject LIKE '%confirmez%'")
            .await,
        1
    );
    // The browser's back-and-post (the POST again) is refused: its token
    // is spent.
    let (status, _, _) = post(&s.client, &url, &form).await;
    assert_eq!(status, 403);
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);

    // Another browser finds nothing there (the address is not shown).
    let r = TestServer::browser()
        .get(&created)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 303);
    assert_eq!(
        crate::support::http::location(&r),
        "/premiere-visite/parent"
    );
    // Nor does this one once the page's short life is over.
    clock.advance(time::Duration::minutes(11));
    let r = s.client.get(&created).send().await.expect("get");
    assert_eq!(r.status(), 303);
}
