//! Import benchmark: 100,000 pupils and 180,000 guardians (200,000 links) in
//! SIECLE XML (ISO-8859-15), imported by the real `sesame import` binary on
//! SQLite and on PostgreSQL, then imported again (the idempotent pass).
//! Reports wall time and peak resident memory (VmHWM) of the process.
//!
//! Run: `cargo bench --bench import` (PostgreSQL from
//! `SESAME_BENCH_DATABASE_URL`, default postgres://postgres@127.0.0.1:5432/test;
//! skipped when it does not answer). `SESAME_BENCH_PUPILS` changes the size;
//! `SESAME_BIN` runs another `sesame` binary (a build from before a
//! change); `SESAME_BENCH_ONLY=sqlite|postgresql` runs one database.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const FIRST: &[&str] = &[
    "Camille",
    "Léa",
    "Noé",
    "Chloé",
    "Inès",
    "Jean-Baptiste",
    "Zoé",
    "Lucas",
    "Hélène",
    "Élodie",
    "François",
    "Maëlys",
];
const LAST: &[&str] = &[
    "MARTIN",
    "BERNARD",
    "DUBOIS",
    "THOMAS",
    "ROBERT",
    "RICHARD",
    "PETIT",
    "DURAND",
    "LEROY",
    "MOREAU",
    "SACRÉ-CŒUR",
    "LEFÈVRE",
];

fn latin9(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            'Œ' => 0xBC,
            'œ' => 0xBD,
            c => u8::try_from(u32::from(c)).unwrap_or(b'?'),
        })
        .collect()
}

fn generate(dir: &Path, pupils: usize) -> std::io::Result<(usize, usize)> {
    let families = pupils * 9 / 10;
    let uai = "0999002X";
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("ElevesSansAdresses.xml"))?);
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n<BEE_ELEVES VERSION=\"3.0\">\n  <PARAMETRES>\n");
    s.push_str(&format!("    <UAJ>{uai}</UAJ>\n    <ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE>\n    <HORODATAGE>01/09/2026 08:00:00</HORODATAGE>\n  </PARAMETRES>\n  <DONNEES>\n    <ELEVES>\n"));
    w.write_all(&latin9(&s))?;
    for i in 0..pupils {
        let e = format!(
            "      <ELEVE ELEVE_ID=\"{id}\" ELENOET=\"{i}\">\n        <ID_NATIONAL>{i:09}AA</ID_NATIONAL>\n        <NOM_DE_FAMILLE>{last}</NOM_DE_FAMILLE>\n        <PRENOM>{first}</PRENOM>\n        <PRENOM2>Marie</PRENOM2>\n        <DATE_NAISS>{d:02}/{m:02}/{y}</DATE_NAISS>\n        <DOUBLEMENT>0</DOUBLEMENT>\n        <CODE_PAYS>100</CODE_PAYS>\n        <CODE_REGIME>24</CODE_REGIME>\n        <DATE_ENTREE>02/09/2024</DATE_ENTREE>\n        <CODE_SEXE>1</CODE_SEXE>\n        <CODE_STATUT>ST</CODE_STATUT>\n        <CODE_MEF>10010012110</CODE_MEF>\n        <CODE_COMMUNE_INSEE_NAISS>69387</CODE_COMMUNE_INSEE_NAISS>\n      </ELEVE>\n",
            id = 1_000_000 + i,
            last = LAST[(i % families) % LAST.len()],
            first = FIRST[i % FIRST.len()],
            d = 1 + i % 28,
            m = 1 + i % 12,
            y = 2008 + i % 10,
        );
        w.write_all(&latin9(&e))?;
    }
    w.write_all(b"    </ELEVES>\n    <STRUCTURES>\n")?;
    for i in 0..pupils {
        write!(
            w,
            "      <STRUCTURES_ELEVE ELEVE_ID=\"{}\">\n        <STRUCTURE>\n          <CODE_STRUCTURE>{}{}</CODE_STRUCTURE>\n          <TYPE_STRUCTURE>D</TYPE_STRUCTURE>\n        </STRUCTURE>\n      </STRUCTURES_ELEVE>\n",
            1_000_000 + i,
            6 - (i % 4),
            ["A", "B", "C"][i % 3]
        )?;
    }
    w.write_all(b"    </STRUCTURES>\n  </DONNEES>\n</BEE_ELEVES>\n")?;
    w.flush()?;

    let mut w = std::io::BufWriter::new(std::fs::File::create(
        dir.join("ResponsablesAvecAdresses.xml"),
    )?);
    let head = format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n<BEE_RESPONSABLES VERSION=\"2.1\">\n  <PARAMETRES>\n    <UAJ>{uai}</UAJ>\n    <HORODATAGE>01/09/2026 08:01:00</HORODATAGE>\n  </PARAMETRES>\n  <DONNEES>\n    <PERSONNES>\n"
    );
    w.write_all(head.as_bytes())?;
    let guardians = families * 2;
    for g in 0..guardians {
        let f = g / 2;
        let p = format!(
            "      <PERSONNE PERSONNE_ID=\"{id}\">\n        <LC_CIVILITE>{civ}</LC_CIVILITE>\n        <NOM_DE_FAMILLE>{last}</NOM_DE_FAMILLE>\n        <PRENOM>{first}</PRENOM>\n        <TEL_PORTABLE>+3363998{g:04}</TEL_PORTABLE>\n        <MEL>parent{g}@example.org</MEL>\n        <ADRESSE_ID>{addr}</ADRESSE_ID>\n        <CODE_PROFESSION>43</CODE_PROFESSION>\n      </PERSONNE>\n",
            id = 5_000_000 + g,
            civ = if g % 2 == 0 { "MME" } else { "M." },
            last = LAST[f % LAST.len()],
            first = FIRST[(g + 3) % FIRST.len()],
            addr = 9_000_000 + f,
        );
        w.write_all(&latin9(&p))?;
    }
    w.write_all(b"    </PERSONNES>\n    <RESPONSABLES>\n")?;
    let mut links = 0;
    for i in 0..pupils {
        let f = i % families;
        for g in [2 * f, 2 * f + 1] {
            links += 1;
            let level = if g % 20 == 19 { 2 } else { 1 };
            write!(
                w,
                "      <RESPONSABLE_ELEVE>\n        <ELEVE_ID>{}</ELEVE_ID>\n        <PERSONNE_ID>{}</PERSONNE_ID>\n        <NIVEAU_RESPONSABILITE>{level}</NIVEAU_RESPONSABILITE>\n        <CODE_PARENTE>{}</CODE_PARENTE>\n      </RESPONSABLE_ELEVE>\n",
                1_000_000 + i,
                5_000_000 + g,
                if g % 2 == 0 { 10 } else { 20 }
            )?;
        }
    }
    w.write_all(b"    </RESPONSABLES>\n    <ADRESSES>\n")?;
    for f in 0..families {
        let a = format!(
            "      <ADRESSE ADRESSE_ID=\"{}\">\n        <LIGNE1_ADRESSE>{} RUE DU SACRÉ-CŒUR</LIGNE1_ADRESSE>\n        <CODE_POSTAL>69007</CODE_POSTAL>\n        <LIBELLE_POSTAL>LYON</LIBELLE_POSTAL>\n        <CODE_PAYS>100</CODE_PAYS>\n      </ADRESSE>\n",
            9_000_000 + f,
            1 + f % 200
        );
        w.write_all(&latin9(&a))?;
    }
    w.write_all(b"    </ADRESSES>\n  </DONNEES>\n</BEE_RESPONSABLES>\n")?;
    w.flush()?;
    Ok((guardians, links))
}

