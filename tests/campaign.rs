//! Password-renewal campaigns (issue 20 §4): `sesame accounts campaign
//! start|status|stop`. A campaign on one school ends its accounts'
//! sessions and refresh tokens, sends their next login to the
//! new-password page until a new password is set, and leaves the other
//! schools alone; `stop` unmarks; parallel logins never bypass it.

use crate::support::fixtures::{
    Signup, UAI, code_of, confirmation_links, follow_link, generate_codes, guardian_codes,
    now_clock, pupil_code, register_oidc_clients, sign_up, sign_up_camille,
};
use crate::support::http::{page, post};
use crate::support::oidc::{authorize, code_in, exchange_as, refresh};
use crate::support::personas::log_in_answer;
use crate::support::{CAMILLE, MailSink, OLIVIER, TestEnv, TestServer, csrf_of, login_as};
use sesame_domain::FixedClock;
use std::sync::Arc;

const NEW_PASSWORD: &str = "Sésame-renouvelé-2027";

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn status(env: &TestEnv) -> serde_json::Value {
    json(
        &env.sesame(&["accounts", "campaign", "status", "--json"])
            .ok(),
    )
}

/// Olivier (parent of Jean-Baptiste, moved to a second school) and Camille
/// (pupil of the sample school), both logged in with a refresh token each.
async fn two_schools() -> (TestEnv, TestServer, MailSink, Arc<FixedClock>) {
    let env = TestEnv::new();
    register_oidc_clients(&env, &[]).await;
    // Forty logins from one address in a minute: over the default limit.
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |c| {
        c.throttle.ip_failures_per_minute = 100
    })
    .await;
    let sink = MailSink::start(&env).await;
    env.import_samples();
    let out = generate_codes(&env);
    let jb = code_of(&guardian_codes(&out), "Olivier MARTIN", "Jean-Baptiste");
    assert_eq!(sign_up(&s, &Signup::olivier(&jb)).await.0, 200);
    let link = confirmation_links(&sink.mails().await).remove(0);
    assert_eq!(follow_link(&s, &link).await.0, 200);
    let camille = pupil_code(&out, "Camille MARTIN");
    sign_up_camille(&s.client, &s.url, &camille, crate::support::PASSWORD).await;
    env.rows(
        "INSERT INTO schools (uai, name, created_at, updated_at) \
         VALUES ('0999002X', 'Collège B', '2026-09-01 00:00:00+00:00', '2026-09-01 00:00:00+00:00')",
    )
    .await;
    env.rows(
        "UPDATE pupils SET school_id = (SELECT id FROM schools WHERE uai = '0999002X') \
         WHERE first_name = 'Jean-Baptiste'",
    )
    .await;
    (env, s, sink, clock)
}

