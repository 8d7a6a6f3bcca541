//! Pupils, legal guardians and the links between them, as the school's
//! information system gives them (SPEC §1).

use time::Date;

/// A guardian's level of responsibility for a pupil (SIECLE
/// `NIVEAU_RESPONSABILITE`, or the legacy `RESP_LEGAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponsibilityLevel {
    /// 1: représentant légal. Only this level gets a parent account.
    Legal,
    /// 2: personne en charge de l'élève.
    InCharge,
    /// 3: personne à contacter.
    Contact,
}

impl ResponsibilityLevel {
    /// The SIECLE number of the level.
    pub fn as_i16(self) -> i16 {
        match self {
            Self::Legal => 1,
            Self::InCharge => 2,
            Self::Contact => 3,
        }
    }

    /// Reads the SIECLE number of the level.
    pub fn from_i16(n: i16) -> Option<Self> {
        match n {
            1 => Some(Self::Legal),
            2 => Some(Self::InCharge),
            3 => Some(Self::Contact),
            _ => None,
        }
    }

    /// Whether this level makes the person a legal guardian.
    pub fn is_legal(self) -> bool {
        self == Self::Legal
    }
}

/// A pupil as read from an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PupilRecord {
    /// The school's id for the pupil (SIECLE `ELEVE_ID`).
    pub external_id: String,
    /// The national pupil id (INE), when known.
    pub ine: Option<String>,
    /// Family name (usage name when there is one).
    pub last_name: String,
    /// First name.
    pub first_name: String,
    /// Other first names, space-separated.
    pub other_first_names: Option<String>,
    /// Birth date.
    pub birth_date: Date,
    /// Class (division), when known.
    pub class: Option<String>,
    /// Level of study (SIECLE `CODE_MEF`), when known.
    pub level: Option<String>,
    /// Date the pupil left the school, when they did.
    pub left_on: Option<Date>,
}

/// A guardian (responsable) as read from an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianRecord {
    /// The school's id for the person (SIECLE `PERSONNE_ID`).
    pub external_id: String,
    /// Civility (`M.`, `MME`), when known.
    pub civility: Option<String>,
    /// Family name (usage name when there is one).
    pub last_name: String,
    /// First name.
    pub first_name: String,
    /// Email address, when known.
    pub email: Option<String>,
    /// Postal address lines, for the letters, newline-separated.
    pub address: Option<String>,
    /// Mobile number (SIECLE `TEL_PORTABLE`), normalised to E.164, when
    /// the export holds a French mobile number.
    pub mobile: Option<String>,
}

/// A link between a guardian and a pupil, by their external ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    /// The guardian's external id.
    pub guardian_id: String,
    /// The pupil's external id.
    pub pupil_id: String,
    /// The level of responsibility.
    pub level: ResponsibilityLevel,
    /// SIECLE `CODE_PARENTE` (10 mother, 20 father, ...), when known.
    pub relationship: Option<i16>,
}
