//! SIECLE (BEE) XML exports: `ElevesSansAdresses.xml` and
//! `ResponsablesAvecAdresses.xml` (see `docs/import.md` and the research
//! notes in FORMAT.md). The reader streams the file, decodes ISO-8859-15 or
//! UTF-8 from the XML declaration, ignores element order and unknown
//! elements, and is strict only where it must be: the root, `UAJ`, the ids
//! and `DATE_NAISS`.

use super::error::{ImportError, control_reason};
use super::limits::{self, Exceeded, ItemBudget};
use quick_xml::encoding::DecodingReader;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use sesame_domain::text::first_forbidden_control;
use sesame_domain::{GuardianRecord, LinkRecord, PupilRecord, Uai};
use std::collections::{HashMap, HashSet};
use std::io::BufRead;

mod records;

use records::non_empty;

/// What one SIECLE file holds.
#[derive(Debug)]
pub enum SiecleExport {
    /// `BEE_ELEVES`.
    Pupils {
        /// The school.
        uai: Uai,
        /// Export timestamp, `aaaa-mm-jj hh:mm:ss`.
        stamp: Option<String>,
        /// The pupils.
        pupils: Vec<PupilRecord>,
    },
    /// `BEE_RESPONSABLES`.
    Guardians {
        /// The school.
        uai: Uai,
        /// Export timestamp, `aaaa-mm-jj hh:mm:ss`.
        stamp: Option<String>,
        /// The persons.
        guardians: Vec<GuardianRecord>,
        /// Their links to pupils.
        links: Vec<LinkRecord>,
        /// Links to more than two legal guardians, for a warning.
        warnings: Vec<String>,
    },
}

/// Fields of the element being read, by child name (one of [`FIELDS`]):
/// a slot per name, so that a field costs no hashing and no key
/// (performance, issue 21: this reader is half of an import's CPU).
struct Fields([Option<String>; FIELDS.len()]);

impl Fields {
    fn new() -> Self {
        Self(std::array::from_fn(|_| None))
    }

    fn slot(name: &str) -> Option<usize> {
        FIELDS.iter().position(|f| *f == name)
    }

    /// Keeps `value` for `name`, if it is one of [`FIELDS`].
    fn insert(&mut self, name: &str, value: &str) {
        if let Some(i) = Self::slot(name) {
            self.0[i] = Some(value.to_owned());
        }
    }

    fn get(&self, name: &str) -> Option<&String> {
        Self::slot(name).and_then(|i| self.0[i].as_ref())
    }

    fn clear(&mut self) {
        self.0.iter_mut().for_each(|v| *v = None);
    }
}

/// The children of a record that are read; others are skipped, so that a
/// record with thousands of unknown children does not grow in memory.
const FIELDS: &[&str] = &[
    "NOM_USAGE",
    "NOM_DE_FAMILLE",
    "NOM",
    "PRENOM",
    "PRENOM2",
    "PRENOM3",
    "DATE_NAISS",
    "DATE_SORTIE",
    "ID_NATIONAL",
    "INE_RNIE",
    "MEL",
    "TEL_PORTABLE",
    "LC_CIVILITE",
    "ADRESSE_ID",
    "ELEVE_ID",
    "PERSONNE_ID",
    "NIVEAU_RESPONSABILITE",
    "RESP_LEGAL",
    "CODE_PARENTE",
    "LIGNE1_ADRESSE",
    "LIGNE2_ADRESSE",
    "LIGNE3_ADRESSE",
    "LIGNE4_ADRESSE",
    "CODE_POSTAL",
    "LIBELLE_POSTAL",
    "COMMUNE_ETRANGERE",
    "CODE_PAYS",
    "LL_PAYS",
    "CODE_MEF",
    "TYPE_STRUCTURE",
    "CODE_STRUCTURE",
];

/// The report's line for mobile numbers that were not kept, if any.
pub(crate) fn mobiles_warning(ignored: u64) -> Option<String> {
    (ignored > 0).then(|| {
        format!("{ignored} numéro(s) de portable ignoré(s) : ni 06, ni 07, ni +33 6 ou 7 (ils ne servent pas à la première visite par SMS)")
    })
}

