//! Leavers (issue 16 §2): pupils who left and guardians left with no
//! child are disabled after the grace, then deleted after the retention.

use super::*;

/// Runs the leavers' round as the periodic job of `serve` does, in the
/// server's application (its clock, its store).
async fn round(s: &TestServer) -> sesame_service::leavers::Round {
    sesame_service::leavers::run(s.app()).await.expect("round")
}

// Issue 16 §2: a pupil who left and a guardian with no child are disabled
// after the grace days, a guardian gets a notice, both are deleted after
// the retention days; the clock is moved past every delay.
#[tokio::test(flavor = "multi_thread")]
async fn leavers_are_disabled_after_the_grace_and_deleted_after_the_retention() {
    let env = TestEnv::new();
    register_ent(&env);
    register_ecole(&env).await;
    env.import_samples();
    let printed = generate_codes(&env);
    let (codes, camille) = (
        guardian_codes(&printed),
        pupil_code(&printed, "Camille MARTIN"),
    );
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    sign_up_camille(&s.client, &s.url, &camille, PASSWORD).await;
    let jb_o = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    parent(
        &s,
        &env,
        &OLIVIER,
        "olivier.martin@example.org",
        vec![["Jean-Baptiste", "03/02/2011", &jb_o, ""]],
    )
    .await;

    // Jean-Baptiste is absent from the full export; Camille left.
    let pupils = september(replaced(
        without_pupil(&text(PUPILS), "9990102"),
        &[(
            "<DATE_MODIFICATION>02/09/2024</DATE_MODIFICATION>",
            "<DATE_SORTIE>31/08/2025</DATE_SORTIE>",
        )],
    ));
    import(&env, &pupils, &september(text(GUARDIANS)));
    // Nothing is due yet.
    assert_eq!(round(&s).await.disabled, 0);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE state = 'active'")
            .await,
        2
    );
    login_as(&s, &CAMILLE).await;

    // Day 31: both accounts are disabled, their sessions and tokens end.
    // (The hour covers the time between the clock's start and the import,
    // which ran on the machine's clock.)
    clock.advance(time::Duration::days(30) + time::Duration::hours(1));
    let camille_at = access_token(&s, &CAMILLE).await;
    let camille_browser = login_as(&s, &CAMILLE).await;
    let olivier_browser = login_as(&s, &OLIVIER).await;
    let (_, html) = page(&camille_browser, &format!("{}/", s.url)).await;
    assert!(html.contains("camille.martin"), "logged in: {html}");
    assert_eq!(userinfo(&s, &camille_at).await.0, 200);
    let r = round(&s).await;
    assert_eq!((r.disabled, r.notified, r.deleted), (2, 0, 0), "{r:?}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE state = 'disabled'")
            .await,
        2
    );
    let (status, _) = userinfo(&s, &camille_at).await;
    assert_eq!(status, 401, "the token died with the account");
    let c = TestServer::browser();
    let r = crate::support::log_in(&c, &s.url, &CAMILLE, &[]).await;
    assert_eq!(r.status(), 200, "no login on a disabled account");
    let (_, html) = page(&olivier_browser, &format!("{}/", s.url)).await;
    assert!(
        !html.contains("olivier.martin"),
        "the session ended: {html}"
    );
    let (_, html) = page(&camille_browser, &format!("{}/", s.url)).await;
    assert!(
        !html.contains("camille.martin"),
        "the session ended: {html}"
    );

    // Day 76: Olivier's notice (15 days before), which names no child.
    clock.advance(time::Duration::days(45));
    let r = round(&s).await;
    assert_eq!((r.notified, r.deleted), (1, 0), "{r:?}");
    let notices: Vec<_> = outbox(&env)
        .await
        .into_iter()
        .filter(|(to, subject, _)| {
            to == "olivier.martin@example.org" && subject.contains("supprimé")
        })
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].2.contains("olivier.martin"), "{}", notices[0].2);
    assert!(!notices[0].2.contains("Jean-Baptiste"), "{}", notices[0].2);
    assert_eq!(round(&s).await.notified, 0, "one notice only");

    // Day 91: both deleted; the notice stays in the outbox; the codes stay
    // spent (a leaver's code opens no new account).
    clock.advance(time::Duration::days(15));
    let r = round(&s).await;
    assert_eq!(r.deleted, 2, "{r:?}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM account_pupils").await, 0);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM mail_outbox WHERE subject LIKE '%supprimé%'")
            .await,
        1
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'leaver_account_deleted'")
            .await,
        2
    );
    let (_, html) = {
        let c = TestServer::browser();
        let (_, form) = page(&c, &format!("{}/premiere-visite/eleve", s.url)).await;
        let r = c
            .post(format!("{}/premiere-visite/eleve", s.url))
            .form(&[
                ("csrf", csrf_of(&form).as_str()),
                ("prenom", "Camille"),
                ("naissance", "16/06/2013"),
                ("code", camille.as_str()),
                ("identifiant", "camille.m2"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
                ("email", "camille@example.org"),
                ("email2", "camille@example.org"),
            ])
            .send()
            .await
            .expect("post");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    };
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts").await,
        0,
        "{html}"
    );
}

