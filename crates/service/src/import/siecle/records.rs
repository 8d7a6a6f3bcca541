//! The records an export's elements make, once each element is read:
//! pupils with their classes, guardians (persons), their links to pupils
//! and their addresses, and the export they add up to.

use super::{Fields, Parser, Root, SiecleExport, mobiles_warning};
use crate::import::dates::{normalize_stamp, parse_date, stamp_date};
use crate::import::error::ImportError;
use sesame_domain::{GuardianRecord, LinkRecord, PupilRecord, ResponsibilityLevel, Uai};
use std::collections::HashMap;

pub(super) fn non_empty(f: &Fields, k: &str) -> Option<String> {
    f.get(k)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Parser<'_> {
    fn id_attr(&self, element: &str, attr: &str) -> Result<String, ImportError> {
        match self.record_attrs.get(attr).map(|s| s.trim()) {
            Some(id) if !id.is_empty() => Ok(id.to_owned()),
            _ => Err(self.err(element, format!("attribut {attr} manquant ou vide"))),
        }
    }

    pub(super) fn finish_pupil(&mut self) -> Result<(), ImportError> {
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

    pub(super) fn finish_person(&mut self) -> Result<(), ImportError> {
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

    pub(super) fn finish_link(&mut self) -> Result<(), ImportError> {
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

    pub(super) fn finish_address(&mut self) {
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

    pub(super) fn finish(mut self) -> Result<SiecleExport, ImportError> {
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
