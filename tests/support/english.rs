//! What an English page must be (issue 17, item 8): `<html lang="en">`,
//! the English layout, and no French left of two marker lists (the login
//! and layout phrases, and the words of the other page families) in what
//! a person reads.

use super::layout::ACADEMIE;

/// The French of the translated parts (layout, profile choice, login,
/// first-visit box, error pages): none may be left in an English page.
pub const FRENCH: [&str; 22] = [
    "Aller au contenu",
    "Connexion aux télé-services",
    "Informations légales",
    "Mentions légales",
    "Données personnelles",
    "Accessibilité",
    "d'authentification",
    "Vous souhaitez",
    "Mémoriser",
    "Valider",
    "Élève",
    "Profil choisi",
    "Changer de profil",
    "Identifiant",
    "Mot de passe",
    "oublié",
    "Se connecter",
    "Première visite",
    "créez votre compte",
    "Retour à l'accueil",
    "Trop de",
    "Page introuvable",
];

pub fn assert_english(what: &str, html: &str) {
    assert!(html.contains("<html lang=\"en\">"), "{what}: {html}");
    for f in FRENCH {
        assert!(!html.contains(f), "{what}: French left ({f}): {html}");
    }
    assert!(
        html.contains("Skip to content") && html.contains("Legal notice"),
        "{what}: {html}"
    );
    // The switch back, in French, marked as such.
    assert!(
        html.contains("lang=\"fr\" hreflang=\"fr\">Français</a>"),
        "{what}: {html}"
    );
}

/// French words and phrases none of the other pages may show in English
/// (their visible text, `aria-label`s and placeholders): the marker list
/// of the page families translated after the login.
pub const FRENCH_WORDS: [&str; 40] = [
    "Vous ",
    " vous ",
    "Votre ",
    " votre ",
    " vos ",
    "Ton ",
    " ton ",
    "Créer",
    "créer",
    "Prénom",
    "Retour",
    "Envoyer",
    "mot de passe",
    "Mot de passe",
    "Identifiant",
    "électronique",
    "Erreur",
    "Confirmer",
    "Supprimer",
    "Données",
    "Choisissez",
    "Indiquez",
    "Indique ",
    "Annuler",
    "Gérer",
    "Bonjour",
    "rattach",
    "courrier",
    "ourriel",
    "enfant",
    "Élève",
    " le ",
    " la ",
    " les ",
    " et ",
    " ou ",
    " une ",
    " est ",
    "n'est",
    "jj/mm",
];

/// What a person reads of a page: its text between the tags, and the
/// `aria-label`, `placeholder` and `title` texts; the académie's name and
/// the switch back to French taken out (they are French in every language).
pub fn readable(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push(' ');
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open..open + close];
        for attr in ["aria-label=\"", "placeholder=\""] {
            if let Some(i) = tag.find(attr) {
                let v = &tag[i + attr.len()..];
                out.push_str(&v[..v.find('"').unwrap_or(v.len())]);
                out.push(' ');
            }
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    // The <title> is text too; the académie's name and « Français » are
    // French on purpose.
    out.replace(ACADEMIE, " ").replace("Français", " ")
}

/// `html` is an English page with no French left (both marker lists),
/// showing each of `phrases`.
pub fn assert_english_page(what: &str, html: &str, phrases: &[&str]) {
    assert_english(what, html);
    let text = readable(html);
    for f in FRENCH_WORDS {
        assert!(!text.contains(f), "{what}: French left ({f:?}) in: {text}");
    }
    for p in phrases {
        assert!(html.contains(p), "{what}: no {p:?} in: {html}");
    }
}
