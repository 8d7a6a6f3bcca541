//! `[reports]`: who hears of a « Ce n'est pas mon enfant » report (issue 16
//! §8): the school's contact by UAI, or the académie-wide default.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use sesame_domain::{Email, Uai};
use std::collections::BTreeMap;

/// `[reports]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsConfig {
    /// The address that gets the reports of a school with no contact of
    /// its own (e.g. the DSDEN's). Empty: none.
    #[serde(default)]
    pub default_contact: String,
    /// One address per school, by UAI (`{ "0750001A" = "ce.0750001a@ac-x.fr" }`).
    #[serde(default)]
    pub contacts: BTreeMap<String, String>,
}

impl ReportsConfig {
    /// Where the reports of the school `uai` go: its contact, or the
    /// default; none when neither is set.
    pub fn contact(&self, uai: &str) -> Option<&str> {
        self.contacts
            .iter()
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(uai))
            .map(|(_, v)| v.trim())
            .or(Some(self.default_contact.trim()))
            .filter(|a| !a.is_empty())
    }

    /// Every address is one address, every key a UAI.
    pub(super) fn check(&self, origin: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
        let key = "reports.default_contact";
        if !self.default_contact.trim().is_empty() && Email::parse(&self.default_contact).is_err() {
            return Err(ConfigError::at(
                &origin(key),
                key,
                format!("{:?} is not one email address", self.default_contact),
            ));
        }
        for (uai, addr) in &self.contacts {
            let key = format!("reports.contacts.{uai}");
            if Uai::parse(uai).is_err() {
                return Err(ConfigError::at(
                    &origin("reports.contacts"),
                    &key,
                    format!("{uai:?} is not a UAI (7 digits and a check letter, e.g. 0750001A)"),
                ));
            }
            if Email::parse(addr).is_err() {
                return Err(ConfigError::at(
                    &origin("reports.contacts"),
                    &key,
                    format!("{addr:?} is not one email address"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_school_s_contact_comes_before_the_default() {
        let mut c = ReportsConfig::default();
        assert_eq!(c.contact("0999001W"), None, "nothing set: no mail");
        c.default_contact = "dsden@ac-x.fr".into();
        c.contacts
            .insert("0999001W".into(), "ce.0999001w@ac-x.fr".into());
        let cases = [
            ("0999001W", Some("ce.0999001w@ac-x.fr")),
            ("0999001w", Some("ce.0999001w@ac-x.fr")),
            ("0750001A", Some("dsden@ac-x.fr")),
        ];
        for (uai, expected) in cases {
            assert_eq!(c.contact(uai), expected, "{uai}");
        }
    }
}
