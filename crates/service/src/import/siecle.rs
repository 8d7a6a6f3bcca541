//! SIECLE (BEE) XML exports: `ElevesSansAdresses.xml` and
//! `ResponsablesAvecAdresses.xml` (see `docs/import.md` and the research
//! notes in FORMAT.md). The reader streams the file, decodes ISO-8859-15 or
//! UTF-8 from the XML declaration, ignores element order and unknown
//! elements, and is strict only where it must be: the root, `UAJ`, the ids
//! and `DATE_NAISS`.

use super::dates::{normalize_stamp, parse_date, stamp_date};
use super::error::{ImportError, control_reason};
use super::limits::{self, Exceeded, ItemBudget};
use quick_xml::encoding::DecodingReader;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use sesame_domain::text::first_forbidden_control;
use sesame_domain::{GuardianRecord, LinkRecord, PupilRecord, ResponsibilityLevel, Uai};
use std::collections::{HashMap, HashSet};
use std::io::BufRead;

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

/// Fields of the element being read, by child name.
type Fields = HashMap<String, String>;

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

fn non_empty(f: &Fields, k: &str) -> Option<String> {
    f.get(k)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
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
        let text = std::mem::take(&mut self.text);
        match (depth, parent, name.as_str()) {
            (2, "PARAMETRES", "UAJ") => self.uai = Some(text.trim().to_owned()),
            (2, "PARAMETRES", "HORODATAGE") => self.stamp = Some(text.trim().to_owned()),
            (2, "PARAMETRES", "DATE_EXPORT") => self.export_date = Some(text.trim().to_owned()),
            (
                4,
                "ELEVE" | "PERSONNE" | "ADRESSE" | "RESPONSABLE_ELEVE" | "STRUCTURES_ELEVE",
                field,
            ) if FIELDS.contains(&field) => {
                self.record.insert(field.to_owned(), text);
            }
            (5, "STRUCTURE", field @ ("TYPE_STRUCTURE" | "CODE_STRUCTURE")) => {
                self.structure.insert(field.to_owned(), text);
            }
            _ => {}
        }
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

    fn id_attr(&self, element: &str, attr: &str) -> Result<String, ImportError> {
        match self.record_attrs.get(attr).map(|s| s.trim()) {
            Some(id) if !id.is_empty() => Ok(id.to_owned()),
            _ => Err(self.err(element, format!("attribut {attr} manquant ou vide"))),
        }
    }

    fn finish_pupil(&mut self) -> Result<(), ImportError> {
        let id = self.id_attr("ELEVE", "ELEVE_ID")?;
        let el = format!("ELEVE (ELEVE_ID={id})");
        if !self.pupil_ids.insert(id.clone()) {
            return Err(self.err(&el, "ELEVE_ID en double dans le fichier"));
        }
        let f = &self.record;
        let last_name = non_empty(f, "NOM_USAGE")
            .or_else(|| non_empty(f, "NOM_DE_FAMILLE"))
            .or_else(|| non_empty(f, "NOM"))
            .ok_or_else(|| self.err(&el, "NOM_DE_FAMILLE manquant ou vide"))?;
        let first_name =
            non_empty(f, "PRENOM").ok_or_else(|| self.err(&el, "PRENOM manquant ou vide"))?;
        let birth = non_empty(f, "DATE_NAISS")
            .ok_or_else(|| self.err(&el, "DATE_NAISS manquant ou vide"))?;
        let birth_date =
            parse_date(&birth).map_err(|r| self.err(&el, format!("DATE_NAISS {r}")))?;
        let left_on = match non_empty(f, "DATE_SORTIE") {
            Some(d) => Some(parse_date(&d).map_err(|r| self.err(&el, format!("DATE_SORTIE {r}")))?),
            None => None,
        };
        let others: Vec<String> = ["PRENOM2", "PRENOM3"]
            .iter()
            .filter_map(|k| non_empty(f, k))
            .collect();
        self.pupils.push(PupilRecord {
            external_id: id,
            ine: non_empty(f, "ID_NATIONAL").or_else(|| non_empty(f, "INE_RNIE")),
            last_name,
            first_name,
            other_first_names: (!others.is_empty()).then(|| others.join(" ")),
            birth_date,
            class: None,
            level: non_empty(f, "CODE_MEF"),
            left_on,
        });
        Ok(())
    }

    fn finish_person(&mut self) -> Result<(), ImportError> {
        let id = self.id_attr("PERSONNE", "PERSONNE_ID")?;
        let el = format!("PERSONNE (PERSONNE_ID={id})");
        if !self.person_ids.insert(id.clone()) {
            return Err(self.err(&el, "PERSONNE_ID en double dans le fichier"));
        }
        let f = &self.record;
        let last_name = non_empty(f, "NOM_USAGE")
            .or_else(|| non_empty(f, "NOM_DE_FAMILLE"))
            .or_else(|| non_empty(f, "NOM"))
            .ok_or_else(|| self.err(&el, "NOM_DE_FAMILLE manquant ou vide"))?;
        let first_name =
            non_empty(f, "PRENOM").ok_or_else(|| self.err(&el, "PRENOM manquant ou vide"))?;
        let email =
            non_empty(f, "MEL").filter(|m| m.contains('@') && !m.contains(char::is_whitespace));
        let mobile = non_empty(f, "TEL_PORTABLE").and_then(|t| {
            let m = sesame_domain::Mobile::parse(&t).map(String::from);
            self.mobiles_ignored += u64::from(m.is_none());
            m
        });
        let record = GuardianRecord {
            external_id: id,
            civility: non_empty(f, "LC_CIVILITE"),
            last_name,
            first_name,
            email,
            address: None,
            mobile,
        };
        self.guardians.push((record, non_empty(f, "ADRESSE_ID")));
        Ok(())
    }

    fn finish_link(&mut self) -> Result<(), ImportError> {
        let f = &self.record;
        let pupil_id = non_empty(f, "ELEVE_ID");
        let guardian_id = non_empty(f, "PERSONNE_ID");
        let el = format!(
            "RESPONSABLE_ELEVE (ELEVE_ID={}, PERSONNE_ID={})",
            pupil_id.as_deref().unwrap_or("?"),
            guardian_id.as_deref().unwrap_or("?")
        );
        let (Some(pupil_id), Some(guardian_id)) = (pupil_id, guardian_id) else {
            return Err(self.err(&el, "ELEVE_ID ou PERSONNE_ID manquant"));
        };
        let level = if let Some(n) = non_empty(f, "NIVEAU_RESPONSABILITE") {
            n.parse::<i16>()
                .ok()
                .and_then(ResponsibilityLevel::from_i16)
                .ok_or_else(|| {
                    self.err(
                        &el,
                        format!("NIVEAU_RESPONSABILITE « {n} » inconnu (attendu 1, 2 ou 3)"),
                    )
                })?
        } else if let Some(n) = non_empty(f, "RESP_LEGAL") {
            match n.as_str() {
                "1" | "2" => ResponsibilityLevel::Legal,
                "0" => ResponsibilityLevel::Contact,
                _ => {
                    return Err(self.err(
                        &el,
                        format!("RESP_LEGAL « {n} » inconnu (attendu 0, 1 ou 2)"),
                    ));
                }
            }
        } else {
            return Err(self.err(&el, "ni NIVEAU_RESPONSABILITE ni RESP_LEGAL"));
        };
        let relationship = non_empty(f, "CODE_PARENTE").and_then(|c| c.parse().ok());
        self.links.push(LinkRecord {
            guardian_id,
            pupil_id,
            level,
            relationship,
        });
        Ok(())
    }

    fn finish_address(&mut self) {
        let Some(id) = self
            .record_attrs
            .get("ADRESSE_ID")
            .map(|s| s.trim().to_owned())
        else {
            return;
        };
        let f = &self.record;
        let mut lines: Vec<String> = [
            "LIGNE1_ADRESSE",
            "LIGNE2_ADRESSE",
            "LIGNE3_ADRESSE",
            "LIGNE4_ADRESSE",
        ]
        .iter()
        .filter_map(|k| non_empty(f, k))
        .collect();
        match (
            non_empty(f, "CODE_POSTAL"),
            non_empty(f, "LIBELLE_POSTAL"),
            non_empty(f, "COMMUNE_ETRANGERE"),
        ) {
            (_, _, Some(foreign)) => lines.push(foreign),
            (cp, town, None) => {
                let l = [cp, town]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                if !l.is_empty() {
                    lines.push(l);
                }
            }
        }
        if let (Some(code), Some(country)) = (non_empty(f, "CODE_PAYS"), non_empty(f, "LL_PAYS"))
            && code != "100"
        {
            lines.push(country);
        }
        self.addresses.insert(id, lines.join("\n"));
    }

    fn finish(mut self) -> Result<SiecleExport, ImportError> {
        if self.root == Root::Unknown {
            return Err(ImportError::file(
                self.source,
                "fichier vide ou sans élément racine",
            ));
        }
        let raw = self
            .uai
            .take()
            .ok_or_else(|| ImportError::file(self.source, "PARAMETRES/UAJ manquant"))?;
        let uai = Uai::parse(&raw)
            .map_err(|e| ImportError::file(self.source, format!("PARAMETRES/UAJ : {e}")))?;
        let stamp = normalize_stamp(self.stamp.as_deref(), self.export_date.as_deref());
        if self.root == Root::Pupils {
            let mut pupils = std::mem::take(&mut self.pupils);
            for p in &mut pupils {
                p.class = self.classes.remove(&p.external_id);
                if p.class
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case("inactifs"))
                    && p.left_on.is_none()
                {
                    p.left_on = stamp.as_deref().and_then(stamp_date);
                }
            }
            return Ok(SiecleExport::Pupils { uai, stamp, pupils });
        }
        let addresses = std::mem::take(&mut self.addresses);
        let guardians = std::mem::take(&mut self.guardians)
            .into_iter()
            .map(|(mut g, addr)| {
                g.address = addr
                    .and_then(|a| addresses.get(&a).cloned())
                    .filter(|a| !a.is_empty());
                g
            })
            .collect();
        let mut legal_count: HashMap<&str, usize> = HashMap::new();
        for l in self.links.iter().filter(|l| l.level.is_legal()) {
            *legal_count.entry(l.pupil_id.as_str()).or_default() += 1;
        }
        let mut warnings: Vec<String> = legal_count
            .into_iter()
            .filter(|(_, n)| *n > 2)
            .map(|(p, n)| format!("l'élève {p} a {n} représentants légaux"))
            .collect();
        warnings.sort();
        if let Some(w) = mobiles_warning(self.mobiles_ignored) {
            warnings.push(w);
        }
        Ok(SiecleExport::Guardians {
            uai,
            stamp,
            guardians,
            links: self.links,
            warnings,
        })
    }
}
