//! Letters benchmark: a SIECLE-like school of 100,000 pupils and 140,000
//! guardians (70,000 families, one guardian in twenty non-legal) imported
//! on SQLite, then `sesame letters` run by the real binary: wall time and
//! peak resident memory (VmHWM) of that process, and what it wrote.
//!
//! Run: `cargo bench --bench letters`. `SESAME_BENCH_PUPILS` and
//! `SESAME_BENCH_GUARDIANS` change the size; `SESAME_BENCH_BIN` runs
//! another `sesame` binary (an older build, to compare).

mod common;

use common::siecle::{generate, timed_sesame};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The pages of `pdf` as `pdfinfo` (poppler-utils) counts them, if it is
/// installed.
fn pages(pdf: &Path) -> Option<u64> {
    let out = std::process::Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("letters: bench");
        return;
    }
    let pupils = common::env_num("SESAME_BENCH_PUPILS", 100_000) as usize;
    let guardians = common::env_num("SESAME_BENCH_GUARDIANS", 140_000) as usize;
    let bin = std::env::var_os("SESAME_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sesame")));
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Instant::now();
    let (guardians, links) =
        generate(dir.path(), pupils, (guardians / 2).max(1)).expect("generate");
    println!(
        "generated {pupils} pupils, {guardians} guardians and {links} links in {:.1?}",
        t.elapsed()
    );
    let db = format!("sqlite://{}", dir.path().join("data/bench.db").display());
    timed_sesame(&bin, dir.path(), &db, &["migrate"]);
    let (elapsed, mib, _) = timed_sesame(
        &bin,
        dir.path(),
        &db,
        &[
            "import",
            "ElevesSansAdresses.xml",
            "ResponsablesAvecAdresses.xml",
        ],
    );
    println!(
        "imported on SQLite in {:.2} s ({mib} MiB)",
        elapsed.as_secs_f64()
    );
    let (elapsed, mib, out) = timed_sesame(
        &bin,
        dir.path(),
        &db,
        &["letters", "--uai", "0999002X", "--out", "lettres"],
    );
    if std::env::var("SESAME_BENCH_VERBOSE").is_ok() {
        print!("{out}");
    }
    let mut files = 0;
    let mut bytes = 0;
    for entry in std::fs::read_dir(dir.path().join("lettres")).expect("lettres") {
        let meta = entry.expect("entry").metadata().expect("metadata");
        files += 1;
        bytes += meta.len();
    }
    let count = |name: &str| {
        pages(&dir.path().join("lettres").join(name))
            .map_or_else(|| "? (no pdfinfo)".to_owned(), |n| n.to_string())
    };
    println!("\n| run | wall time | peak RSS | files | size | guardian pages | pupil pages |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| letters ({}) | {:.2} s | {mib} MiB | {files} | {} MiB | {} | {} |",
        bin.display(),
        elapsed.as_secs_f64(),
        bytes >> 20,
        count("lettres-responsables-0999002X.pdf"),
        count("lettres-eleves-0999002X.pdf"),
    );
}