// Issue 16 §2: `sesame accounts purge` runs the same round; delays of 0
// (an administrator's choice) disable and delete at once, a guardian's
// notice going out in the same round.
#[tokio::test(flavor = "multi_thread")]
async fn accounts_purge_runs_the_leavers_round() {
    let env = TestEnv::new();
    register_ecole(&env).await;
    let codes = martin_family(&env);
    let s = TestServer::spawn(&env, |_| {}).await;
    let jb_o = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    parent(
        &s,
        &env,
        &OLIVIER,
        "olivier.martin@example.org",
        vec![["Jean-Baptiste", "03/02/2011", &jb_o, ""]],
    )
    .await;
    let at = access_token(&s, &OLIVIER).await;
    let guardians = september(without_link(&text(GUARDIANS), "9990102", "800202"));
    import(&env, &september(text(PUPILS)), &guardians);

    let out = env.sesame(&["accounts", "purge"]).ok();
    assert!(out.contains("0 désactivé(s)"), "{out}");
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 1);
    assert_eq!(userinfo(&s, &at).await.0, 200);

    // No grace: disabled now. The server's store is its own (no Redis
    // here), yet its userinfo and login read the account's state.
    let out = env
        .sesame_with(
            &["accounts", "purge"],
            &[("SESAME__ACCOUNTS__LEAVER_GRACE_DAYS", "0")],
        )
        .ok();
    assert!(out.contains("1 désactivé(s), 0 avis"), "{out}");
    assert_eq!(userinfo(&s, &at).await.0, 401);
    let r = crate::support::log_in(&TestServer::browser(), &s.url, &OLIVIER, &[]).await;
    assert_eq!(r.status(), 200, "no login on a disabled account");

    let zero = [
        ("SESAME__ACCOUNTS__LEAVER_GRACE_DAYS", "0"),
        ("SESAME__ACCOUNTS__RETENTION_DAYS", "0"),
        ("SESAME__ACCOUNTS__DELETION_NOTICE_DAYS", "0"),
    ];
    let out = env.sesame_with(&["accounts", "purge"], &zero).ok();
    assert!(
        out.contains("0 désactivé(s), 1 avis de suppression envoyé(s), 1 supprimé(s)"),
        "{out}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM accounts").await, 0);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM mail_outbox WHERE recipient = 'olivier.martin@example.org' AND subject LIKE '%supprimé%'")
            .await,
        1
    );

    // A retention shorter than the grace is refused, naming the key.
    let bad = env
        .sesame_with(
            &["accounts", "purge"],
            &[
                ("SESAME__ACCOUNTS__LEAVER_GRACE_DAYS", "30"),
                ("SESAME__ACCOUNTS__RETENTION_DAYS", "10"),
            ],
        )
        .fails_with(3);
    assert!(bad.contains("accounts.retention_days"), "{bad}");
}

// Issue 16 §1–2: a DATE_SORTIE still to come keeps the pupil until that
// day; from then on the attributes go at once and the job takes the child
// away from the guardians; a later export showing the pupil back returns
// the pupil's own account.
#[tokio::test(flavor = "multi_thread")]
async fn a_leaving_date_to_come_applies_on_its_day_and_a_return_restores_the_pupil() {
    let env = TestEnv::new();
    register_ent(&env);
    env.import_samples();
    let printed = generate_codes(&env);
    let (codes, camille) = (
        guardian_codes(&printed),
        pupil_code(&printed, "Camille MARTIN"),
    );
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    sign_up_camille(&s.client, &s.url, &camille, PASSWORD).await;
    let ca_o = code_of(&codes, "Olivier MARTIN", "Camille");
    parent(
        &s,
        &env,
        &OLIVIER,
        "olivier.martin@example.org",
        vec![["Camille", "16/06/2013", &ca_o, ""]],
    )
    .await;

    let on = time::OffsetDateTime::now_utc().date() + time::Duration::days(10);
    let sortie = format!(
        "<DATE_SORTIE>{:02}/{:02}/{}</DATE_SORTIE>",
        on.day(),
        u8::from(on.month()),
        on.year()
    );
    let pupils = september(replaced(
        text(PUPILS),
        &[("<DATE_MODIFICATION>02/09/2024</DATE_MODIFICATION>", &sortie)],
    ));
    import(&env, &pupils, &september(text(GUARDIANS)));
    let a = cas_attributes(&s, &CAMILLE).await;
    assert_eq!(values(&a, "ENTEleveClasses"), strings(&["6A"]), "not yet");
    let a = cas_attributes(&s, &OLIVIER).await;
    assert_eq!(values(&a, "ENTEleveClasses"), strings(&["6A"]), "not yet");
    assert_eq!(round(&s).await.left, 0);

    // The day has come: before any round, the attributes are gone.
    clock.advance(time::Duration::days(11));
    let a = cas_attributes(&s, &CAMILLE).await;
    assert!(values(&a, "ENTEleveClasses").is_empty(), "{a:?}");
    let a = cas_attributes(&s, &OLIVIER).await;
    assert!(values(&a, "ENTEleveClasses").is_empty(), "{a:?}");
    assert!(!home(&s, &OLIVIER).await.contains("Camille"));
    // The round takes her from Olivier's account and stamps hers.
    let r = round(&s).await;
    assert_eq!(r.left, 2, "{r:?}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'child_detached'")
            .await,
        1
    );
    assert_eq!(round(&s).await.left, 0, "once");

    // She is back in a later export: her account is hers again.
    let back = replaced(
        september(text(PUPILS)),
        &[(
            "<HORODATAGE>01/09/2025 10:42:17",
            "<HORODATAGE>02/09/2025 10:42:17",
        )],
    );
    import(&env, &back, &september(text(GUARDIANS)));
    let r = round(&s).await;
    assert_eq!(r.returned, 1, "{r:?}");
    let a = cas_attributes(&s, &CAMILLE).await;
    assert_eq!(values(&a, "ENTEleveClasses"), strings(&["6A"]));
    clock.advance(time::Duration::days(31));
    let r = round(&s).await;
    assert_eq!(r.disabled, 1, "Olivier's account only: {r:?}");
    login_as(&s, &CAMILLE).await;
}
