//! Import benchmark: 100,000 pupils and 180,000 guardians (200,000 links) in
//! SIECLE XML (ISO-8859-15), imported by the real `sesame import` binary on
//! SQLite and on PostgreSQL, then imported again (the idempotent pass).
//! Reports wall time and peak resident memory (VmHWM) of the process.
//!
//! Run: `cargo bench --bench import` (PostgreSQL from
//! `SESAME_BENCH_DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/test;
//! skipped when it does not answer). `SESAME_BENCH_PUPILS` changes the size;
//! `SESAME_BIN` runs another `sesame` binary (a before figure);
//! `SESAME_BENCH_ONLY=sqlite|postgresql` runs one database.

mod common;

use common::siecle::{generate, timed_sesame};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `sesame import` and returns (wall time, peak RSS in MiB, stdout).
fn timed_import(dir: &Path, db_url: &str) -> (Duration, u64, String) {
    timed_sesame(
        Path::new(&binary()),
        dir,
        db_url,
        &[
            "import",
            "ElevesSansAdresses.xml",
            "ResponsablesAvecAdresses.xml",
        ],
    )
}

fn run_pg_sql(admin: &str, sql: &str) -> bool {
    Command::new("psql")
        .args([admin, "-tAc", sql])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("import: bench");
        return;
    }
    let pupils: usize = std::env::var("SESAME_BENCH_PUPILS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Instant::now();
    let (guardians, links) = generate(dir.path(), pupils, pupils * 9 / 10).expect("generate");
    let size = |n: &str| {
        std::fs::metadata(dir.path().join(n))
            .map(|m| m.len() / (1 << 20))
            .unwrap_or(0)
    };
    println!(
        "generated {pupils} pupils ({} MiB), {guardians} guardians and {links} links ({} MiB) in {:.1?}",
        size("ElevesSansAdresses.xml"),
        size("ResponsablesAvecAdresses.xml"),
        t.elapsed()
    );
    let only = std::env::var("SESAME_BENCH_ONLY").unwrap_or_default();
    let mut targets = Vec::new();
    if only != "postgresql" {
        targets.push((
            "SQLite",
            format!("sqlite://{}", dir.path().join("data/bench.db").display()),
        ));
    }
    let admin = std::env::var("SESAME_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let pg_db = format!("sesame_bench_{}", std::process::id());
    let pg_created = only != "sqlite" && run_pg_sql(&admin, &format!("CREATE DATABASE {pg_db}"));
    if pg_created {
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or_default();
        targets.push(("PostgreSQL", format!("{base}/{pg_db}")));
    } else if only != "sqlite" {
        println!("PostgreSQL not reachable at {admin}: skipped");
    }
    println!("\n| database | pass | wall time | peak RSS |\n|---|---|---|---|");
    for (name, url) in &targets {
        timed_sesame(Path::new(&binary()), dir.path(), url, &["migrate"]);
        for pass in ["first import", "re-import (no change)"] {
            let (elapsed, mib, out) = timed_import(dir.path(), url);
            println!(
                "| {name} | {pass} | {:.2} s | {mib} MiB |",
                elapsed.as_secs_f64()
            );
            if std::env::var("SESAME_BENCH_VERBOSE").is_ok() {
                print!("{out}");
            }
        }
    }
    if pg_created {
        run_pg_sql(
            &admin,
            &format!("DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)"),
        );
    }
}

/// The `sesame` binary measured: this build's, or `SESAME_BIN`.
fn binary() -> String {
    std::env::var("SESAME_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sesame").into())
}
