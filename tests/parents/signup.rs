//! The parent sign-up form: personal and joint accounts, the children
//! table and its matching rules, every error beside its row.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_parent_creates_a_personal_account_for_four_children_confirms_it_and_logs_in() {
    let env = TestEnv::new();
    // One mother, four children in two schools (SIECLE keeps one guardian
    // record per school), and a father for the first child.
    let pupils = format!(
        "uai;eleve_id;nom;prenom;date_naissance;etablissement\n\
         {UAI};E1;DUPONT;Zoé;14/03/2015;Collège Victor Hugo\n\
         {UAI};E2;DUPONT;Jean-Marie;02/09/2012;Collège Victor Hugo\n\
         {UAI};E3;DUPONT;Léon;21/12/2013;Collège Victor Hugo\n\
         {OTHER_UAI};F1;DUPONT;Inès;07/07/2009;Lycée Chateaubriand\n"
    );
    let guardians = format!(
        "uai;personne_id;civilite;nom;prenom;email;eleve_id;niveau\n\
         {UAI};P1;MME;DUPONT;Anaïs;anais@example.org;E1;1\n\
         {UAI};P1;MME;DUPONT;Anaïs;anais@example.org;E2;1\n\
         {UAI};P1;MME;DUPONT;Anaïs;anais@example.org;E3;1\n\
         {UAI};P2;M.;DUPONT;Hervé;;E1;1\n\
         {OTHER_UAI};Q1;MME;DUPONT;Anaïs;anais@example.org;F1;1\n"
    );
    let p = env.write("in/eleves.csv", pupils);
    let g = env.write("in/responsables.csv", guardians);
    env.sesame(&[
        "import",
        p.to_str().expect("utf8"),
        g.to_str().expect("utf8"),
    ])
    .ok();
    let mut codes = guardian_codes(
        &env.sesame(&["codes", "generate", "--uai", UAI, "--out", "l1"])
            .ok(),
    );
    codes.extend(guardian_codes(
        &env.sesame(&["codes", "generate", "--uai", OTHER_UAI, "--out", "l2"])
            .ok(),
    ));
    let anais = |child: &str| code_of(&codes, "Anaïs DUPONT", child);
    let (zoe, jm, leon, ines) = (
        anais("Zoé"),
        anais("Jean-Marie"),
        anais("Léon"),
        anais("Inès"),
    );

    let s = TestServer::spawn(&env, |_| {}).await;
    let url = format!("{}/premiere-visite/parent", s.url);
    let (status, html) = page(&s.client, &url).await;
    assert_eq!(status, 200);
    assert!(html.contains("Créer un compte personnel") && html.contains("Créer un compte joint"));
    assert!(
        html.contains("name=\"prenom_2\"") && !html.contains("name=\"prenom_3\""),
        "three rows"
    );
    assert!(html.contains("ajoutez un enfant"));

    // Four children: "ajoutez un enfant" shows a fourth row, values kept.
    let jm_typed = jm.to_lowercase().replace('-', " ");
    let mut form = Signup {
        joint: false,
        rows: vec![
            ["zoe", "14/03/2015", &zoe, ""],
            ["jean marie", "02/09/2012", &jm_typed, ""],
            ["LÉON", "21/12/2013", &leon, ""],
        ],
        identifiant: "anais.dupont",
        password: ANAIS.password,
        email: "anais@example.org",
    };
    let (status, _, html) = post(&s.client, &url, &form.form(&csrf_of(&html), "ajouter")).await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"prenom_3\""), "a fourth row");
    assert!(html.contains("value=\"jean marie\"") && html.contains("value=\"anais.dupont\""));
    assert!(
        !html.contains(ANAIS.password),
        "passwords are never sent back"
    );
    form.rows.push(["Inès", "07/07/2009", &ines, ""]);
    let (status, location, body) =
        post(&s.client, &url, &form.form(&csrf_of(&html), "creer")).await;
    // POST-redirect-GET: the account's page is a GET page.
    assert_eq!(status, 303, "{body}");
    assert_eq!(location, PARENT_CREATED);
    let (status, body) = page(&s.client, &format!("{}{location}", s.url)).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Votre compte est créé : confirmez-le") && body.contains("anais@example.org"),
        "{body}"
    );

    assert_eq!(env.count("SELECT COUNT(*) FROM accounts WHERE state = 'pending' AND kind = 'responsable' AND joint = false").await, 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM account_pupils").await, 4);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM account_guardians").await,
        2,
        "Anaïs's records in both schools"
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM activation_codes WHERE used_by_account_id IS NOT NULL")
            .await,
        4
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM account_tokens WHERE purpose = 'confirm'")
            .await,
        1
    );

    // Until confirmed, login says so and offers to resend the mail.
    let (status, _, html) =
        log_in_answer(&s.client, &s.url, &ANAIS.with_identifiant("Anais.Dupont")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("en attente de confirmation") && html.contains("Renvoyer le courriel"),
        "{html}"
    );
    let ticket = html
        .split("name=\"jeton\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("resend ticket");
    let form =
        [("csrf", csrf_of(&html)), ("jeton", ticket.to_owned())].map(|(k, v)| (k.to_owned(), v));
    let (status, _, body) = post(
        &s.client,
        &format!("{}/confirmation/renvoyer", s.url),
        &form,
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("Courriel renvoyé"), "{body}");

    let mails = outbox(&env).await;
    let links = confirmation_links(&mails);
    assert_eq!(links.len(), 2, "{mails:?}");
    assert!(mails.iter().all(|(to, _, _)| to == "anais@example.org"));
    assert!(
        mails[0].2.contains("http://localhost/confirmation?code="),
        "absolute link from public_url"
    );
    // The first link was superseded by the second.
    let (status, html) = page(&s.client, &format!("{}{}", s.url, links[0])).await;
    assert_eq!(status, 404);
    assert!(html.contains("Lien non valable"));
    // GET shows a button and confirms nothing; POST confirms.
    let (status, html) = page(&s.client, &format!("{}{}", s.url, links[1])).await;
    assert_eq!(status, 200);
    assert!(html.contains("Confirmer mon compte") && html.contains("anais.dupont"));
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE state = 'pending'")
            .await,
        1
    );
    let (status, body) = follow_link(&s, &links[1]).await;
    assert_eq!(status, 200);
    assert!(body.contains("Votre compte est confirmé"), "{body}");
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM accounts WHERE state = 'active' AND confirmed_at IS NOT NULL"
        )
        .await,
        1
    );
    let (status, _) = page(&s.client, &format!("{}{}", s.url, links[1])).await;
    assert_eq!(status, 404, "single use");

    // First login: the home page lists the four children and their schools.
    let (status, location, _) = log_in_answer(&s.client, &s.url, &ANAIS).await;
    assert_eq!((status, location.as_str()), (303, "/"));
    let (_, home) = page(&s.client, &format!("{}/", s.url)).await;
    for name in [
        "Zoé DUPONT",
        "Jean-Marie DUPONT",
        "Léon DUPONT",
        "Inès DUPONT",
        "Lycée Chateaubriand",
    ] {
        assert!(home.contains(name), "{name} in {home}");
    }

    // The default transport writes the mails as .eml files in the outbox folder.
    let out = env.sesame(&["mail", "send"]).ok();
    assert!(out.contains("2 courriel(s) envoyé(s)."), "{out}");
    let eml = std::fs::read_dir(env.path().join("data/outbox"))
        .expect("outbox folder")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml"))
        })
        .count();
    assert_eq!(eml, 2);
    // Delivered: the rows keep a pseudonym, not the address (REST-01).
    let list = env.sesame(&["mail", "list", "--state", "sent"]).ok();
    assert!(
        list.contains("2 courriel(s).") && !list.contains("example.org"),
        "{list}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_joint_account_takes_the_other_guardians_codes_and_holds_them() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let c = |g: &str, child: &str| code_of(&codes, g, child);
    let s = TestServer::spawn(&env, |_| {}).await;
    let (_, html) = page(
        &s.client,
        &format!("{}/premiere-visite/parent?compte=joint", s.url),
    )
    .await;
    assert!(html.contains("Autre responsable (facultatif)"), "{html}");
    let (jb_o, jb_s) = (
        c("Olivier MARTIN", "Jean-Baptiste"),
        c("Sophie MARTIN", "Jean-Baptiste"),
    );
    let (ca_o, ca_s) = (
        c("Olivier MARTIN", "Camille"),
        c("Sophie MARTIN", "Camille"),
    );
    let joint = Signup {
        joint: true,
        rows: vec![
            ["Jean-Baptiste", "03/02/2011", &jb_o, &jb_s],
            ["Camille", "16/06/2013", &ca_o, ""],
        ],
        identifiant: "famille.martin",
        password: PASSWORD,
        email: "olivier.martin@example.org",
    };
    let (status, body) = sign_up(&s, &joint).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE joint = true")
            .await,
        1
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM account_guardians").await, 2);
    assert_eq!(env.count("SELECT COUNT(*) FROM account_pupils").await, 2);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM activation_codes WHERE used_by_account_id IS NOT NULL")
            .await,
        3
    );

    // Sophie's code held by the pending joint account is refused, clearly.
    let mine = Signup {
        joint: false,
        rows: vec![["Jean-Baptiste", "03/02/2011", &jb_s, ""]],
        identifiant: "sophie.martin",
        password: PASSWORD,
        email: "sophie.martin@example.org",
    };
    let (status, body) = sign_up(&s, &mine).await;
    assert_eq!(status, 422);
    assert!(body.contains("attend sa confirmation"), "{body}");
    // Her code for Camille, not used by the joint account, still works.
    let camille = Signup {
        rows: vec![["Camille", "16/06/2013", &ca_s, ""]],
        ..mine
    };
    let (status, body) = sign_up(&s, &camille).await;
    assert_eq!(status, 200, "{body}");
}

