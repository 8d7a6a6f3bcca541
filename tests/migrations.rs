//! The schema across processes and releases (issue 18 §1–2): two nodes
//! starting together on an empty database migrate once, under a lock; only
//! `migrate` and `serve` migrate; a binary runs on a schema a newer release
//! migrated when every migration it does not know was recorded compatible,
//! and refuses one that was not, naming it.

use crate::support::TestEnv;
use sea_orm::ConnectionTrait;

async fn exec(env: &TestEnv, sql: &str) {
    env.db().await.execute_unprepared(sql).await.expect(sql);
}

/// Whether the migrations table exists.
async fn migrated(env: &TestEnv) -> bool {
    let sql = if env.is_postgres() {
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'seaql_migrations'"
    } else {
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'"
    };
    env.count(sql).await > 0
}

fn race(env: &TestEnv) {
    let mut children: Vec<std::process::Child> = (0..2)
        .map(|_| {
            let mut c = env.command();
            c.arg("migrate")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn().expect("spawn")
        })
        .collect();
    for c in children.drain(..) {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "both processes start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// Two processes on one empty database, three times: each migrates or
// waits for the other, none fails (PostgreSQL: an advisory lock; SQLite: a
// file lock beside the database).
#[tokio::test(flavor = "multi_thread")]
async fn two_processes_migrating_an_empty_database_together_both_succeed() {
    for _ in 0..3 {
        let env = TestEnv::new();
        tokio::task::block_in_place(|| race(&env));
        assert!(migrated(&env).await);
        let shared = TestEnv::shared(None);
        tokio::task::block_in_place(|| race(&shared));
        assert!(migrated(&shared).await);
    }
}

// Read-only commands never migrate: on an empty database they say what to
// run, and the database stays empty.
#[tokio::test(flavor = "multi_thread")]
async fn commands_other_than_migrate_and_serve_never_migrate() {
    let env = TestEnv::new();
    for args in [
        &["audit"][..],
        &["codes", "verify", "ABCD-EFGH-JKLM"],
        &["mail", "list"],
        &["accounts", "export", "1"],
        &["import", "nothing.csv"],
    ] {
        let run = env.sesame_unmigrated(args, &[]);
        assert_eq!(run.code(), 5, "{args:?}: {}", run.stderr());
        assert!(
            run.stderr().contains("sesame migrate"),
            "{args:?}: {}",
            run.stderr()
        );
    }
    let never = [("SESAME__DATABASE__MIGRATE", "never")];
    let run = env.sesame_unmigrated(&["serve"], &never);
    assert_eq!(run.code(), 5, "{}", run.stderr());
    assert!(!migrated(&env).await, "nothing was migrated");
    env.sesame_unmigrated(&["migrate"], &never).ok();
    assert!(
        migrated(&env).await,
        "`migrate` migrates whatever the setting"
    );
    env.sesame_unmigrated(&["audit"], &[]).ok();
}

// A rollback (or an old node during a rolling upgrade): the newer
// release's compatible migrations are accepted; an incompatible or
// unrecorded one is refused by name.
#[tokio::test(flavor = "multi_thread")]
async fn a_newer_schema_is_accepted_when_compatible_and_refused_by_name_when_not() {
    let env = TestEnv::new();
    env.sesame(&["migrate"]).ok();
    let recorded = env
        .count("SELECT COUNT(*) FROM schema_compatibility WHERE compatible = TRUE")
        .await;
    assert!(
        recorded >= 10,
        "every migration's compatibility is recorded"
    );

    let expand = "m20991231_000001_future_expand";
    exec(
        &env,
        &format!("INSERT INTO seaql_migrations (version, applied_at) VALUES ('{expand}', 0)"),
    )
    .await;
    exec(
        &env,
        &format!(
            "INSERT INTO schema_compatibility (version, compatible) VALUES ('{expand}', TRUE)"
        ),
    )
    .await;
    env.sesame(&["audit"]).ok();
    env.sesame(&["migrate"]).ok();

    let contract = "m20991231_000002_future_contract";
    exec(
        &env,
        &format!("INSERT INTO seaql_migrations (version, applied_at) VALUES ('{contract}', 0)"),
    )
    .await;
    exec(
        &env,
        &format!(
            "INSERT INTO schema_compatibility (version, compatible) VALUES ('{contract}', FALSE)"
        ),
    )
    .await;
    for args in [&["audit"][..], &["migrate"], &["serve"]] {
        let err = env.sesame(args).fails_with(5);
        assert!(
            err.contains(contract) && err.contains("pas compatible"),
            "{args:?}: {err}"
        );
    }
    exec(
        &env,
        &format!("DELETE FROM schema_compatibility WHERE version = '{contract}'"),
    )
    .await;
    let err = env.sesame(&["audit"]).fails_with(5);
    assert!(
        err.contains(contract) && err.contains("pas enregistrée"),
        "{err}"
    );
}
