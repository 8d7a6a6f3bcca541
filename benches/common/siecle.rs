//! A SIECLE-like school for the benchmarks that run the `sesame` binary
//! (import, letters), and the measure of such a run.

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

pub fn latin9(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            'Œ' => 0xBC,
            'œ' => 0xBD,
            c => u8::try_from(u32::from(c)).unwrap_or(b'?'),
        })
        .collect()
}

/// Writes `ElevesSansAdresses.xml` and `ResponsablesAvecAdresses.xml` of
/// school 0999002X into `dir`: `pupils` pupils in classes 3A to 6C, and
/// two guardians for each of `families` families (one in twenty a
/// non-legal one), each pupil in family `i % families`. Answers (guardians,
/// links).
pub fn generate(dir: &Path, pupils: usize, families: usize) -> std::io::Result<(usize, usize)> {
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

/// Runs `bin` (the `sesame` binary) with `args` in `dir` on the database
/// `db_url`, and returns (wall time, peak RSS in MiB read from VmHWM of
/// `/proc/<pid>/status`, stdout). Panics when it fails.
pub fn timed_sesame(
    bin: &Path,
    dir: &Path,
    db_url: &str,
    args: &[&str],
) -> (Duration, u64, String) {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .current_dir(dir)
        .env("SESAME__DATABASE__URL", db_url)
        .env("SESAME__SERVER__DATA_DIR", dir.join("data"))
        .args(args)
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
    assert!(out.status.success(), "sesame {args:?} failed");
    (
        elapsed,
        peak_kib / 1024,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
