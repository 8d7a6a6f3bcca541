//! What every page of the site carries: the layout with the configured
//! branding and the footer's notices (issue 17).

/// The académie name the layout tests configure.
pub const ACADEMIE: &str = "Académie de Pontcarré";

/// Asserts an answer is a page of the site: HTML, the académie's name and
/// the footer's notices.
pub fn assert_layout(what: &str, content_type: &str, html: &str) {
    assert!(
        content_type.starts_with("text/html"),
        "{what}: {content_type}"
    );
    assert!(
        html.contains(&format!("<p class=\"academie\">{ACADEMIE}</p>")),
        "{what}: {html}"
    );
    assert!(
        html.contains(&format!("– {ACADEMIE}</title>")),
        "{what}: {html}"
    );
    assert!(
        !html.contains(">Sésame</p>"),
        "{what}: not the generic name"
    );
    for link in [
        "href=\"/accessibilite\"",
        "href=\"/mentions-legales\"",
        "href=\"/donnees-personnelles\"",
        "href=\"/aide\"",
    ] {
        assert!(html.contains(link), "{what}: the footer's {link}");
    }
}
