//! The journeys of a parent and a pupil through the profile screen, the
//! login, an OpenID Connect consent and a CAS service.

use super::*;

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
