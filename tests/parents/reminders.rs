//! Confirmation reminders (issue 16 §4): on the configured days after
//! sign-up, by the periodic job, each with a fresh link superseding the
//! earlier ones; one per day whatever the number of nodes running the job.

use super::*;
use crate::support::MailSink;
use crate::support::worker_app;
use sesame_service::periodic;

/// Runs the periodic job `runs` times at once on each of two "nodes" (two
/// applications on the same database and clock); answers the reminders
/// queued in all.
async fn job_on_two_nodes(nodes: &[Arc<sesame_service::App>; 2], runs: usize) -> usize {
    let mut rounds = tokio::task::JoinSet::new();
    for app in nodes {
        for _ in 0..runs {
            let app = app.clone();
            rounds.spawn(async move { periodic::run_once(&app).await });
        }
    }
    let mut reminded = 0;
    while let Some(r) = rounds.join_next().await {
        reminded += r.expect("join").expect("job round").reminded;
    }
    reminded
}

fn reminders(mails: &[(String, String, String)]) -> usize {
    mails
        .iter()
        .filter(|(_, subject, _)| subject.contains("rappel"))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unconfirmed_parent_is_reminded_on_days_3_and_6_with_a_fresh_link_each_time() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    let sink = MailSink::with_clock(&env, clock.clone()).await;
    let nodes = [
        Arc::new(worker_app(&env, clock.clone(), |_| {}).await),
        Arc::new(worker_app(&env, clock.clone(), |_| {}).await),
    ];
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    assert_eq!(sign_up(&s, &Signup::olivier(&jb)).await.0, 200);
    // Sophie confirms at once: she is never reminded.
    let ca = code_of(&codes, "Sophie MARTIN", "Camille");
    let sophie = Signup {
        joint: false,
        rows: vec![["Camille", "16/06/2013", &ca, ""]],
        identifiant: "sophie.martin",
        password: PASSWORD,
        email: "sophie.martin@example.org",
    };
    assert_eq!(sign_up(&s, &sophie).await.0, 200);
    let mails = sink.wait(2).await;
    let first = confirmation_links(&mails);
    assert_eq!(first.len(), 2);
    let sophie_link = mails
        .iter()
        .find(|(to, _, _)| to.contains("sophie.martin@example.org"))
        .map(|(_, _, text)| link_in(text, "/confirmation"))
        .expect("Sophie's mail");
    assert_eq!(follow_link(&s, &sophie_link).await.0, 200);
    let olivier_link = first
        .into_iter()
        .find(|l| *l != sophie_link)
        .expect("Olivier's link");

    // Before day 3: nothing.
    clock.advance(time::Duration::days(3) - time::Duration::minutes(1));
    assert_eq!(job_on_two_nodes(&nodes, 4).await, 0);
    assert_eq!(reminders(&sink.mails().await), 0);

    // Day 3: one reminder, whatever the parallel runs, with a new link.
    clock.advance(time::Duration::minutes(2));
    assert_eq!(job_on_two_nodes(&nodes, 6).await, 1);
    assert_eq!(job_on_two_nodes(&nodes, 2).await, 0, "once a day");
    let mails = sink.wait(3).await;
    assert_eq!(reminders(&mails), 1, "{mails:?}");
    let (to, subject, text) = mails.last().expect("the reminder").clone();
    assert!(to.contains("olivier.martin@example.org"), "{to}");
    assert!(subject.contains("rappel"), "{subject}");
    assert!(text.contains("olivier.martin"), "{text}");
    let day3 = link_in(&text, "/confirmation");
    assert_ne!(day3, olivier_link);
    // The first link no longer works.
    let (status, html) = page(&s.client, &format!("{}{olivier_link}", s.url)).await;
    assert_eq!(status, 404, "{html}");
    assert!(html.contains("Lien non valable"), "{html}");

    // Day 6: the second reminder; the day-3 link is superseded in turn.
    clock.advance(time::Duration::days(3));
    assert_eq!(job_on_two_nodes(&nodes, 6).await, 1);
    assert_eq!(job_on_two_nodes(&nodes, 2).await, 0);
    let mails = sink.wait(4).await;
    assert_eq!(reminders(&mails), 2);
    let day6 = link_in(&mails.last().expect("reminder").2, "/confirmation");
    let (status, html) = page(&s.client, &format!("{}{day3}", s.url)).await;
    assert_eq!(status, 404);
    assert!(html.contains("Lien non valable"), "{html}");
    let (status, html) = page(&s.client, &format!("{}{day6}", s.url)).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(
        env.count("SELECT COUNT(*) FROM audit_events WHERE kind = 'confirmation_reminded'")
            .await,
        2
    );

    // Past day 7: no third reminder, and the purge is unchanged.
    clock.advance(time::Duration::days(1));
    let round = periodic::run_once(&nodes[0]).await.expect("round");
    assert_eq!((round.reminded, round.purged), (0, 1));
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE identifiant = 'olivier.martin'")
            .await,
        0
    );
    assert_eq!(
        env.count("SELECT COUNT(*) FROM accounts WHERE identifiant = 'sophie.martin'")
            .await,
        1
    );
    assert_eq!(reminders(&sink.mails().await), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn reminder_days_are_configurable_and_a_late_run_sends_one_reminder_only() {
    let env = TestEnv::new();
    let codes = martin_family(&env);
    let clock = now_clock();
    let s = TestServer::spawn_with_clock(&env, clock.clone(), |_| {}).await;
    let sink = MailSink::with_clock(&env, clock.clone()).await;
    let days = |d: Vec<u32>| {
        move |c: &mut sesame_service::Config| c.accounts.confirmation_reminder_days = d
    };
    let jb = code_of(&codes, "Olivier MARTIN", "Jean-Baptiste");
    assert_eq!(sign_up(&s, &Signup::olivier(&jb)).await.0, 200);
    sink.wait(1).await;

    // Configured on day 2 only: nothing on day 1, one on day 2.
    let node = worker_app(&env, clock.clone(), days(vec![2])).await;
    clock.advance(time::Duration::days(1) + time::Duration::hours(1));
    assert_eq!(periodic::run_once(&node).await.expect("round").reminded, 0);
    clock.advance(time::Duration::days(1));
    assert_eq!(periodic::run_once(&node).await.expect("round").reminded, 1);
    assert_eq!(reminders(&sink.wait(2).await), 1);

    // No reminder configured: none.
    let none = worker_app(&env, clock.clone(), days(vec![])).await;
    clock.advance(time::Duration::days(4));
    assert_eq!(periodic::run_once(&none).await.expect("round").reminded, 0);

    // The default days (3, 6), the job down until day 6: one reminder, not two.
    let late = worker_app(&env, clock.clone(), |_| {}).await;
    assert_eq!(periodic::run_once(&late).await.expect("round").reminded, 1);
    assert_eq!(periodic::run_once(&late).await.expect("round").reminded, 0);
    assert_eq!(reminders(&sink.wait(3).await), 2);

    // A day outside the week to confirm is refused, naming the key.
    let err = env
        .sesame_with(
            &["check-config"],
            &[("SESAME__ACCOUNTS__CONFIRMATION_REMINDER_DAYS", "[3, 7]")],
        )
        .fails_with(3);
    assert!(
        err.contains("accounts.confirmation_reminder_days") && err.contains("day 7"),
        "{err}"
    );
}
