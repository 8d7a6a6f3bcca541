//! Loading many new rows at once (the import's first pass writes 100,000s).
//!
//! On PostgreSQL, rows go through `COPY … FROM STDIN` (text format) into an
//! unlogged staging table, then one `INSERT … SELECT` moves them into the
//! real table inside the caller's transaction: nothing reaches the real
//! tables unless that transaction commits. `COPY` cannot run on the
//! transaction's own connection (sea-orm does not lend it), so the staging
//! table is filled on another pooled connection and committed empty of
//! meaning: it is dropped inside the transaction, or by [`Bulk::cleanup`]
//! after a rollback. Elsewhere (SQLite), multi-row INSERTs in the
//! transaction: the caller's own path.

use sea_orm::sqlx::PgPool;
use sea_orm::{ConnectionTrait, DbErr};
use std::fmt::Write as _;
use std::sync::Mutex;
use time::{Date, OffsetDateTime};

/// The prefix of staging tables: a stray one (a process killed mid-import)
/// can be dropped by hand at any time no import runs.
pub const STAGE_PREFIX: &str = "sesame_import_stage_";

/// How the rows of one import run are loaded.
#[derive(Debug)]
pub struct Bulk {
    pool: Option<PgPool>,
    /// Staging tables made by this run and not yet known to be dropped.
    staged: Mutex<Vec<String>>,
}

impl Bulk {
    /// Multi-row INSERTs only (SQLite, or when COPY is not wanted).
    pub fn inserts() -> Self {
        Self {
            pool: None,
            staged: Mutex::new(Vec::new()),
        }
    }

    /// `COPY` through `pool`'s connections.
    pub fn copy(pool: PgPool) -> Self {
        Self {
            pool: Some(pool),
            staged: Mutex::new(Vec::new()),
        }
    }

    /// Whether rows go through `COPY` (else the caller inserts them).
    pub fn uses_copy(&self) -> bool {
        self.pool.is_some()
    }

    /// Loads `rows` into `table` within `txn` (PostgreSQL only: see
    /// [`Bulk::uses_copy`]). `rows` must list the columns of
    /// [`CopyRows::new`] in order.
    pub async fn load(
        &self,
        txn: &impl ConnectionTrait,
        table: &str,
        rows: CopyRows,
    ) -> Result<u64, DbErr> {
        let Some(pool) = &self.pool else {
            return Err(DbErr::Custom("COPY without PostgreSQL".into()));
        };
        if rows.count == 0 {
            return Ok(0);
        }
        let stage = stage_name(table);
        let cols = rows.columns.join(", ");
        let sqlx_err = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("COPY into {table}: {e}"));
        let mut conn = pool.acquire().await.map_err(sqlx_err)?;
        // Created empty with the column types of the real table, no
        // constraint: the real table's checks run at the INSERT.
        sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(format!(
            "CREATE UNLOGGED TABLE {stage} AS SELECT {cols} FROM {table} WITH NO DATA"
        )))
        .execute(&mut *conn)
        .await
        .map_err(sqlx_err)?;
        self.staged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(stage.clone());
        let mut copy = conn
            .copy_in_raw(&format!("COPY {stage} ({cols}) FROM STDIN"))
            .await
            .map_err(sqlx_err)?;
        copy.send(rows.buf).await.map_err(sqlx_err)?;
        copy.finish().await.map_err(sqlx_err)?;
        drop(conn);
        let r = txn
            .execute_unprepared(&format!(
                "INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage}"
            ))
            .await?;
        txn.execute_unprepared(&format!("DROP TABLE {stage}"))
            .await?;
        Ok(r.rows_affected())
    }

    /// Drops the staging tables this run made, once its transaction is
    /// over (committed: already dropped, nothing to do; rolled back: they
    /// remain). Best effort: a failure is logged.
    pub async fn cleanup(&self) {
        let Some(pool) = &self.pool else {
            return;
        };
        let staged = std::mem::take(&mut *self.staged.lock().unwrap_or_else(|p| p.into_inner()));
        for stage in staged {
            let sql = format!("DROP TABLE IF EXISTS {stage}");
            if let Err(e) = sea_orm::sqlx::raw_sql(sea_orm::sqlx::AssertSqlSafe(sql))
                .execute(pool)
                .await
            {
                tracing::warn!(error = %e, table = %stage, "import staging table not dropped");
            }
        }
    }
}

/// A staging table name no other run uses: the process, a counter and the
/// clock (several nodes may import at once).
fn stage_name(table: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{STAGE_PREFIX}{table}_{}_{n}_{nanos:x}", std::process::id())
}

/// Rows in `COPY`'s text format (PostgreSQL docs, COPY, "Text Format"):
/// tab-separated, `\N` for NULL, backslash escapes.
#[derive(Debug)]
pub struct CopyRows {
    columns: &'static [&'static str],
    buf: Vec<u8>,
    count: u64,
    /// Fields written on the current line.
    fields: usize,
}

