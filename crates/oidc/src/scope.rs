//! The scopes Sésame knows and what each releases (OIDC Core §5.4 for the
//! standard ones; `sesame` and `sesame.children` are Sésame's own).

use openidconnect::core::CoreGenderClaim;
use openidconnect::{
    EndUserEmail, EndUserFamilyName, EndUserGivenName, EndUserUsername, StandardClaims,
    SubjectIdentifier,
};

/// The scopes Sésame knows, in the order the discovery document lists them.
pub const SCOPES: &[&str] = &["openid", "profile", "email", "sesame", "sesame.children"];

/// The scope only clients that list it may ask for (OIDC-17): the
/// children's identifiers in their schools' exports.
pub const CHILDREN: &str = "sesame.children";

/// The claims a scope releases at the userinfo endpoint (OIDC Core §5.4);
/// none for an unknown scope.
pub fn claims_of(scope: &str) -> &'static [&'static str] {
    match scope {
        "openid" => &["sub"],
        "profile" => &["given_name", "family_name", "preferred_username"],
        "email" => &["email", "email_verified"],
        "sesame" => &["sesame_profile", "sesame_uai", "sesame_classes"],
        CHILDREN => &["sesame_children"],
        _ => &[],
    }
}

/// Whether a client registered with `registered` scopes may ask for
/// `scope`: a scope Sésame knows, and `openid`, or one the client lists;
/// a client that lists none may ask for every scope but the children's
/// (OIDC-17).
pub fn allowed(scope: &str, registered: &[String]) -> bool {
    SCOPES.contains(&scope)
        && (scope == "openid"
            || registered.iter().any(|r| r == scope)
            || (registered.is_empty() && scope != CHILDREN))
}

/// What a scope lets a client know, as the consent page says it.
pub fn label(scope: &str) -> &'static str {
    match scope {
        "openid" => "vous reconnaître d'une visite à l'autre (un identifiant propre à ce service)",
        "profile" => "connaître vos nom, prénom et identifiant",
        "email" => "connaître votre adresse électronique",
        "sesame" => "connaître votre profil, vos établissements et vos classes",
        CHILDREN => "connaître les identifiants scolaires de vos enfants",
        _ => "",
    }
}

/// Whether the claims of `scopes` need the account's identity (names,
/// schools, classes, children), which costs a database read.
pub fn needs_identity(scopes: &[String]) -> bool {
    scopes
        .iter()
        .any(|s| s == "profile" || s == "sesame" || s == CHILDREN)
}

/// Who a person is, as far as the scopes may tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// First name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// UAIs of the schools concerned.
    pub uais: Vec<String>,
    /// Classes.
    pub classes: Vec<String>,
    /// For a parent: the children's ids in their school's export.
    pub children: Vec<String>,
}

/// What the userinfo endpoint may say of an account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// The subject, as the client knows it.
    pub sub: String,
    /// The identifiant, as shown (`preferred_username`).
    pub username: String,
    /// The email address, if any.
    pub email: Option<String>,
    /// Whether the address is verified.
    pub email_verified: bool,
    /// The profile chosen at login (`sesame_profile`).
    pub profile: String,
    /// The identity, read when [`needs_identity`] says so; without it the
    /// `profile`, `sesame` and `sesame.children` claims are left out.
    pub identity: Option<Identity>,
}

/// The userinfo claims of `scopes` (OIDC Core §5.3.2, §5.4): `sub` always,
/// the others by scope. Children's identifiers only with
/// `sesame.children` (OIDC-17), and never their names or birth dates.
pub fn userinfo(scopes: &[String], person: &Person) -> serde_json::Value {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let mut claims =
        StandardClaims::<CoreGenderClaim>::new(SubjectIdentifier::new(person.sub.clone()));
    if let (true, Some(id)) = (has("profile"), &person.identity) {
        claims = claims
            .set_given_name(
                id.first_name
                    .clone()
                    .map(|n| EndUserGivenName::new(n).into()),
            )
            .set_family_name(
                id.last_name
                    .clone()
                    .map(|n| EndUserFamilyName::new(n).into()),
            )
            .set_preferred_username(Some(EndUserUsername::new(person.username.clone())));
    }
    if has("email") {
        claims = claims
            .set_email(person.email.clone().map(EndUserEmail::new))
            .set_email_verified(Some(person.email_verified));
    }
    let mut out = serde_json::to_value(&claims).unwrap_or_default();
    if let Some(id) = &person.identity {
        if has("sesame") {
            out["sesame_profile"] = person.profile.clone().into();
            out["sesame_uai"] = id.uais.clone().into();
            out["sesame_classes"] = id.classes.clone().into();
        }
        if has(CHILDREN) {
            out["sesame_children"] = id.children.clone().into();
        }
    }
    out
}

#[cfg(test)]
mod tests;
