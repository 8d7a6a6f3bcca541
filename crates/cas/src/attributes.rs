//! The attributes released to a service (CAS 3.0 §2.5.2, `cas:attributes`):
//! only those its registry entry lists, under the names it gives them
//! (CAS-13). Children's names and birth dates are never among them.

/// What is known of the person a ticket stands for, read by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// The identifiant as shown.
    pub identifiant: String,
    /// The profile chosen at login.
    pub profile: String,
    /// First name, when known.
    pub first_name: Option<String>,
    /// Last name, when known.
    pub last_name: Option<String>,
    /// Email address, when known.
    pub email: Option<String>,
    /// The schools' UAI codes.
    pub uais: Vec<String>,
    /// The classes.
    pub classes: Vec<String>,
    /// The children's identifiers.
    pub children: Vec<String>,
    /// The children as `UAI/ELEVE_ID`.
    pub children_qualified: Vec<String>,
}

/// (name, values) pairs for `mapping`, the service's (our attribute → its
/// name) pairs, in that order; attributes without a value are left out.
pub fn release<'a>(
    mapping: impl IntoIterator<Item = (&'a String, &'a String)>,
    person: &Person,
) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (ours, theirs) in mapping {
        let values: Vec<String> = match ours.as_str() {
            "identifiant" => vec![person.identifiant.clone()],
            "profile" => vec![person.profile.clone()],
            "first_name" => person.first_name.clone().into_iter().collect(),
            "last_name" => person.last_name.clone().into_iter().collect(),
            "email" => person.email.clone().into_iter().collect(),
            "uai" => person.uais.clone(),
            "classes" => person.classes.clone(),
            "children" => person.children.clone(),
            "children_qualified" => person.children_qualified.clone(),
            _ => Vec::new(),
        };
        if !values.is_empty() {
            out.push((theirs.clone(), values));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ours: &str, person: &Person, expected: &[&str]) {
        let (ours, theirs) = (ours.to_owned(), "x".to_owned());
        let got = release([(&ours, &theirs)], person);
        let values: Vec<&str> = got
            .iter()
            .flat_map(|(_, v)| v.iter().map(String::as_str))
            .collect();
        assert_eq!(values, expected, "{ours}");
        assert_eq!(
            got.is_empty(),
            expected.is_empty(),
            "{ours}: empty ones are left out"
        );
    }

    #[test]
    fn released_values() {
        let full = Person {
            identifiant: "camille.martin".into(),
            profile: "parent".into(),
            first_name: Some("Camille".into()),
            last_name: Some("MARTIN".into()),
            email: Some("c@example.org".into()),
            uais: vec!["0999001W".into(), "0350001L".into()],
            classes: vec!["3A".into()],
            children: vec!["1234567".into(), "1234567".into()],
            children_qualified: vec!["0999001W/1234567".into(), "0350001L/1234567".into()],
        };
        let empty = Person {
            identifiant: "x".into(),
            profile: "eleve".into(),
            ..Person::default()
        };
        for (ours, person, expected) in [
            ("identifiant", &full, &["camille.martin"][..]),
            ("profile", &full, &["parent"]),
            ("first_name", &full, &["Camille"]),
            ("last_name", &full, &["MARTIN"]),
            ("email", &full, &["c@example.org"]),
            ("uai", &full, &["0999001W", "0350001L"]),
            ("classes", &full, &["3A"]),
            ("children", &full, &["1234567", "1234567"]),
            (
                "children_qualified",
                &full,
                &["0999001W/1234567", "0350001L/1234567"],
            ),
            ("children_qualified", &empty, &[]),
            ("birth_date", &full, &[]),
            ("first_name", &empty, &[]),
            ("email", &empty, &[]),
            ("uai", &empty, &[]),
            ("identifiant", &empty, &["x"]),
        ] {
            check(ours, person, expected);
        }
    }

    #[test]
    fn names_and_order_are_the_registry_s() {
        let p = Person {
            identifiant: "a".into(),
            profile: "eleve".into(),
            ..Person::default()
        };
        let mapping = std::collections::BTreeMap::from([
            ("identifiant".to_owned(), "uid".to_owned()),
            ("profile".to_owned(), "ENTPersonProfils".to_owned()),
        ]);
        assert_eq!(
            release(&mapping, &p),
            [
                ("uid".to_owned(), vec!["a".to_owned()]),
                ("ENTPersonProfils".to_owned(), vec!["eleve".to_owned()]),
            ]
        );
    }
}
