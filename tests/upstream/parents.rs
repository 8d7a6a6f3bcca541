//! Parents through a national identity: matched to a guardian and
//! confirmed with a child, or sent to the codes; a local account linked;
//! ambiguity and wrong confirmations limited.

use super::*;

// Parents with a national identity: matched by name to one guardian,
// confirmed with a child, the account created with all the children; next
// time straight in. Wrong answers are refused with one message.
#[tokio::test(flavor = "multi_thread")]
async fn a_parent_is_matched_to_a_guardian_confirms_with_a_child_and_comes_back() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, true).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;

    let (r, _) = follow(&browser, &format!("{}/connexion?profil=parent", down.url)).await;
    let html = r.text().await.expect("body");
    assert!(html.contains("Se connecter avec FranceConnect"), "{html}");
    let (r, _) = follow(&browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(html.contains("Confirmez votre identité"), "{html}");
    assert!(html.contains("Olivier MARTIN"), "{html}");
    let ticket = html
        .split("name=\"ticket\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("ticket")
        .to_owned();
    let confirm = |html: String, prenom: &'static str, naissance: &'static str| {
        let (b, url, ticket) = (
            browser.clone(),
            format!("{}/amont/confirmation", down.url),
            ticket.clone(),
        );
        async move {
            b.post(url)
                .form(&[
                    ("csrf", csrf_of(&html)),
                    ("ticket", ticket),
                    ("prenom", prenom.to_owned()),
                    ("naissance", naissance.to_owned()),
                ])
                .send()
                .await
                .expect("confirm")
        }
    };
    let r = confirm(html, "Jean-Baptiste", "04/02/2011").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("ne correspondent à aucun de vos enfants"),
        "{html}"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts").await,
        0,
        "nothing created"
    );
    let r = confirm(html, "jean-baptiste", "03/02/2011").await;
    assert_eq!(r.status(), 303, "{:?}", r.text().await);
    // The home page lists the children of every school.
    let (r, _) = follow(&browser, &format!("{}/", down.url)).await;
    let home = r.text().await.expect("body");
    assert!(home.contains("Jean-Baptiste"), "{home}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE kind = 'responsable' AND state = 'active'")
            .await,
        1
    );
    let children = env.count("SELECT COUNT(*) FROM account_pupils").await;
    assert!(children >= 2, "all of the guardian's children: {children}");
    assert!(
        env.count("SELECT COUNT(*) FROM activation_codes WHERE used_by_account_id IS NOT NULL")
            .await
            >= 1,
        "the guardian's codes are taken by the account"
    );
    // Next time, straight in, no confirmation.
    let b2 = TestServer::browser();
    login_upstream(&up, &b2).await;
    let (r, visited) = follow(&b2, &format!("{}/amont/fc?profil=parent", down.url)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        visited.last().map(String::as_str),
        Some(format!("{}/", down.url).as_str())
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
}

// No guardian of that name: a clear page towards the activation codes.
#[tokio::test(flavor = "multi_thread")]
async fn a_parent_without_a_matching_guardian_is_sent_to_the_codes() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let (r, _) = follow(&browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
    let html = r.text().await.expect("body");
    assert!(html.contains("Nous ne vous avons pas trouvé"), "{html}");
    assert!(html.contains("/premiere-visite/parent"), "{html}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}

// "Gérer son compte": a parent with a local account links it to the
// national identity; next time that identity opens the same account.
#[tokio::test(flavor = "multi_thread")]
async fn a_local_parent_account_is_linked_from_the_account_page() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    // The school data comes with Olivier's local account.
    let (env, down) = downstream(listener, &up.url, false).await;
    let sink = MailSink::start(&env).await;
    olivier(&env, &down, &sink).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let (status, _, _) = log_in_answer(&browser, &down.url, &OLIVIER).await;
    assert_eq!(status, 303);
    let (r, _) = follow(&browser, &format!("{}/compte", down.url)).await;
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Associer mon compte à FranceConnect"),
        "{html}"
    );
    let r = browser
        .post(format!("{}/compte/amont/fc", down.url))
        .form(&[("csrf", csrf_of(&html))])
        .send()
        .await
        .expect("link");
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    let (r, _) = follow(&browser, &to).await;
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Votre compte est associé à FranceConnect"),
        "{html}"
    );
    let (r, _) = follow(&browser, &format!("{}/compte", down.url)).await;
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Votre compte est associé à FranceConnect"),
        "{html}"
    );
    assert!(!html.contains("Associer mon compte"), "{html}");
    // Another browser, FranceConnect only: the same account.
    let b2 = TestServer::browser();
    login_upstream(&up, &b2).await;
    let (r, visited) = follow(&b2, &format!("{}/amont/fc?profil=parent", down.url)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        visited.last().map(String::as_str),
        Some(format!("{}/", down.url).as_str())
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
    let (r, _) = follow(&b2, &format!("{}/compte", down.url)).await;
    assert!(r.text().await.expect("body").contains("olivier.martin"));
}

