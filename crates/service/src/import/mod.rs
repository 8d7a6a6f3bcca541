//! `sesame import`: reading school exports (SIECLE XML, CSV; plain or zipped)
//! and applying them to the database in one transaction.

pub mod csv;
mod dates;
mod error;
pub mod limits;
pub mod schools;
pub mod siecle;
mod source;

pub use dates::parse_date;
pub use error::ImportError;
pub use siecle::SiecleExport;

use crate::app::App;
use sesame_store::leavers;
use sesame_store::school_data::{self, Counts, GuardianCounts};
use sesame_store::{StoreError, WriteTxn};
use std::collections::HashMap;
use std::path::PathBuf;

/// Why an import run failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportRunError {
    /// A file was refused: nothing was written.
    #[error("{0}")]
    Refused(#[from] ImportError),
    /// The database failed: nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sesame_store::DbErr> for ImportRunError {
    fn from(e: sesame_store::DbErr) -> Self {
        Self::Store(StoreError::Db(e))
    }
}

/// Options of an import run.
#[derive(Debug, Default, Clone)]
pub struct ImportOptions {
    /// Name to give the one school of the files (`--school-name`): a run
    /// whose files hold several schools is refused.
    pub school_name: Option<String>,
    /// Names by UAI (`--schools`), for runs with several schools.
    pub schools: Option<schools::SchoolNames>,
}

/// What one file changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// A pupils file.
    Pupils(Counts),
    /// A guardians file.
    Guardians(GuardianCounts),
}

/// One line of the report: a file (or a school within a CSV file).
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file.
    pub source: String,
    /// The school.
    pub uai: String,
    /// What changed.
    pub outcome: FileOutcome,
    /// Anomalies worth a look that did not stop the import.
    pub warnings: Vec<String>,
}

/// What an import run did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// One entry per file and school.
    pub files: Vec<FileReport>,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn line(
            f: &mut std::fmt::Formatter<'_>,
            what: &str,
            c: &Counts,
            ignored: &str,
        ) -> std::fmt::Result {
            write!(
                f,
                "  {what} : {} créé(s), {} mis à jour, {} inchangé(s), {} parti(s)",
                c.created, c.updated, c.unchanged, c.left
            )?;
            if c.ignored > 0 {
                write!(f, ", {} ignoré(s) ({ignored})", c.ignored)?;
            }
            if c.accounts > 0 {
                write!(f, " ; {} compte(s) mis à jour en conséquence", c.accounts)?;
            }
            writeln!(f)
        }
        for r in &self.files {
            writeln!(f, "{} — établissement {}", r.source, r.uai)?;
            match &r.outcome {
                FileOutcome::Pupils(c) => line(f, "élèves", c, "")?,
                FileOutcome::Guardians(g) => {
                    line(
                        f,
                        "responsables",
                        &g.guardians,
                        "sans lien avec un élève de l'établissement",
                    )?;
                    line(
                        f,
                        "liens responsable-élève",
                        &g.links,
                        "élève ou personne inconnus",
                    )?;
                }
            }
            for w in &r.warnings {
                writeln!(f, "  attention : {w}")?;
            }
        }
        Ok(())
    }
}

/// Which pass reads a file: pupils first, so that links find their pupils.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Pupils,
    Guardians,
}

/// Tells from a file's first bytes which pass it belongs to. Files that are
/// neither are read in the first pass, where parsing refuses them.
fn pass_of(kind: source::Kind, head: &[u8]) -> Pass {
    let head = String::from_utf8_lossy(&head[..head.len().min(64 * 1024)]);
    let guardians = match kind {
        source::Kind::Xml => head.contains("<BEE_RESPONSABLES"),
        source::Kind::Csv => head
            .lines()
            .next()
            .is_some_and(|l| l.to_ascii_lowercase().contains("personne_id")),
    };
    if guardians {
        Pass::Guardians
    } else {
        Pass::Pupils
    }
}

fn parse_one(
    label: &str,
    kind: source::Kind,
    reader: &mut dyn std::io::BufRead,
) -> Result<Vec<(SiecleExport, Option<String>)>, ImportError> {
    match kind {
        source::Kind::Xml => Ok(vec![(siecle::parse(reader, label)?, None)]),
        source::Kind::Csv => {
            let parsed = csv::parse(reader, label)?;
            Ok(parsed
                .exports
                .into_iter()
                .map(|export| {
                    let uai = match &export {
                        SiecleExport::Pupils { uai, .. } | SiecleExport::Guardians { uai, .. } => {
                            uai.to_string()
                        }
                    };
                    let name = parsed.names.get(&uai).cloned();
                    (export, name)
                })
                .collect())
        }
    }
}

/// Imports `paths` in one transaction: either every file is applied, or (on
/// the first refused file or database error) nothing is written.
///
/// Performance (issue 21): a thread reads and parses the files while this
/// one applies them, in order; at most one parsed file waits, so memory
/// holds two files' records at most.
pub async fn run(
    app: &App,
    paths: &[PathBuf],
    opts: &ImportOptions,
) -> Result<ImportReport, ImportRunError> {
    // PostgreSQL: new rows through COPY and staging tables, dropped here
    // whatever the outcome (`sesame_store::bulk`).
    let bulk = app.db.bulk();
    let r = run_in(app, &bulk, paths, opts).await;
    bulk.cleanup().await;
    r
}

/// What the reading thread hands over: one school's export of a file, or
/// the reason the files stop there.
type Parsed = Result<(String, SiecleExport, Option<String>), ImportError>;

