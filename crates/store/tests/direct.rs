//! `Database::read`: the reads that run on connections held outside the
//! pool (issue 21) answer what the pool answers, under 40 reads at once,
//! and a read dropped mid-statement (a cancelled request) leaves nothing
//! broken behind.

use sea_orm::{ConnectionTrait, Statement};
use sesame_store::Database;
use sesame_store::db::DbOptions;
use std::time::Duration;

async fn file_db(name: &str) -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join(name).display());
    let db = Database::connect(&url, &DbOptions::default())
        .await
        .expect("connect");
    db.conn()
        .execute_unprepared(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
             INSERT INTO t (id, v) VALUES (1, 'un'), (2, 'deux'), (3, 'trois');",
        )
        .await
        .expect("table");
    (dir, db)
}

fn value_of(db: &Database, id: i32) -> Statement {
    Statement::from_sql_and_values(
        db.conn().get_database_backend(),
        "SELECT v FROM t WHERE id = ?",
        [id.into()],
    )
}

async fn read_value(db: &Database, id: i32) -> Option<String> {
    db.read(value_of(db, id))
        .await
        .expect("read")
        .first()
        .map(|r| r.try_get::<String>("", "v").expect("v"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_reads_at_once_answer_what_the_rows_hold() {
    let (_dir, db) = file_db("forty.db").await;
    let reads: Vec<_> = (0..40)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move { (i, read_value(&db, i % 4).await) })
        })
        .collect();
    for r in reads {
        let (i, got) = r.await.expect("task");
        let want = [None, Some("un"), Some("deux"), Some("trois")][(i % 4) as usize];
        assert_eq!(got.as_deref(), want, "read {i}");
    }
    // A write through the pool is seen at once by the held connections.
    db.conn()
        .execute_unprepared("UPDATE t SET v = 'uno' WHERE id = 1")
        .await
        .expect("update");
    for _ in 0..8 {
        assert_eq!(read_value(&db, 1).await.as_deref(), Some("uno"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_dropped_mid_statement_leaves_no_broken_connection() {
    let (_dir, db) = file_db("dropped.db").await;
    // Warm: the held connections exist.
    for _ in 0..8 {
        assert_eq!(read_value(&db, 2).await.as_deref(), Some("deux"));
    }
    // A long statement, dropped after a millisecond, several times over.
    let long = Statement::from_string(
        db.conn().get_database_backend(),
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000000) \
         SELECT count(*) AS c FROM n",
    );
    for _ in 0..3 {
        let r = tokio::time::timeout(Duration::from_millis(1), db.read(long.clone())).await;
        assert!(r.is_err(), "the statement was cut short");
    }
    // Every read after it answers, and answers its own rows.
    for i in 0..40 {
        assert_eq!(
            read_value(&db, 1 + i % 3).await.as_deref(),
            Some(["un", "deux", "trois"][(i % 3) as usize]),
            "read {i}"
        );
    }
}
