//! The five profiles of the first screen (seed guide, « choisissez votre
//! profil »): who a person says they are before they log in.

use std::fmt;
use std::str::FromStr;

/// A profile of the first screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// Élève.
    Eleve,
    /// Parent (or other legal guardian).
    Parent,
    /// Personnel de l'Éducation nationale.
    PersonnelEducation,
    /// Personnel de collectivité territoriale.
    PersonnelCollectivite,
    /// Invité.
    Invite,
}

/// Why text does not name a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "« {0} » n'est pas un profil (eleve, parent, personnel_education, personnel_collectivite, invite)"
)]
pub struct UnknownProfile(pub String);

impl Profile {
    /// The five profiles, in the order of the first screen.
    pub const ALL: [Profile; 5] = [
        Profile::Eleve,
        Profile::Parent,
        Profile::PersonnelEducation,
        Profile::PersonnelCollectivite,
        Profile::Invite,
    ];

    /// The name used in URLs, configuration and released attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Eleve => "eleve",
            Profile::Parent => "parent",
            Profile::PersonnelEducation => "personnel_education",
            Profile::PersonnelCollectivite => "personnel_collectivite",
            Profile::Invite => "invite",
        }
    }

    /// The label on the first screen (seed wording).
    pub fn label(self) -> &'static str {
        match self {
            Profile::Eleve => "Élève",
            Profile::Parent => "Parent",
            Profile::PersonnelEducation => "Personnel de l'Éducation nationale",
            Profile::PersonnelCollectivite => "Personnel de collectivité territoriale",
            Profile::Invite => "Invité",
        }
    }
}

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProfile(s.to_owned()))
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_from_their_exact_name_only() {
        let cases: &[(&str, Option<Profile>)] = &[
            ("eleve", Some(Profile::Eleve)),
            ("parent", Some(Profile::Parent)),
            ("personnel_education", Some(Profile::PersonnelEducation)),
            (
                "personnel_collectivite",
                Some(Profile::PersonnelCollectivite),
            ),
            ("invite", Some(Profile::Invite)),
            ("Eleve", None),
            ("élève", None),
            ("PARENT", None),
            (" parent", None),
            ("parent ", None),
            ("", None),
            ("personnel", None),
            ("responsable", None),
            ("staff", None),
            ("invité", None),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<Profile>().ok(), *expected, "{input:?}");
        }
        for p in Profile::ALL {
            assert_eq!(p.to_string().parse::<Profile>(), Ok(p));
        }
    }
}