/// The `sesame` binary: this build's, or `SESAME_BIN` (a copy of the
/// binary from before a change, for before/after figures).
fn binary() -> String {
    std::env::var("SESAME_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sesame").into())
}

/// Runs `sesame import` and returns (wall time, peak RSS in MiB, stdout).
fn timed_import(dir: &Path, db_url: &str) -> (Duration, u64, String) {
    let started = Instant::now();
    let mut child = Command::new(binary())
        .current_dir(dir)
        .env("SESAME__DATABASE__URL", db_url)
        .env("SESAME__SERVER__DATA_DIR", dir.join("data"))
        .args([
            "import",
            "ElevesSansAdresses.xml",
            "ResponsablesAvecAdresses.xml",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn sesame");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(line) = s.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(kib);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    let out = child.wait_with_output().expect("output");
    assert!(out.status.success(), "import failed");
    (
        elapsed,
        peak_kib / 1024,
        String::from_utf8_lossy(&out.stdout).into_owned(),
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
    let (guardians, links) = generate(dir.path(), pupils).expect("generate");
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
    if only == "sqlite" {
        // PostgreSQL not asked for.
    } else if run_pg_sql(&admin, &format!("CREATE DATABASE {pg_db}")) {
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or_default();
        targets.push(("PostgreSQL", format!("{base}/{pg_db}")));
    } else {
        println!("PostgreSQL not reachable at {admin}: skipped");
    }
    println!("\n| database | pass | wall time | peak RSS |\n|---|---|---|---|");
    for (name, url) in &targets {
        // The import does not migrate: the schema is made first, untimed.
        let migrated = Command::new(binary())
            .current_dir(dir.path())
            .env("SESAME__DATABASE__URL", url)
            .env("SESAME__SERVER__DATA_DIR", dir.path().join("data"))
            .arg("migrate")
            .status()
            .expect("spawn sesame migrate");
        assert!(migrated.success(), "sesame migrate failed");
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
    if targets.iter().any(|(name, _)| *name == "PostgreSQL") {
        run_pg_sql(
            &admin,
            &format!("DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)"),
        );
    }
}