// ACT-02, and the form's rules: nothing is created while anything is wrong.
#[tokio::test(flavor = "multi_thread")]
async fn every_parent_form_error_is_shown_beside_its_row_and_nothing_is_created() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let c = |g: &str, child: &str| code_of(&codes, g, child);
    let s = TestServer::spawn(&env, |_| {}).await;
    let (jb_o, ca_s) = (
        c("Olivier MARTIN", "Jean-Baptiste"),
        c("Sophie MARTIN", "Camille"),
    );
    let cases: Vec<(bool, Vec<[String; 4]>, &str)> = vec![
        (false, vec![], "Indiquez au moins un enfant"),
        (
            false,
            vec![[
                "Jean-Baptiste".into(),
                "3 février".into(),
                jb_o.clone(),
                String::new(),
            ]],
            "Ligne 1 : indiquez la date de naissance",
        ),
        (
            false,
            vec![[
                "Jean-Baptiste".into(),
                "03/02/2011".into(),
                "ABC".into(),
                String::new(),
            ]],
            "Ligne 1 : votre code d&#39;activation est mal saisi",
        ),
        (
            false,
            vec![[
                "Camille".into(),
                "03/02/2011".into(),
                jb_o.clone(),
                String::new(),
            ]],
            "Nous n&#39;avons pas pu identifier",
        ),
        (
            false,
            vec![[
                "Jean-Baptiste".into(),
                "04/02/2011".into(),
                jb_o.clone(),
                String::new(),
            ]],
            "Nous n&#39;avons pas pu identifier",
        ),
        (
            false,
            vec![[
                "Jean-Baptiste".into(),
                "03/02/2011".into(),
                "AAAA-BBBB-CCCC1".into(),
                String::new(),
            ]],
            "Nous n&#39;avons pas pu identifier",
        ),
        (
            false,
            vec![
                [
                    "Jean-Baptiste".into(),
                    "03/02/2011".into(),
                    jb_o.clone(),
                    String::new(),
                ],
                [
                    "Camille".into(),
                    "16/06/2013".into(),
                    ca_s.clone(),
                    String::new(),
                ],
            ],
            "plusieurs personnes",
        ),
        (
            true,
            vec![[
                "Jean-Baptiste".into(),
                "03/02/2011".into(),
                jb_o.clone(),
                String::new(),
            ]],
            "Pour un compte joint, indiquez aussi",
        ),
        (
            true,
            vec![[
                "Jean-Baptiste".into(),
                "03/02/2011".into(),
                jb_o.clone(),
                ca_s.clone(),
            ]],
            "Nous n&#39;avons pas pu identifier",
        ),
    ];
    let mut not_identified = Vec::new();
    for (joint, rows, expected) in &cases {
        let rows: Vec<[&str; 4]> = rows
            .iter()
            .map(|r| [r[0].as_str(), r[1].as_str(), r[2].as_str(), r[3].as_str()])
            .collect();
        let form = Signup {
            joint: *joint,
            rows,
            identifiant: "o.martin",
            password: PASSWORD,
            email: "olivier.martin@example.org",
        };
        let (status, body) = sign_up(&s, &form).await;
        assert_eq!(status, 422, "{expected}: {body}");
        assert!(body.contains(expected), "{expected}: {body}");
        assert!(body.contains("value=\"o.martin\""), "values kept");
        assert!(!body.contains(PASSWORD), "never the password");
        if expected.contains("identifier") {
            let start = body.find("Nous n&#39;avons").expect("message");
            not_identified.push(body[start..start + 200].to_owned());
        }
    }
    // Wrong name, wrong date and unknown code: the same words (ACT-02).
    assert!(
        not_identified.windows(2).all(|w| w[0] == w[1]),
        "{not_identified:?}"
    );

    // Credentials are checked with the children: a password made of a child's name.
    let form = Signup {
        joint: false,
        rows: vec![["Jean-Baptiste", "03/02/2011", &jb_o, ""]],
        identifiant: "o.martin",
        password: "Baptiste2011",
        email: "olivier.martin@example.org",
    };
    let (status, body) = sign_up(&s, &form).await;
    assert_eq!(status, 422);
    assert!(
        body.contains("trop proche de vos données personnelles"),
        "{body}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM mail_outbox").await, 0);
}
