//! The CSV import format (documented in `docs/import.md`): one file of
//! pupils or one file of guardian↔pupil links, `;` or `,` separated, UTF-8
//! (Windows-1252 accepted), a header line naming the columns in any order.

use super::dates::parse_date;
use super::error::{ImportError, control_reason};
use super::limits::{Exceeded, ItemBudget, MAX_CSV_FIELD_BYTES, MAX_CSV_LINE_BYTES, read_error};
use super::siecle::SiecleExport;
use sesame_domain::text::first_forbidden_control;
use sesame_domain::{GuardianRecord, LinkRecord, PupilRecord, ResponsibilityLevel, Uai};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;

/// The columns of a pupils file.
pub const PUPIL_COLUMNS: &[&str] = &[
    "uai",
    "eleve_id",
    "nom",
    "prenom",
    "autres_prenoms",
    "date_naissance",
    "classe",
    "mef",
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
    "portable",
    "adresse",
    "eleve_id",
    "niveau",
    "code_parente",
    "etablissement",
];

/// Guardians of one school being read: the persons, their ids, their links.
type GuardiansOfSchool = (
    Uai,
    Vec<GuardianRecord>,
    HashSet<String>,
    Vec<LinkRecord>,
    u64,
);

/// A CSV export, split per school.
pub struct CsvExport {
    /// One export per UAI found in the file.
    pub exports: Vec<SiecleExport>,
    /// School names given in an `etablissement` column, per UAI.
    pub names: HashMap<String, String>,
}

/// Decodes one field: UTF-8, or Windows-1252 when it is not valid UTF-8
/// (as a spreadsheet saves it).
fn decode(field: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(field) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(field)
                .0
        }
    }
}

/// Decodes and checks the fields of a record read at `line`: each within
/// [`MAX_CSV_FIELD_BYTES`] and free of control characters (REST-05,
/// REST-06). `names` names the columns for the messages.
fn fields(
    record: &csv::ByteRecord,
    names: &[String],
    source: &str,
    line: u64,
) -> Result<Vec<String>, ImportError> {
    let mut out = Vec::with_capacity(record.len());
    for (i, raw) in record.iter().enumerate() {
        let column = match names.get(i) {
            Some(n) => format!("colonne « {n} »"),
            None => format!("colonne {}", i + 1),
        };
        if raw.len() > MAX_CSV_FIELD_BYTES {
            return Err(ImportError::at(
                source,
                line,
                column,
                "valeur de plus de 64 Kio, la taille maximale",
            ));
        }
        let value = decode(raw);
        if let Some((at, c)) = first_forbidden_control(&value) {
            let line = line + value[..at].matches('\n').count() as u64;
            return Err(ImportError::at(source, line, column, control_reason(c)));
        }
        out.push(value.trim().to_owned());
    }
    Ok(out)
}

/// Parses a CSV file, streaming: no line longer than
/// [`MAX_CSV_LINE_BYTES`] and no field longer than [`MAX_CSV_FIELD_BYTES`]
/// is read into memory.
pub fn parse(input: &mut dyn BufRead, source: &str) -> Result<CsvExport, ImportError> {
    let head = input.fill_buf().map_err(|e| read_error(source, &e))?;
    let bom = head.starts_with(b"\xEF\xBB\xBF");
    let head = if bom { &head[3..] } else { head };
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let first_line = decode(first_line);
    let delimiter = if first_line.matches(';').count() >= first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    if bom {
        input.consume(3);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .has_headers(false)
        .from_reader(ItemBudget::new(
            input,
            MAX_CSV_LINE_BYTES,
            Exceeded::CsvLine,
        ));
    let mut record = csv::ByteRecord::new();
    // Security: every record is read within a budget, so that one huge
    // line or field is refused before it is held in memory.
    let next = |rdr: &mut csv::Reader<ItemBudget<&mut dyn BufRead>>,
                record: &mut csv::ByteRecord|
     -> Result<Option<u64>, ImportError> {
        let line = rdr.position().line();
        rdr.get_mut().reset();
        match rdr.read_byte_record(record) {
            Ok(true) => Ok(Some(record.position().map_or(line, |p| p.line()))),
            Ok(false) => Ok(None),
            Err(e) => {
                let mut err = match e.kind() {
                    csv::ErrorKind::Io(io) => read_error(source, io),
                    _ => ImportError::file(source, format!("illisible : {e}")),
                };
                err.line = Some(line);
                Err(err)
            }
        }
    };
    if next(&mut rdr, &mut record)?.is_none() {
        return Err(ImportError::at(source, 1, "en-tête", "fichier vide"));
    }
    let header: Vec<String> = fields(&record, &[], source, 1)?
        .into_iter()
        .map(|h| h.to_ascii_lowercase())
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
    while let Some(line) = next(&mut rdr, &mut record)? {
        let row = fields(&record, &header, source, line)?;
        let get = |name: &str| {
            col(name)
                .and_then(|c| row.get(c))
                .map(String::as_str)
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
                .or_insert_with(|| (uai.clone(), Vec::new(), HashSet::new(), Vec::new(), 0));
            let pid = need("personne_id")?.to_owned();
            if entry.2.insert(pid.clone()) {
                let mobile = get("portable").and_then(|t| {
                    let m = sesame_domain::Mobile::parse(t).map(String::from);
                    entry.4 += u64::from(m.is_none());
                    m
                });
                entry.1.push(GuardianRecord {
                    external_id: pid.clone(),
                    civility: get("civilite").map(str::to_owned),
                    last_name: need("nom")?.to_owned(),
                    first_name: need("prenom")?.to_owned(),
                    email: get("email").filter(|m| m.contains('@')).map(str::to_owned),
                    address: get("adresse").map(|a| a.replace(" / ", "\n").replace('|', "\n")),
                    mobile,
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
                level: get("mef").map(str::to_owned),
                left_on: date("date_sortie")?,
            });
        }
    }
    let exports = if is_guardians {
        guardians
            .into_values()
            .map(
                |(uai, guardians, _, links, ignored)| SiecleExport::Guardians {
                    uai,
                    stamp: None,
                    guardians,
                    links,
                    warnings: super::siecle::mobiles_warning(ignored)
                        .into_iter()
                        .collect(),
                },
            )
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
