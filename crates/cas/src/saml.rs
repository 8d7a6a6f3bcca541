//! SAML 1.1 ticket validation (`/samlValidate`, CAS 3.0 §4.2): the service
//! POSTs a SOAP envelope whose `samlp:AssertionArtifact` is the ticket, with
//! the service URL as `TARGET`; the answer is a SAML 1.1 `Response` with an
//! authentication and an attribute statement. Read and written with
//! quick-xml (strict parsing, every value escaped).

use crate::validate::{Failure, Success};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use sesame_domain::text::xml10_safe;

/// The ticket of a SAML 1.1 request, if the body is well-formed XML and
/// holds exactly one `AssertionArtifact`.
pub fn artifact(body: &str) -> Option<String> {
    let mut r = quick_xml::Reader::from_str(body);
    r.config_mut().check_end_names = true;
    let mut inside = false;
    let mut found: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match r.read_event().ok()? {
            Event::Start(e) => {
                inside = AsRef::<str>::as_ref(&e.local_name()) == "AssertionArtifact";
                text.clear();
            }
            Event::Text(t) if inside => text.push_str(&t.into_inner()),
            Event::End(e) => {
                if inside && AsRef::<str>::as_ref(&e.local_name()) == "AssertionArtifact" {
                    found.push(text.trim().to_owned());
                }
                inside = false;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (found.len() == 1).then(|| found.remove(0))
}

type W = Writer<Vec<u8>>;

fn start(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
    let mut e = BytesStart::new(name);
    for (k, v) in attrs {
        e.push_attribute((*k, &*xml10_safe(v)));
    }
    w.write_event(Event::Start(e))
}

fn end(w: &mut W, name: &str) -> std::io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}

fn element(w: &mut W, name: &str, attrs: &[(&str, &str)], text: &str) -> std::io::Result<()> {
    start(w, name, attrs)?;
    // Security: escaping cannot carry most C0 characters in XML 1.0; any
    // that reached the database are replaced, so the response stays
    // well-formed (REST-05).
    w.write_event(Event::Text(BytesText::new(&xml10_safe(text))))?;
    end(w, name)
}

fn subject(w: &mut W, user: &str) -> std::io::Result<()> {
    start(w, "Subject", &[])?;
    element(w, "NameIdentifier", &[], user)?;
    start(w, "SubjectConfirmation", &[])?;
    element(
        w,
        "ConfirmationMethod",
        &[],
        "urn:oasis:names:tc:SAML:1.0:cm:artifact",
    )?;
    end(w, "SubjectConfirmation")?;
    end(w, "Subject")
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The identifiers of one SAML answer (SAML 1.1 `ResponseID` and
/// `AssertionID`: `_` and random characters), drawn by the caller.
#[derive(Debug, Clone, Copy)]
pub struct Ids<'a> {
    /// `ResponseID`.
    pub response: &'a str,
    /// `AssertionID`, written on success only.
    pub assertion: &'a str,
}

fn write(
    w: &mut W,
    outcome: &Result<Success, Failure>,
    target: &str,
    issuer: &str,
    now: time::OffsetDateTime,
    ids: Ids<'_>,
) -> std::io::Result<()> {
    let instant = rfc3339(now);
    let id = ids.response;
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    start(
        w,
        "SOAP-ENV:Envelope",
        &[(
            "xmlns:SOAP-ENV",
            "http://schemas.xmlsoap.org/soap/envelope/",
        )],
    )?;
    w.write_event(Event::Empty(BytesStart::new("SOAP-ENV:Header")))?;
    start(w, "SOAP-ENV:Body", &[])?;
    start(
        w,
        "Response",
        &[
            ("xmlns", "urn:oasis:names:tc:SAML:1.0:protocol"),
            ("xmlns:saml", "urn:oasis:names:tc:SAML:1.0:assertion"),
            ("xmlns:samlp", "urn:oasis:names:tc:SAML:1.0:protocol"),
            ("IssueInstant", &instant),
            ("MajorVersion", "1"),
            ("MinorVersion", "1"),
            ("Recipient", target),
            ("ResponseID", id),
        ],
    )?;
    start(w, "Status", &[])?;
    match outcome {
        Err(f) => {
            let mut code = BytesStart::new("StatusCode");
            code.push_attribute(("Value", "samlp:Responder"));
            w.write_event(Event::Empty(code))?;
            element(
                w,
                "StatusMessage",
                &[],
                &format!("{} : {}", f.code.as_str(), f.description),
            )?;
            end(w, "Status")?;
        }
        Ok(s) => {
            let mut code = BytesStart::new("StatusCode");
            code.push_attribute(("Value", "samlp:Success"));
            w.write_event(Event::Empty(code))?;
            end(w, "Status")?;
            let assertion_id = ids.assertion;
            start(
                w,
                "Assertion",
                &[
                    ("xmlns", "urn:oasis:names:tc:SAML:1.0:assertion"),
                    ("AssertionID", assertion_id),
                    ("IssueInstant", &instant),
                    ("Issuer", issuer),
                    ("MajorVersion", "1"),
                    ("MinorVersion", "1"),
                ],
            )?;
            let until = rfc3339(now + time::Duration::seconds(30));
            start(
                w,
                "Conditions",
                &[("NotBefore", &instant), ("NotOnOrAfter", &until)],
            )?;
            start(w, "AudienceRestrictionCondition", &[])?;
            element(w, "Audience", &[], target)?;
            end(w, "AudienceRestrictionCondition")?;
            end(w, "Conditions")?;
            start(w, "AttributeStatement", &[])?;
            subject(w, &s.user)?;
            for (name, values) in &s.attributes {
                start(
                    w,
                    "Attribute",
                    &[
                        ("AttributeName", name),
                        ("AttributeNamespace", "http://www.ja-sig.org/products/cas/"),
                    ],
                )?;
                for v in values {
                    element(w, "AttributeValue", &[], v)?;
                }
                end(w, "Attribute")?;
            }
            end(w, "AttributeStatement")?;
            let auth = time::OffsetDateTime::from_unix_timestamp(s.auth_time)
                .map(rfc3339)
                .unwrap_or_default();
            start(
                w,
                "AuthenticationStatement",
                &[
                    ("AuthenticationInstant", &auth),
                    (
                        "AuthenticationMethod",
                        "urn:oasis:names:tc:SAML:1.0:am:password",
                    ),
                ],
            )?;
            subject(w, &s.user)?;
            end(w, "AuthenticationStatement")?;
            end(w, "Assertion")?;
        }
    }
    end(w, "Response")?;
    end(w, "SOAP-ENV:Body")?;
    end(w, "SOAP-ENV:Envelope")
}

/// The SAML 1.1 answer to a validation (CAS 3.0 §4.2), issued at `now`
/// and valid 30 seconds.
pub fn response(
    outcome: &Result<Success, Failure>,
    target: &str,
    issuer: &str,
    now: time::OffsetDateTime,
    ids: Ids<'_>,
) -> String {
    let mut w = Writer::new(Vec::new());
    match write(&mut w, outcome, target, issuer, now, ids) {
        Ok(()) => String::from_utf8(w.into_inner()).unwrap_or_default(),
        Err(_) => String::new(),
    }
}
