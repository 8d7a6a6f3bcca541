//! Validation responses as the protocol writes them: CAS 1.0 text, CAS 2.0
//! and 3.0 XML (written with quick-xml, every value escaped), JSON.

use super::validate::{Failure, Success};
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
mod tests {
    use super::*;

    /// Reads every element's text back with a strict parser (entity
    /// references arrive as events of their own).
    fn texts(xml: &str) -> Vec<String> {
        let mut r = quick_xml::Reader::from_str(xml);
        r.config_mut().check_end_names = true;
        let mut out = Vec::new();
        let mut cur = String::new();
        loop {
            match r.read_event().expect("well-formed XML") {
                Event::Text(t) => cur.push_str(&t.into_inner()),
                Event::GeneralRef(e) => {
                    let name = e.into_inner().into_owned();
                    cur.push_str(match name.as_str() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        "apos" => "'",
                        other => panic!("unexpected entity {other}"),
                    });
                }
                Event::Start(_) | Event::End(_) | Event::Eof => {
                    if !cur.trim().is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    if r.buffer_position() as usize >= xml.len() {
                        break;
                    }
                }
                _ => {}
            }
        }
        out
    }

    // CAS-06: hostile identifier and attribute values stay text.
    #[test]
    fn hostile_values_are_escaped_and_the_xml_stays_well_formed() {
        let user = "a<b&\"c\"]]></cas:user><cas:user>admin";
        let value = "</cas:attributes></cas:authenticationSuccess>";
        let s = Success {
            user: user.into(),
            auth_time: 0,
            from_new_login: true,
            attributes: vec![("sn><evil".into(), vec![value.into()])],
            pgt_iou: None,
            proxies: vec!["https://p.example/cb?a=1&b=<2>".into()],
        };
        let x = xml(&Ok(s.clone()), true);
        let t = texts(&x);
        assert!(t.contains(&user.to_owned()), "{x}");
        assert!(t.contains(&value.to_owned()), "{x}");
        assert!(
            x.contains("<cas:snevil>"),
            "names keep only safe characters: {x}"
        );
        let j: serde_json::Value = serde_json::from_str(&json(&Ok(s), true)).expect("JSON");
        assert_eq!(j["serviceResponse"]["authenticationSuccess"]["user"], user);
    }

    fn sample() -> Success {
        Success {
            user: "camille.martin".into(),
            auth_time: 1_764_410_400, // 2025-11-29T10:00:00Z
            from_new_login: true,
            attributes: vec![
                ("sn".into(), vec!["MARTIN".into()]),
                (
                    "ENTPersonStructRattach".into(),
                    vec!["0999001W".into(), "0350001L".into()],
                ),
            ],
            pgt_iou: Some("PGTIOU-84678-8a9d2sfa23casd".into()),
            proxies: vec![
                "https://proxy2/pgtUrl".into(),
                "https://proxy1/pgtUrl".into(),
            ],
        }
    }

    // Snapshots of the shapes of the CAS 3.0 specification's examples
    // (§2.5.2, §2.6.2, appendix A for JSON).
    #[test]
    fn the_p3_success_has_the_shape_of_the_specification_example() {
        let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
  <cas:authenticationSuccess>
    <cas:user>camille.martin</cas:user>
    <cas:attributes>
      <cas:authenticationDate>2025-11-29T10:00:00Z</cas:authenticationDate>
      <cas:isFromNewLogin>true</cas:isFromNewLogin>
      <cas:longTermAuthenticationRequestTokenUsed>false</cas:longTermAuthenticationRequestTokenUsed>
      <cas:sn>MARTIN</cas:sn>
      <cas:ENTPersonStructRattach>0999001W</cas:ENTPersonStructRattach>
      <cas:ENTPersonStructRattach>0350001L</cas:ENTPersonStructRattach>
    </cas:attributes>
    <cas:proxyGrantingTicket>PGTIOU-84678-8a9d2sfa23casd</cas:proxyGrantingTicket>
    <cas:proxies>
      <cas:proxy>https://proxy2/pgtUrl</cas:proxy>
      <cas:proxy>https://proxy1/pgtUrl</cas:proxy>
    </cas:proxies>
  </cas:authenticationSuccess>
</cas:serviceResponse>"#;
        assert_eq!(xml(&Ok(sample()), true), expected);
    }

    #[test]
    fn the_failure_and_the_v2_success_have_the_specification_shapes() {
        let failure = Err(Failure {
            code: super::super::FailureCode::InvalidTicket,
            description: "Ticket inconnu, déjà utilisé ou expiré.",
        });
        assert_eq!(
            xml(&failure, true),
            r#"<?xml version="1.0" encoding="UTF-8"?>
<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
  <cas:authenticationFailure code="INVALID_TICKET">Ticket inconnu, déjà utilisé ou expiré.</cas:authenticationFailure>
</cas:serviceResponse>"#
        );
        let mut v2 = sample();
        v2.pgt_iou = None;
        v2.proxies.clear();
        assert_eq!(
            xml(&Ok(v2), false),
            r#"<?xml version="1.0" encoding="UTF-8"?>
<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
  <cas:authenticationSuccess>
    <cas:user>camille.martin</cas:user>
  </cas:authenticationSuccess>
</cas:serviceResponse>"#
        );
        assert_eq!(text_v1(&failure), "no\n\n");
        assert_eq!(text_v1(&Ok(sample())), "yes\ncamille.martin\n");
    }

    #[test]
    fn the_json_forms_have_the_specification_shapes() {
        let v: serde_json::Value = serde_json::from_str(&json(&Ok(sample()), true)).expect("JSON");
        assert_eq!(
            v,
            serde_json::json!({"serviceResponse": {"authenticationSuccess": {
                "user": "camille.martin",
                "attributes": {
                    "authenticationDate": ["2025-11-29T10:00:00Z"],
                    "isFromNewLogin": ["true"],
                    "longTermAuthenticationRequestTokenUsed": ["false"],
                    "sn": ["MARTIN"],
                    "ENTPersonStructRattach": ["0999001W", "0350001L"]
                },
                "proxyGrantingTicket": "PGTIOU-84678-8a9d2sfa23casd",
                "proxies": ["https://proxy2/pgtUrl", "https://proxy1/pgtUrl"]
            }}})
        );
        let failure = Err(Failure {
            code: super::super::FailureCode::InvalidTicket,
            description: "Ticket inconnu, déjà utilisé ou expiré.",
        });
        let v: serde_json::Value = serde_json::from_str(&json(&failure, true)).expect("JSON");
        assert_eq!(
            v,
            serde_json::json!({"serviceResponse": {"authenticationFailure": {
                "code": "INVALID_TICKET", "description": "Ticket inconnu, déjà utilisé ou expiré."
            }}})
        );
        let pt: serde_json::Value =
            serde_json::from_str(&proxy(&Ok("PT-1856392-b98xZrQN4p90ASrw96c8".into()), true))
                .expect("JSON");
        assert_eq!(
            pt,
            serde_json::json!({"serviceResponse": {"proxySuccess": {"proxyTicket": "PT-1856392-b98xZrQN4p90ASrw96c8"}}})
        );
    }
}