/// Reads `paths`, pupils' files first, and sends each school's export in
/// order; stops at the first refused file, or when nobody listens.
fn read_all(paths: &[PathBuf], out: &std::sync::mpsc::SyncSender<Parsed>) {
    for pass in [Pass::Pupils, Pass::Guardians] {
        for path in paths {
            let read = source::for_each_input(path, &mut |label, kind, reader| {
                let head = reader
                    .fill_buf()
                    .map_err(|e| limits::read_error(label, &e))?;
                if pass_of(kind, head) != pass {
                    return Ok(());
                }
                for (export, name) in parse_one(label, kind, reader)? {
                    if out.send(Ok((label.to_owned(), export, name))).is_err() {
                        // The applying side stopped (a failure it reports).
                        return Err(ImportError::file(label, "arrêté"));
                    }
                }
                Ok(())
            });
            if let Err(e) = read {
                let _ = out.send(Err(e));
                return;
            }
        }
    }
}

async fn run_in(
    app: &App,
    bulk: &sesame_store::bulk::Bulk,
    paths: &[PathBuf],
    opts: &ImportOptions,
) -> Result<ImportReport, ImportRunError> {
    let txn = app.db.conn().begin_write().await?;
    let handle = tokio::runtime::Handle::current();
    let report = tokio::task::block_in_place(|| {
        std::thread::scope(|scope| -> Result<ImportReport, ImportRunError> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Parsed>(1);
            scope.spawn(move || read_all(paths, &tx));
            let mut report = ImportReport::default();
            let mut stamps: HashMap<(String, bool), String> = HashMap::new();
            let mut single_school: Option<String> = None;
            // Leaving this loop early drops `rx`: the reading thread stops.
            for parsed in rx {
                let (label, export, name) = parsed?;
                let uai = match &export {
                    SiecleExport::Pupils { uai, .. } | SiecleExport::Guardians { uai, .. } => {
                        uai.to_string()
                    }
                };
                if opts.school_name.is_some() {
                    match &single_school {
                        Some(first) if *first != uai => {
                            return Err(ImportError::file(
                                &label,
                                format!("--school-name nomme un seul établissement, or ces fichiers en contiennent plusieurs ({first}, {uai}) : donnez plutôt un fichier --schools (une ligne « uai;nom » par établissement)"),
                            )
                            .into());
                        }
                        _ => single_school = Some(uai.clone()),
                    }
                }
                let listed = opts.schools.as_ref().and_then(|s| s.get(&uai));
                let name = opts
                    .school_name
                    .as_deref()
                    .or(listed.map(String::as_str))
                    .or(name.as_deref());
                let mut r =
                    handle.block_on(apply(app, &txn, bulk, &label, export, name, &mut stamps))?;
                if opts.schools.is_some() && listed.is_none() {
                    r.warnings.push(format!(
                        "{uai} absent du fichier des établissements : son nom ne change pas"
                    ));
                }
                report.files.push(r);
            }
            Ok(report)
        })
    });
    match report {
        Ok(report) => {
            txn.commit().await?;
            Ok(report)
        }
        Err(e) => {
            // Rolled back before the staging tables are dropped, which
            // would otherwise wait for this transaction's locks.
            let _ = txn.rollback().await;
            Err(e)
        }
    }
}

async fn apply(
    app: &App,
    txn: &sesame_store::DatabaseTransaction,
    bulk: &sesame_store::bulk::Bulk,
    label: &str,
    export: SiecleExport,
    name: Option<&str>,
    stamps: &mut HashMap<(String, bool), String>,
) -> Result<FileReport, ImportRunError> {
    let now = app.clock.now();
    let today = now.date();
    let (uai, stamp, is_pupils) = match &export {
        SiecleExport::Pupils { uai, stamp, .. } => (uai.clone(), stamp.clone(), true),
        SiecleExport::Guardians { uai, stamp, .. } => (uai.clone(), stamp.clone(), false),
    };
    let school = school_data::ensure_school(txn, &uai, name, now).await?;
    if let Some(stamp) = &stamp {
        let last = if is_pupils {
            &school.last_pupils_export
        } else {
            &school.last_guardians_export
        };
        let last = stamps.get(&(uai.to_string(), is_pupils)).or(last.as_ref());
        if let Some(last) = last
            && stamp < last
        {
            return Err(ImportError::file(
                label,
                format!("cet export ({stamp}) est plus ancien que le dernier importé pour {uai} ({last}) : refusé pour ne pas revenir en arrière"),
            )
            .into());
        }
    }
    let (outcome, warnings) = match &export {
        SiecleExport::Pupils { pupils, .. } => (
            {
                let (mut counts, departed) =
                    school_data::apply_pupils(txn, bulk, &school, pupils, today, now).await?;
                counts.accounts = leavers::pupils_left(txn, &departed, now).await?;
                FileOutcome::Pupils(counts)
            },
            Vec::new(),
        ),
        SiecleExport::Guardians {
            guardians,
            links,
            warnings,
            ..
        } => {
            // The export's date, or the import's for a file without one.
            let as_of = stamp.clone().unwrap_or_else(|| now.date().to_string());
            let (mut counts, removed) =
                school_data::apply_guardians(txn, bulk, &school, guardians, links, &as_of, now)
                    .await?;
            counts.links.accounts = leavers::links_removed(txn, &removed, now).await?;
            let mut w = warnings.clone();
            if counts.links.ignored > 0
                && counts.links.created + counts.links.unchanged + counts.links.updated == 0
            {
                w.push(format!(
                    "aucun élève connu pour {uai} : importez d'abord le fichier des élèves"
                ));
            }
            (FileOutcome::Guardians(counts), w)
        }
    };
    if let Some(stamp) = stamp {
        school_data::set_export_stamp(txn, &school, is_pupils, &stamp).await?;
        stamps.insert((uai.to_string(), is_pupils), stamp);
    }
    Ok(FileReport {
        source: label.to_owned(),
        uai: uai.to_string(),
        outcome,
        warnings,
    })
}