impl CopyRows {
    /// No rows yet, for these columns.
    pub fn new(columns: &'static [&'static str]) -> Self {
        Self {
            columns,
            buf: Vec::new(),
            count: 0,
            fields: 0,
        }
    }

    fn sep(&mut self) {
        if self.fields > 0 {
            self.buf.push(b'\t');
        }
        self.fields += 1;
    }

    /// A text value.
    pub fn text(&mut self, v: &str) -> &mut Self {
        self.sep();
        for b in v.bytes() {
            match b {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                _ => self.buf.push(b),
            }
        }
        self
    }

    /// A nullable text value.
    pub fn opt_text(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    /// NULL.
    pub fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(b"\\N");
        self
    }

    /// An integer.
    pub fn int(&mut self, v: i64) -> &mut Self {
        self.sep();
        let _ = write!(Digits(&mut self.buf), "{v}");
        self
    }

    /// A nullable integer.
    pub fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        match v {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    /// A date (ISO 8601).
    pub fn date(&mut self, v: Date) -> &mut Self {
        self.sep();
        let _ = write!(
            Digits(&mut self.buf),
            "{:04}-{:02}-{:02}",
            v.year(),
            u8::from(v.month()),
            v.day()
        );
        self
    }

    /// A nullable date.
    pub fn opt_date(&mut self, v: Option<Date>) -> &mut Self {
        match v {
            Some(v) => self.date(v),
            None => self.null(),
        }
    }

    /// A timestamp with its offset, to the second (what Sésame stores).
    pub fn timestamp(&mut self, v: OffsetDateTime) -> &mut Self {
        self.sep();
        let (h, m, _) = v.offset().as_hms();
        let _ = write!(
            Digits(&mut self.buf),
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}{:+03}:{:02}",
            v.year(),
            u8::from(v.month()),
            v.day(),
            v.hour(),
            v.minute(),
            v.second(),
            h,
            m.unsigned_abs()
        );
        self
    }

    /// Ends the current row.
    pub fn end(&mut self) {
        debug_assert_eq!(self.fields, self.columns.len(), "COPY row width");
        self.buf.push(b'\n');
        self.fields = 0;
        self.count += 1;
    }
}

/// `fmt::Write` into a byte buffer (numbers and dates only: ASCII).
struct Digits<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Digits<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::CopyRows;
    use time::macros::{date, datetime};

    /// A case: its name, what it writes, the COPY text expected.
    type Case = (&'static str, fn(&mut CopyRows), &'static str);

    /// COPY text format: separators, NULL, escapes, dates and timestamps.
    #[test]
    fn copy_text_format() {
        let table: &[Case] = &[
            (
                "plain",
                |r| {
                    r.text("Léa");
                },
                "Léa\n",
            ),
            (
                "backslash",
                |r| {
                    r.text(r"a\b");
                },
                "a\\\\b\n",
            ),
            (
                "tab, newline, CR",
                |r| {
                    r.text("a\tb\nc\rd");
                },
                "a\\tb\\nc\\rd\n",
            ),
            (
                "text that reads as NULL",
                |r| {
                    r.text(r"\N");
                },
                "\\\\N\n",
            ),
            (
                "null",
                |r| {
                    r.opt_text(None);
                },
                "\\N\n",
            ),
            (
                "empty is not null",
                |r| {
                    r.text("");
                },
                "\n",
            ),
            (
                "int",
                |r| {
                    r.int(-42);
                },
                "-42\n",
            ),
            (
                "date",
                |r| {
                    r.date(date!(2012 - 03 - 04));
                },
                "2012-03-04\n",
            ),
            (
                "timestamp",
                |r| {
                    r.timestamp(datetime!(2026-12-03 6:03:36 +1));
                },
                "2026-12-03 06:03:36+01:00\n",
            ),
            (
                "timestamp, negative offset",
                |r| {
                    r.timestamp(datetime!(2026-01-02 23:59:59 -3:30));
                },
                "2026-01-02 23:59:59-03:30\n",
            ),
        ];
        for (name, write, expected) in table {
            let mut rows = CopyRows::new(&["c"]);
            write(&mut rows);
            rows.end();
            assert_eq!(String::from_utf8_lossy(&rows.buf), *expected, "{name}");
        }
        let mut rows = CopyRows::new(&["a", "b", "c"]);
        rows.int(1).opt_int(None).opt_date(None);
        rows.end();
        rows.text("x").int(2).text("y");
        rows.end();
        assert_eq!(String::from_utf8_lossy(&rows.buf), "1\t\\N\t\\N\nx\t2\ty\n");
        assert_eq!(rows.count, 2);
    }
}
