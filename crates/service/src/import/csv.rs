//! The CSV import format (documented in `docs/import.md`): one file of
//! pupils or one file of guardian↔pupil links, `;` or `,` separated, UTF-8
//! (Windows-1252 accepted), a header line naming the columns in any order.

use super::error::{ImportError, parse_date};
use super::siecle::SiecleExport;
use sesame_domain::{GuardianRecord, LinkRecord, PupilRecord, ResponsibilityLevel, Uai};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The columns of a pupils file.
pub const PUPIL_COLUMNS: &[&str] = &[
    "uai",
    "eleve_id",
    "nom",
    "prenom",
    "autres_prenoms",
    "date_naissance",
    "classe",
    "ine",
    "date_sortie",
    "etablissement",
];
/// The columns of a guardians file.
pub const GUARDIAN_COLUMNS: &[&str] = &[
    "uai",
    "personne_id",
    "civilite",
    "nom",
    "prenom",
    "email",
    "adresse",
    "eleve_id",
    "niveau",
    "code_parente",
    "etablissement",
];

/// Guardians of one school being read: the persons, their ids, their links.
type GuardiansOfSchool = (Uai, Vec<GuardianRecord>, HashSet<String>, Vec<LinkRecord>);

/// A CSV export, split per school.
pub struct CsvExport {
    /// One export per UAI found in the file.
    pub exports: Vec<SiecleExport>,
    /// School names given in an `etablissement` column, per UAI.
    pub names: HashMap<String, String>,
}

/// Parses a CSV file's bytes.
pub fn parse(bytes: &[u8], source: &str) -> Result<CsvExport, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0,
    };
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.matches(';').count() >= first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| ImportError::at(source, 1, "en-tête", format!("illisible : {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let is_guardians = col("personne_id").is_some();
    let known = if is_guardians {
        GUARDIAN_COLUMNS
    } else {
        PUPIL_COLUMNS
    };
    for h in &header {
        if !known.contains(&h.as_str()) {
            return Err(ImportError::at(
                source,
                1,
                format!("colonne « {h} »"),
                format!(
                    "colonne inconnue ; colonnes possibles : {}",
                    known.join(", ")
                ),
            ));
        }
    }
    let required: &[&str] = if is_guardians {
        &["uai", "personne_id", "nom", "prenom", "eleve_id", "niveau"]
    } else {
        &["uai", "eleve_id", "nom", "prenom", "date_naissance"]
    };
    for r in required {
        if col(r).is_none() {
            return Err(ImportError::at(
                source,
                1,
                "en-tête",
                format!("colonne obligatoire « {r} » absente"),
            ));
        }
    }

    let mut names = HashMap::new();
    let mut pupils: BTreeMap<String, (Uai, Vec<PupilRecord>, HashSet<String>)> = BTreeMap::new();
    let mut guardians: BTreeMap<String, GuardiansOfSchool> = BTreeMap::new();
    for (i, row) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let row =
            row.map_err(|e| ImportError::at(source, line, "ligne", format!("illisible : {e}")))?;
        let get = |name: &str| {
            col(name)
                .and_then(|c| row.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let need = |name: &str| {
            get(name).ok_or_else(|| {
                ImportError::at(
                    source,
                    line,
                    format!("colonne « {name} »"),
                    "valeur obligatoire vide",
                )
            })
        };
        let uai_text = need("uai")?;
        let uai = Uai::parse(uai_text)
            .map_err(|e| ImportError::at(source, line, "colonne « uai »", e.to_string()))?;
        if let Some(n) = get("etablissement") {
            names.insert(uai.to_string(), n.to_owned());
        }
        if is_guardians {
            let entry = guardians
                .entry(uai.to_string())
                .or_insert_with(|| (uai.clone(), Vec::new(), HashSet::new(), Vec::new()));
            let pid = need("personne_id")?.to_owned();
            if entry.2.insert(pid.clone()) {
                entry.1.push(GuardianRecord {
                    external_id: pid.clone(),
                    civility: get("civilite").map(str::to_owned),
                    last_name: need("nom")?.to_owned(),
                    first_name: need("prenom")?.to_owned(),
                    email: get("email").filter(|m| m.contains('@')).map(str::to_owned),
                    address: get("adresse").map(|a| a.replace(" / ", "\n").replace('|', "\n")),
                });
            }
            let level_text = need("niveau")?;
            let level = level_text
                .parse::<i16>()
                .ok()
                .and_then(ResponsibilityLevel::from_i16)
                .ok_or_else(|| {
                    ImportError::at(
                        source,
                        line,
                        "colonne « niveau »",
                        format!("« {level_text} » inconnu (attendu 1, 2 ou 3)"),
                    )
                })?;
            entry.3.push(LinkRecord {
                guardian_id: pid,
                pupil_id: need("eleve_id")?.to_owned(),
                level,
                relationship: get("code_parente").and_then(|c| c.parse().ok()),
            });
        } else {
            let entry = pupils
                .entry(uai.to_string())
                .or_insert_with(|| (uai.clone(), Vec::new(), HashSet::new()));
            let id = need("eleve_id")?.to_owned();
            if !entry.2.insert(id.clone()) {
                return Err(ImportError::at(
                    source,
                    line,
                    "colonne « eleve_id »",
                    format!("{id} en double dans le fichier"),
                ));
            }
            let date = |name: &str| -> Result<Option<time::Date>, ImportError> {
                get(name)
                    .map(|d| {
                        parse_date(d).map_err(|r| {
                            ImportError::at(source, line, format!("colonne « {name} »"), r)
                        })
                    })
                    .transpose()
            };
            entry.1.push(PupilRecord {
                external_id: id,
                ine: get("ine").map(str::to_owned),
                last_name: need("nom")?.to_owned(),
                first_name: need("prenom")?.to_owned(),
                other_first_names: get("autres_prenoms").map(str::to_owned),
                birth_date: date("date_naissance")?.ok_or_else(|| {
                    ImportError::at(
                        source,
                        line,
                        "colonne « date_naissance »",
                        "valeur obligatoire vide",
                    )
                })?,
                class: get("classe").map(str::to_owned),
                left_on: date("date_sortie")?,
            });
        }
    }
    let exports = if is_guardians {
        guardians
            .into_values()
            .map(|(uai, guardians, _, links)| SiecleExport::Guardians {
                uai,
                stamp: None,
                guardians,
                links,
                warnings: Vec::new(),
            })
            .collect()
    } else {
        pupils
            .into_values()
            .map(|(uai, pupils, _)| SiecleExport::Pupils {
                uai,
                stamp: None,
                pupils,
            })
            .collect()
    };
    Ok(CsvExport { exports, names })
}