async fn refresh_token_of(s: &TestServer, browser: &reqwest::Client) -> String {
    let (r, verifier) = authorize(&s.url, browser, "teleservice", "openid", "").await;
    let t = exchange_as(&s.url, "teleservice", &code_in(&r), &verifier).await;
    t["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_on_one_school_forces_its_accounts_to_renew_and_leaves_the_others() {
    let (env, s, sink, clock) = two_schools().await;
    let camille = login_as(&s, &CAMILLE).await;
    let camille_rt = refresh_token_of(&s, &camille).await;
    let olivier = login_as(&s, &OLIVIER).await;
    let olivier_rt = refresh_token_of(&s, &olivier).await;
    env.rows(
        "UPDATE accounts SET email = 'camille@example.org' WHERE identifiant = 'camille.martin'",
    )
    .await;
    let before = sink.mails().await.len();

    // Bad input is named; nothing is marked.
    let err = env
        .sesame(&[
            "accounts",
            "campaign",
            "start",
            "--school",
            UAI,
            "--kind",
            "prof",
            "--reason",
            "x",
            "--operator",
            "rssi",
        ])
        .fails_with(4);
    assert!(err.contains("--kind"), "{err}");
    let err = env
        .sesame(&[
            "accounts",
            "campaign",
            "start",
            "--school",
            "0999003A",
            "--reason",
            "x",
            "--operator",
            "rssi",
        ])
        .fails_with(4);
    assert!(err.contains("--school"), "{err}");
    let err = env
        .sesame(&[
            "accounts",
            "campaign",
            "start",
            "--school",
            UAI,
            "--reason",
            " ",
            "--operator",
            "rssi",
        ])
        .fails_with(4);
    assert!(err.contains("--reason"), "{err}");
    assert_eq!(status(&env), serde_json::json!([]));

    let out = env
        .sesame_with(
            &[
                "accounts",
                "campaign",
                "start",
                "--school",
                UAI,
                "--reason",
                "usurpation avril",
            ],
            &[("SUDO_USER", "rssi.academie")],
        )
        .ok();
    assert!(out.contains("1 compte(s) marqué(s)"), "{out}");
    let st = status(&env);
    assert_eq!(st[0]["marked"], 1, "{st}");
    assert_eq!(st[0]["renewed"], 0, "{st}");
    assert_eq!(st[0]["operator"], "rssi.academie", "{st}");
    assert_eq!(st[0]["scope"], UAI, "{st}");

    // Camille's old session and refresh token are dead; Olivier's live on.
    let (code, _) = refresh(&s, &camille_rt).await;
    assert_eq!(code, 400, "the refresh token ended");
    let r = camille
        .get(format!("{}/compte", s.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 303, "the session ended");
    let (code, _) = refresh(&s, &olivier_rt).await;
    assert_eq!(code, 200, "another school's token lives on");
    let r = olivier
        .get(format!("{}/compte", s.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200, "another school's session lives on");
    let mails = sink.mails().await;
    assert_eq!(mails.len(), before + 1, "one notice, to Camille's address");
    assert!(
        mails
            .last()
            .expect("notice")
            .2
            .contains("nouveau mot de passe")
    );

    // Her next login with the old password: the new-password page only,
    // and no service until a new password is set.
    let c = TestServer::browser();
    let (code, location, _) = log_in_answer(&c, &s.url, &CAMILLE).await;
    assert_eq!(
        (code, location.as_str()),
        (303, "/compte/nouveau-mot-de-passe")
    );
    let (r, _) = authorize(&s.url, &c, "teleservice", "openid", "").await;
    let loc = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap_or("").to_owned());
    assert!(
        !loc.clone().unwrap_or_default().contains("code="),
        "no code: {loc:?}"
    );
    let (_, html) = page(&c, &format!("{}/compte/nouveau-mot-de-passe", s.url)).await;
    assert!(html.contains("différent de l'ancien"), "{html}");
    let url = format!("{}/compte/nouveau-mot-de-passe", s.url);
    let form = |html: &str, pw: &str| {
        [
            ("csrf", csrf_of(html)),
            ("nouveau", pw.to_owned()),
            ("nouveau2", pw.to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v))
    };
    let (code, _, html) = post(&c, &url, &form(&html, crate::support::PASSWORD)).await;
    assert_eq!(code, 422, "the old password again is refused");
    assert!(
        html.contains("différent de votre ancien mot de passe"),
        "{html}"
    );
    let (code, location, _) = post(&c, &url, &form(&html, NEW_PASSWORD)).await;
    assert_eq!((code, location.as_str()), (303, "/"));
    refresh_token_of(&s, &c).await;
    let st = status(&env);
    assert_eq!(st[0]["renewed"], 1, "{st}");
    assert_eq!(st[0]["pending"], 0, "{st}");

    // Renewed: the next login is an ordinary one; Olivier's never changed.
    let (code, location, _) = log_in_answer(
        &TestServer::browser(),
        &s.url,
        &CAMILLE.with_password(NEW_PASSWORD),
    )
    .await;
    assert_eq!((code, location.as_str()), (303, "/"));
    let (code, location, _) = log_in_answer(&TestServer::browser(), &s.url, &OLIVIER).await;
    assert_eq!((code, location.as_str()), (303, "/"));

    // Audited with the operator.
    let events = json(&env.sesame(&["audit", "--json"]).ok());
    let kinds: Vec<_> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| {
            e["detail"]
                .as_str()
                .is_some_and(|d| d.contains("opérateur : rssi.academie"))
        })
        .map(|e| e["kind"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        kinds.contains(&"renewal_campaign_started".to_owned()),
        "{events}"
    );
    assert!(
        kinds.contains(&"password_renewal_required".to_owned()),
        "{events}"
    );

    // What the campaign revoked stays revoked past every lifetime of the
    // session and of the store's copy of the generation.
    let hours = sesame_service::Config::default().session.absolute_hours;
    let by = time::Duration::hours(i64::try_from(hours).expect("hours") + 2);
    clock.advance(by);
    env.advance_store(by.unsigned_abs()).await;
    let (code, _) = refresh(&s, &camille_rt).await;
    assert_eq!(code, 400, "the campaign's revocation lasts");
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_logins_of_a_marked_account_never_bypass_the_renewal_and_stop_unmarks() {
    let (env, s, _sink, _) = two_schools().await;
    env.sesame(&[
        "accounts",
        "campaign",
        "start",
        "--all",
        "--kind",
        "eleve",
        "--reason",
        "test",
        "--operator",
        "rssi",
    ])
    .ok();
    assert_eq!(status(&env)[0]["marked"], 1, "only the pupil");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let url = s.url.clone();
        tasks.spawn(async move {
            let c = TestServer::browser();
            let (code, location, _) = log_in_answer(&c, &url, &CAMILLE).await;
            let (r, _) = authorize(&url, &c, "teleservice", "openid", "").await;
            let loc = r
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or("")
                .to_owned();
            (code, location, loc)
        });
    }
    let mut renewal_page = 0;
    while let Some(r) = tasks.join_next().await {
        let (code, location, loc) = r.expect("task");
        // A login that waited too long behind the others is refused (429):
        // no session either way. None gets a session that reaches a service.
        assert!(
            code == 429 || (code, location.as_str()) == (303, "/compte/nouveau-mot-de-passe"),
            "{code} {location}"
        );
        renewal_page += usize::from(code == 303);
        assert!(!loc.contains("code="), "no code: {loc}");
    }
    assert!(
        renewal_page > 0,
        "some logins went through, to the renewal page"
    );
    let (code, location, _) = log_in_answer(&TestServer::browser(), &s.url, &OLIVIER).await;
    assert_eq!(
        (code, location.as_str()),
        (303, "/"),
        "a parent is not marked"
    );

    let err = env
        .sesame(&["accounts", "campaign", "stop", "99", "--operator", "rssi"])
        .fails_with(4);
    assert!(err.contains("n°99"), "{err}");
    let out = env
        .sesame(&["accounts", "campaign", "stop", "1", "--operator", "rssi"])
        .ok();
    assert!(out.contains("1 compte(s)"), "{out}");
    let (code, location, _) = log_in_answer(&TestServer::browser(), &s.url, &CAMILLE).await;
    assert_eq!((code, location.as_str()), (303, "/"), "unmarked");
    let st = status(&env);
    assert_eq!(
        (st[0]["renewed"].clone(), st[0]["pending"].clone()),
        (0.into(), 0.into()),
        "{st}"
    );
    assert!(st[0]["stopped_at"].is_string(), "{st}");
    env.sesame(&["accounts", "campaign", "stop", "1", "--operator", "rssi"])
        .fails_with(4);
}