// Two guardians of that name in one school: two people, so no match by
// name; the codes path tells them apart.
#[tokio::test(flavor = "multi_thread")]
async fn two_guardians_of_that_name_in_one_school_are_not_guessed_between() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, false).await;
    // The sample export, with a second Olivier MARTIN (another person).
    let g = crate::support::samples::GUARDIANS;
    let start = b"<PERSONNE PERSONNE_ID=\"800202\">";
    let from = g
        .windows(start.len())
        .position(|w| w == start)
        .expect("Olivier's record");
    let len = g[from..]
        .windows(b"</PERSONNE>".len())
        .position(|w| w == b"</PERSONNE>")
        .expect("end")
        + b"</PERSONNE>".len();
    // Olivier's record is ASCII.
    let twin: Vec<u8> = String::from_utf8(g[from..from + len].to_vec())
        .expect("ASCII")
        .replace("800202", "800299")
        .replace("olivier.martin@", "o.martin@")
        .into_bytes();
    let mut modified = g[..from + len].to_vec();
    modified.extend_from_slice(b"\n      ");
    modified.extend_from_slice(&twin);
    // Guardian of a pupil of the same school (records without a link are
    // not imported); the bytes stay ISO-8859-15.
    let rest = &g[from + len..];
    let tag = b"<RESPONSABLE_ELEVE>";
    let at = rest
        .windows(tag.len())
        .position(|w| w == tag)
        .expect("links");
    modified.extend_from_slice(&rest[..at]);
    modified.extend_from_slice(b"<RESPONSABLE_ELEVE>\n        <ELEVE_ID>9990107</ELEVE_ID>\n        <PERSONNE_ID>800299</PERSONNE_ID>\n        <NIVEAU_RESPONSABILITE>1</NIVEAU_RESPONSABILITE>\n        <CODE_PARENTE>20</CODE_PARENTE>\n      </RESPONSABLE_ELEVE>\n      ");
    modified.extend_from_slice(&rest[at..]);
    let p = env.write("in/ElevesSansAdresses.xml", crate::support::samples::PUPILS);
    let gpath = env.write("in/ResponsablesAvecAdresses.xml", modified);
    env.sesame(&[
        "import",
        p.to_str().expect("utf8"),
        gpath.to_str().expect("utf8"),
    ])
    .ok();
    assert_eq!(
        env.count("SELECT COUNT(*) FROM guardians WHERE first_name = 'Olivier'")
            .await,
        2
    );
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let (r, _) = follow(&browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Plusieurs responsables légaux portent votre nom"),
        "{html}"
    );
    assert!(html.contains("/premiere-visite/parent"), "{html}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}

// The child confirmation stands a few guesses only: five per round trip,
// ten per upstream identity and day, then a page towards the codes.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_confirmations_are_limited_per_identity_and_day() {
    let (listener, down_url) = bound().await;
    let (_uenv, up) = upstream(&down_url).await;
    let (env, down) = downstream(listener, &up.url, true).await;
    let browser = TestServer::browser();
    login_upstream(&up, &browser).await;
    let confirm = |html: String, naissance: &'static str| {
        let (b, url) = (browser.clone(), format!("{}/amont/confirmation", down.url));
        async move {
            let ticket = html
                .split("name=\"ticket\" value=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("ticket")
                .to_owned();
            b.post(url)
                .form(&[
                    ("csrf", csrf_of(&html)),
                    ("ticket", ticket),
                    ("prenom", "Jean-Baptiste".to_owned()),
                    ("naissance", naissance.to_owned()),
                ])
                .send()
                .await
                .expect("confirm")
        }
    };
    for round in 0..2 {
        let (r, _) = follow(&browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
        let mut html = r.text().await.expect("body");
        for attempt in 0..5 {
            let r = confirm(html.clone(), "01/01/2011").await;
            if attempt < 4 {
                assert_eq!(r.status(), 422, "round {round}, attempt {attempt}");
                html = r.text().await.expect("body");
                // Still greeted by name, by the provider's name.
                assert!(html.contains("Bonjour Olivier MARTIN."), "{html}");
                assert!(html.contains("FranceConnect vous a identifié"), "{html}");
            } else if round == 0 {
                // The fifth answer ends the attempt: « demande expirée »
                // at once, not a form that can no longer be sent.
                assert_eq!(r.status(), 400);
                let html = r.text().await.expect("body");
                assert!(html.contains("Demande expirée"), "{html}");
                assert!(!html.contains("name=\"ticket\""), "{html}");
            } else {
                // The tenth of the day: blocked, said at once.
                assert_eq!(r.status(), 429);
                assert!(r.text().await.expect("body").contains("Trop de tentatives"));
            }
        }
    }
    // The blocked identity is told so before being asked (even the right
    // answer has no form to go in).
    let (r, _) = follow(&browser, &format!("{}/amont/fc?profil=parent", down.url)).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let html = r.text().await.expect("body");
    assert!(html.contains("Trop de tentatives"), "{html}");
    assert!(!html.contains("Confirmez votre identité"), "{html}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
}