/// Parses a SIECLE export.
pub fn parse(input: impl BufRead, source: &str) -> Result<SiecleExport, ImportError> {
    let counter = ItemBudget::new(
        DecodingReader::new(input),
        limits::MAX_XML_ITEM_BYTES,
        Exceeded::XmlItem,
    );
    let mut reader = Reader::from_reader(counter);
    let mut p = Parser::new(source);
    let mut buf = Vec::with_capacity(1024);
    let mut first = true;
    loop {
        let line = reader.get_ref().lines + 1;
        p.line = line;
        // Security: each event (text, tag, comment) is read within a budget,
        // so a huge text node is refused before it is held in memory.
        reader.get_mut().reset();
        let ev = reader.read_event_into(&mut buf).map_err(|e| {
            let reason = match &e {
                quick_xml::Error::Io(io) => match Exceeded::of(io) {
                    Some(limit) => limit.to_string(),
                    None => format!("lecture impossible : {io}"),
                },
                _ => format!("XML mal formé : {e}"),
            };
            ImportError::at(source, line, p.path(), reason)
        })?;
        let was_first = std::mem::replace(&mut first, false);
        match ev {
            Event::Decl(d) if was_first => {
                // The declaration names the encoding (ISO-8859-15 for SIECLE).
                if let Some(Ok(name)) = d.encoding() {
                    let enc = encoding_rs::Encoding::for_label(name.trim().as_bytes()).ok_or_else(
                        || {
                            ImportError::at(
                                source,
                                line,
                                "déclaration XML",
                                format!("encodage « {name} » non pris en charge"),
                            )
                        },
                    )?;
                    if enc.is_ascii_compatible() {
                        reader.get_mut().inner_mut().set_encoding(enc);
                    }
                }
            }
            Event::Start(e) => {
                let name = e.name().as_ref().to_owned();
                let mut attrs = HashMap::new();
                for a in e.attributes() {
                    let a = a.map_err(|err| {
                        ImportError::at(source, line, &name, format!("attribut mal formé : {err}"))
                    })?;
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|err| {
                            ImportError::at(
                                source,
                                line,
                                &name,
                                format!("attribut mal formé : {err}"),
                            )
                        })?;
                    p.check_text(&v, line, || {
                        format!("attribut {} de {name}", a.key.as_ref())
                    })?;
                    attrs.insert(a.key.as_ref().to_owned(), v.into_owned());
                }
                p.start(name, attrs)?;
            }
            Event::Empty(e) => {
                let name = e.name().as_ref().to_owned();
                p.start(name, HashMap::new())?;
                p.end()?;
            }
            Event::End(_) => p.end()?,
            Event::Text(t) => p.push_text(&t.xml10_content(), line)?,
            Event::CData(t) => p.push_text(&t.xml10_content(), line)?,
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten().map(String::from)
                } else {
                    quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                        .map(str::to_owned)
                };
                match resolved {
                    Some(s) => p.push_text(&s, line)?,
                    None => {
                        return Err(ImportError::at(
                            source,
                            line,
                            p.path(),
                            format!("entité inconnue &{};", &*r),
                        ));
                    }
                }
            }
            Event::Eof => {
                if let Some(open) = p.stack.last() {
                    return Err(ImportError::at(
                        source,
                        line,
                        format!("élément {open}"),
                        "fichier tronqué : élément non fermé",
                    ));
                }
                break;
            }
            _ => {}
        }
        buf.clear();
    }
    p.finish()
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Root {
    Unknown,
    Pupils,
    Guardians,
}

struct Parser<'s> {
    source: &'s str,
    line: u64,
    root: Root,
    stack: Vec<String>,
    text: String,
    uai: Option<String>,
    stamp: Option<String>,
    export_date: Option<String>,
    /// Attributes of the record being read (ELEVE, PERSONNE, ...).
    record_attrs: HashMap<String, String>,
    record: Fields,
    structure: Fields,
    pupils: Vec<PupilRecord>,
    pupil_ids: HashSet<String>,
    classes: HashMap<String, String>,
    guardians: Vec<(GuardianRecord, Option<String>)>,
    person_ids: HashSet<String>,
    links: Vec<LinkRecord>,
    addresses: HashMap<String, String>,
    /// `TEL_PORTABLE` values that are not a French mobile number.
    mobiles_ignored: u64,
}

impl<'s> Parser<'s> {
    fn new(source: &'s str) -> Self {
        Self {
            source,
            line: 1,
            root: Root::Unknown,
            stack: Vec::new(),
            text: String::new(),
            uai: None,
            stamp: None,
            export_date: None,
            record_attrs: HashMap::new(),
            record: Fields::new(),
            structure: Fields::new(),
            pupils: Vec::new(),
            pupil_ids: HashSet::new(),
            classes: HashMap::new(),
            guardians: Vec::new(),
            person_ids: HashSet::new(),
            links: Vec::new(),
            addresses: HashMap::new(),
            mobiles_ignored: 0,
        }
    }

    fn path(&self) -> String {
        if self.stack.is_empty() {
            "début du fichier".into()
        } else {
            format!("élément {}", self.stack.join("/"))
        }
    }

