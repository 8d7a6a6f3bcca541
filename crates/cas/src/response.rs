//! Validation responses as the protocol writes them (CAS 3.0 §2.4.2,
//! §2.5.2, §2.6.2, §2.7.2, appendix A): CAS 1.0 text, CAS 2.0
//! and 3.0 XML (written with quick-xml, every value escaped), JSON.

use crate::validate::{Failure, Success};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use sesame_domain::text::xml10_safe;

/// CAS 1.0 (`/validate`): `yes\nuser\n` or `no\n\n`.
pub fn text_v1(outcome: &Result<Success, Failure>) -> String {
    match outcome {
        Ok(s) => format!("yes\n{}\n", s.user.replace(['\r', '\n'], "")),
        Err(_) => "no\n\n".into(),
    }
}

fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The protocol attributes of CAS 3.0 §4.1.3 followed by the released ones.
fn all_attributes(s: &Success) -> Vec<(String, Vec<String>)> {
    let mut out = vec![
        ("authenticationDate".to_owned(), vec![date(s.auth_time)]),
        (
            "isFromNewLogin".to_owned(),
            vec![s.from_new_login.to_string()],
        ),
        (
            "longTermAuthenticationRequestTokenUsed".to_owned(),
            vec!["false".to_owned()],
        ),
    ];
    out.extend(s.attributes.iter().cloned());
    out
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

fn element(w: &mut W, name: &str, text: &str) -> std::io::Result<()> {
    start(w, name, &[])?;
    // Security: escaping cannot carry most C0 characters in XML 1.0; any
    // that reached the database are replaced, so the response stays
    // well-formed (REST-05).
    w.write_event(Event::Text(BytesText::new(&xml10_safe(text))))?;
    end(w, name)
}

fn write_xml(
    w: &mut W,
    outcome: &Result<Success, Failure>,
    attributes: bool,
) -> std::io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    start(
        w,
        "cas:serviceResponse",
        &[("xmlns:cas", "http://www.yale.edu/tp/cas")],
    )?;
    match outcome {
        Ok(s) => {
            start(w, "cas:authenticationSuccess", &[])?;
            element(w, "cas:user", &s.user)?;
            if attributes {
                start(w, "cas:attributes", &[])?;
                for (name, values) in all_attributes(s) {
                    // Attribute names come from the registry: only safe
                    // XML name characters are written.
                    let name: String = name
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                        .collect();
                    for v in values {
                        element(w, &format!("cas:{name}"), &v)?;
                    }
                }
                end(w, "cas:attributes")?;
            }
            if let Some(iou) = &s.pgt_iou {
                element(w, "cas:proxyGrantingTicket", iou)?;
            }
            if !s.proxies.is_empty() {
                start(w, "cas:proxies", &[])?;
                for p in &s.proxies {
                    element(w, "cas:proxy", p)?;
                }
                end(w, "cas:proxies")?;
            }
            end(w, "cas:authenticationSuccess")?;
        }
        Err(f) => {
            start(w, "cas:authenticationFailure", &[("code", f.code.as_str())])?;
            w.write_event(Event::Text(BytesText::new(f.description)))?;
            end(w, "cas:authenticationFailure")?;
        }
    }
    end(w, "cas:serviceResponse")
}

/// The `/proxy` answer, XML or JSON.
pub fn proxy(outcome: &Result<String, Failure>, as_json: bool) -> String {
    if as_json {
        let v = match outcome {
            Ok(pt) => {
                serde_json::json!({ "serviceResponse": { "proxySuccess": { "proxyTicket": pt } } })
            }
            Err(f) => serde_json::json!({
                "serviceResponse": { "proxyFailure": { "code": f.code.as_str(), "description": f.description } }
            }),
        };
        return v.to_string();
    }
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let written = (|| -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        start(
            &mut w,
            "cas:serviceResponse",
            &[("xmlns:cas", "http://www.yale.edu/tp/cas")],
        )?;
        match outcome {
            Ok(pt) => {
                start(&mut w, "cas:proxySuccess", &[])?;
                element(&mut w, "cas:proxyTicket", pt)?;
                end(&mut w, "cas:proxySuccess")?;
            }
            Err(f) => {
                start(&mut w, "cas:proxyFailure", &[("code", f.code.as_str())])?;
                w.write_event(Event::Text(BytesText::new(f.description)))?;
                end(&mut w, "cas:proxyFailure")?;
            }
        }
        end(&mut w, "cas:serviceResponse")
    })();
    match written {
        Ok(()) => String::from_utf8(w.into_inner()).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// CAS 2.0 / 3.0 XML; attributes only for the `/p3/` endpoints.
pub fn xml(outcome: &Result<Success, Failure>, attributes: bool) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    match write_xml(&mut w, outcome, attributes) {
        Ok(()) => String::from_utf8(w.into_inner()).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The JSON form (`format=JSON`), CAS 3.0 appendix.
pub fn json(outcome: &Result<Success, Failure>, attributes: bool) -> String {
    use serde_json::{Map, Value, json};
    let body = match outcome {
        Ok(s) => {
            let mut success = Map::new();
            success.insert("user".into(), Value::String(s.user.clone()));
            if attributes {
                let attrs: Map<String, Value> = all_attributes(s)
                    .into_iter()
                    .map(|(k, v)| (k, json!(v)))
                    .collect();
                success.insert("attributes".into(), Value::Object(attrs));
            }
            if let Some(iou) = &s.pgt_iou {
                success.insert("proxyGrantingTicket".into(), Value::String(iou.clone()));
            }
            if !s.proxies.is_empty() {
                success.insert("proxies".into(), json!(s.proxies));
            }
            json!({ "serviceResponse": { "authenticationSuccess": success } })
        }
        Err(f) => json!({
            "serviceResponse": {
                "authenticationFailure": { "code": f.code.as_str(), "description": f.description }
            }
        }),
    };
    body.to_string()
}

#[cfg(test)]
mod tests;
