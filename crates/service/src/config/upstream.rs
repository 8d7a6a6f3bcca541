//! `[[upstream]]`: OpenID Connect providers Sésame sends some profiles to
//! (staff directories, a national identity such as FranceConnect).

use super::{ConfigError, SecretKey, secrets::resolve_file};
use serde::{Deserialize, Serialize};
use sesame_domain::Profile;
use std::path::PathBuf;
use url::Url;

/// Which claim of the provider holds each piece of Sésame's identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimMapping {
    /// The identifiant shown and released to services.
    pub identifiant: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Email address.
    pub email: String,
    /// Birth date (`YYYY-MM-DD`).
    pub birth_date: String,
    /// The school's or office's UAI (a string or a list).
    pub uai: String,
    /// The person's role (released as is).
    pub role: String,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            identifiant: "preferred_username".into(),
            first_name: "given_name".into(),
            last_name: "family_name".into(),
            email: "email".into(),
            birth_date: "birthdate".into(),
            uai: String::new(),
            role: String::new(),
        }
    }
}

/// One upstream provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// Identifier (letters, digits, `-`, `_`), in URLs and account links.
    pub id: String,
    /// Name shown on buttons and pages ("FranceConnect", "ARENA"…).
    pub name: String,
    /// The issuer; its discovery document is read at first use.
    pub issuer: Url,
    /// Sésame's client id there.
    pub client_id: String,
    /// Sésame's client secret there.
    #[serde(default)]
    pub client_secret: Option<SecretKey>,
    /// File holding `client_secret`.
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// Scopes asked for (with `openid`).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Profiles sent there: `personnel_education`, `personnel_collectivite`,
    /// `invite` (whose `[profiles]` source is then `upstream`), or `parent`
    /// (offered next to the password, with `match_guardians`).
    pub profiles: Vec<String>,
    /// Claim mapping.
    #[serde(default)]
    pub claims: ClaimMapping,
    /// A national identity for parents: the first time, the person is
    /// matched to legal guardians of the imported school data and confirms
    /// with one child's first name and birth date.
    #[serde(default)]
    pub match_guardians: bool,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "profile".into(), "email".into()]
}

/// The profiles a provider may serve (pupils always log in here).
const DELEGABLE: [Profile; 4] = [
    Profile::Parent,
    Profile::PersonnelEducation,
    Profile::PersonnelCollectivite,
    Profile::Invite,
];

impl Upstream {
    /// Whether this provider serves `profile`.
    pub fn serves(&self, profile: Profile) -> bool {
        self.profiles.iter().any(|p| p == profile.as_str())
    }
}

/// Checks the upstream list and reads the secrets' files.
pub(super) fn check(
    list: &mut [Upstream],
    profiles: &super::ProfilesConfig,
    origin: &dyn Fn(&str) -> String,
) -> Result<(), ConfigError> {
    let mut ids = std::collections::HashSet::new();
    for (i, u) in list.iter_mut().enumerate() {
        let key = |k: &str| format!("upstream[{i}].{k}");
        let err = |k: &str, reason: String| ConfigError::at(&origin("upstream"), &key(k), reason);
        if u.id.is_empty()
            || !u
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(err("id", "use letters, digits, '-' and '_' only".into()));
        }
        if !ids.insert(u.id.clone()) {
            return Err(err("id", format!("{:?} is used twice", u.id)));
        }
        if u.client_id.is_empty() {
            return Err(err("client_id", "missing".into()));
        }
        u.client_secret = resolve_file(
            u.client_secret.take(),
            &u.client_secret_file,
            &key("client_secret"),
            origin,
        )?;
        if u.client_secret.is_none() {
            return Err(err(
                "client_secret",
                "missing (give client_secret or client_secret_file)".into(),
            ));
        }
        if !u.scopes.iter().any(|s| s == "openid") {
            return Err(err("scopes", "must include \"openid\"".into()));
        }
        for p in &u.profiles {
            let Some(profile) = p.parse::<Profile>().ok().filter(|p| DELEGABLE.contains(p)) else {
                let names: Vec<&str> = DELEGABLE.iter().map(|p| p.as_str()).collect();
                return Err(err(
                    "profiles",
                    format!("{p:?} cannot be delegated; use {}", names.join(", ")),
                ));
            };
            if profile == Profile::Parent && !u.match_guardians {
                return Err(err(
                    "match_guardians",
                    "a provider for parents must match them to guardians: set match_guardians = true"
                        .into(),
                ));
            }
        }
    }
    for profile in [
        Profile::PersonnelEducation,
        Profile::PersonnelCollectivite,
        Profile::Invite,
    ] {
        let (name, source) = (profile.as_str(), profiles.source(profile));
        let served = list.iter().filter(|u| u.serves(profile)).count();
        if source == super::ProfileSource::Upstream && served != 1 {
            return Err(ConfigError::at(
                &origin("profiles"),
                &format!("profiles.{name}"),
                format!(
                    "\"upstream\" needs exactly one [[upstream]] listing {name:?} in its profiles ({served} do)"
                ),
            ));
        }
    }
    Ok(())
}