    fn err(&self, element: &str, reason: impl Into<String>) -> ImportError {
        ImportError::at(self.source, self.line, element, reason)
    }

    /// Refuses a value holding a control character (REST-05), naming the
    /// line it is on (`line` is where the event holding it starts).
    fn check_text(
        &self,
        value: &str,
        line: u64,
        element: impl FnOnce() -> String,
    ) -> Result<(), ImportError> {
        match first_forbidden_control(value) {
            None => Ok(()),
            Some((at, c)) => {
                let line = line + value[..at].matches('\n').count() as u64;
                Err(ImportError::at(
                    self.source,
                    line,
                    element(),
                    control_reason(c),
                ))
            }
        }
    }

    /// Adds a piece of the current text node, within its limits.
    fn push_text(&mut self, piece: &str, line: u64) -> Result<(), ImportError> {
        // Performance: the element's path is written only for an error.
        self.check_text(piece, line, || self.path())?;
        // Security: a text node made of many events (references, CDATA)
        // is bounded too.
        if (self.text.len() + piece.len()) as u64 > limits::MAX_XML_ITEM_BYTES {
            return Err(ImportError::at(
                self.source,
                line,
                self.path(),
                Exceeded::XmlItem.to_string(),
            ));
        }
        self.text.push_str(piece);
        Ok(())
    }

    fn start(&mut self, name: String, attrs: HashMap<String, String>) -> Result<(), ImportError> {
        if self.stack.is_empty() {
            self.root = match name.as_str() {
                "BEE_ELEVES" => Root::Pupils,
                "BEE_RESPONSABLES" => Root::Guardians,
                other => {
                    return Err(self.err(
                        other,
                        format!("élément racine « {other} » inattendu : un export SIECLE commence par BEE_ELEVES ou BEE_RESPONSABLES"),
                    ));
                }
            };
        }
        if self.stack.len() >= limits::MAX_XML_DEPTH {
            return Err(self.err(
                &name,
                format!(
                    "éléments imbriqués sur plus de {} niveaux : ce n'est pas un export SIECLE",
                    limits::MAX_XML_DEPTH
                ),
            ));
        }
        if matches!(
            name.as_str(),
            "ELEVE" | "STRUCTURES_ELEVE" | "PERSONNE" | "ADRESSE" | "RESPONSABLE_ELEVE"
        ) && self.stack.len() == 3
        {
            self.record_attrs = attrs;
            self.record.clear();
        }
        if name == "STRUCTURE" {
            self.structure.clear();
        }
        self.stack.push(name);
        self.text.clear();
        Ok(())
    }

    fn end(&mut self) -> Result<(), ImportError> {
        let Some(name) = self.stack.pop() else {
            return Ok(());
        };
        let depth = self.stack.len();
        let parent = self.stack.last().map(String::as_str).unwrap_or("");
        // The text buffer is kept for the next element: only a field read
        // is copied out of it.
        let text = self.text.as_str();
        match (depth, parent, name.as_str()) {
            (2, "PARAMETRES", "UAJ") => self.uai = Some(text.trim().to_owned()),
            (2, "PARAMETRES", "HORODATAGE") => self.stamp = Some(text.trim().to_owned()),
            (2, "PARAMETRES", "DATE_EXPORT") => self.export_date = Some(text.trim().to_owned()),
            (
                4,
                "ELEVE" | "PERSONNE" | "ADRESSE" | "RESPONSABLE_ELEVE" | "STRUCTURES_ELEVE",
                field,
            ) => self.record.insert(field, text),
            (5, "STRUCTURE", field @ ("TYPE_STRUCTURE" | "CODE_STRUCTURE")) => {
                self.structure.insert(field, text);
            }
            _ => {}
        }
        self.text.clear();
        match (depth, name.as_str()) {
            (3, "ELEVE") if self.root == Root::Pupils => self.finish_pupil()?,
            (4, "STRUCTURE") if self.root == Root::Pupils => {
                let is_division =
                    self.structure.get("TYPE_STRUCTURE").map(|s| s.trim()) == Some("D");
                if let (true, Some(code), Some(id)) = (
                    is_division,
                    non_empty(&self.structure, "CODE_STRUCTURE"),
                    self.record_attrs.get("ELEVE_ID"),
                ) {
                    self.classes.insert(id.trim().to_owned(), code);
                }
            }
            (3, "PERSONNE") if self.root == Root::Guardians => self.finish_person()?,
            (3, "RESPONSABLE_ELEVE") if self.root == Root::Guardians => self.finish_link()?,
            (3, "ADRESSE") if self.root == Root::Guardians => self.finish_address(),
            _ => {}
        }
        Ok(())
    }
}
