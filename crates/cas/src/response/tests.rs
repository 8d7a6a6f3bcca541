//! Responses as services read them (CAS 3.0 §2.4.2, §2.5.2, §2.6.2, §2.7.2,
//! appendix A; SAML 1.1 of §4.2): the specification examples, then one
//! table row per outcome and per escaping rule.

use super::*;
use crate::saml;
use crate::validate::FailureCode;

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
        code: crate::validate::FailureCode::InvalidTicket,
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
        code: crate::validate::FailureCode::InvalidTicket,
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

/// The forms a validation outcome is written in.
#[derive(Debug, Clone, Copy)]
enum Form {
    /// `/validate`.
    Text,
    /// `/serviceValidate`.
    Xml2,
    /// `/p3/serviceValidate`.
    Xml3,
    /// `/serviceValidate?format=JSON`.
    Json2,
    /// `/p3/serviceValidate?format=JSON`.
    Json3,
    /// `/samlValidate`.
    Saml,
}

fn render(form: Form, outcome: &Result<Success, Failure>) -> String {
    match form {
        Form::Text => text_v1(outcome),
        Form::Xml2 => xml(outcome, false),
        Form::Xml3 => xml(outcome, true),
        Form::Json2 => json(outcome, false),
        Form::Json3 => json(outcome, true),
        Form::Saml => saml::response(
            outcome,
            "https://app.example/cas",
            "sesame.example",
            time::macros::datetime!(2025-11-29 10:00 UTC),
            saml::Ids {
                response: "_r1",
                assertion: "_a1",
            },
        ),
    }
}

/// `expected` is the whole answer (JSON compared as a value).
fn check(form: Form, outcome: &Result<Success, Failure>, expected: &str) {
    let got = render(form, outcome);
    if matches!(form, Form::Json2 | Form::Json3) {
        let got: serde_json::Value = serde_json::from_str(&got).expect("JSON");
        let want: serde_json::Value = serde_json::from_str(expected).expect("expected JSON");
        assert_eq!(got, want, "{form:?}");
    } else {
        assert_eq!(got, expected, "{form:?}");
    }
}

/// `expected` is a piece of the answer; an XML answer must also parse.
fn check_contains(form: Form, outcome: &Result<Success, Failure>, expected: &str) {
    let got = render(form, outcome);
    if matches!(form, Form::Xml2 | Form::Xml3 | Form::Saml) {
        texts(&got);
    }
    assert!(
        got.contains(expected),
        "{form:?}: {expected:?} not in\n{got}"
    );
}

fn failure(code: FailureCode) -> Result<Success, Failure> {
    Err(Failure::new(code, "Description."))
}

fn xml_failure(code: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n  <cas:authenticationFailure code=\"{code}\">Description.</cas:authenticationFailure>\n</cas:serviceResponse>"
    )
}

fn json_failure(code: &str) -> String {
    format!(
        r#"{{"serviceResponse": {{"authenticationFailure": {{"code": "{code}", "description": "Description."}}}}}}"#
    )
}

#[test]
fn every_failure_in_every_form() {
    use FailureCode::*;
    for code in [
        InvalidRequest,
        InvalidTicketSpec,
        UnauthorizedServiceProxy,
        UnauthorizedService,
        InvalidProxyCallback,
        InvalidTicket,
        InvalidService,
        InternalError,
    ] {
        let outcome = failure(code);
        let c = code.as_str();
        check(Form::Text, &outcome, "no\n\n");
        check(Form::Xml2, &outcome, &xml_failure(c));
        check(Form::Xml3, &outcome, &xml_failure(c));
        check(Form::Json2, &outcome, &json_failure(c));
        check(Form::Json3, &outcome, &json_failure(c));
        check_contains(
            Form::Saml,
            &outcome,
            &format!(
                "<Status><StatusCode Value=\"samlp:Responder\"/><StatusMessage>{c} : Description.</StatusMessage></Status></Response>"
            ),
        );
    }
}

fn success(user: &str, attributes: &[(&str, &[&str])]) -> Result<Success, Failure> {
    Ok(Success {
        user: user.into(),
        auth_time: 1_764_410_400,
        from_new_login: false,
        attributes: attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
            .collect(),
        pgt_iou: None,
        proxies: Vec::new(),
    })
}

#[test]
fn successes() {
    let plain = success("lea", &[("uid", &["lea"])]);
    let none = success("lea", &[]);
    for (form, outcome, expected) in [
        (Form::Text, &plain, "yes\nlea\n"),
        (
            Form::Xml2,
            &plain,
            "  <cas:authenticationSuccess>\n    <cas:user>lea</cas:user>\n  </cas:authenticationSuccess>",
        ),
        (
            Form::Xml3,
            &plain,
            "<cas:isFromNewLogin>false</cas:isFromNewLogin>",
        ),
        (Form::Xml3, &plain, "<cas:uid>lea</cas:uid>"),
        (
            Form::Xml3,
            &none,
            "<cas:longTermAuthenticationRequestTokenUsed>false</cas:longTermAuthenticationRequestTokenUsed>\n    </cas:attributes>",
        ),
        (
            Form::Json2,
            &plain,
            r#"{"serviceResponse":{"authenticationSuccess":{"user":"lea"}}}"#,
        ),
        (
            Form::Saml,
            &plain,
            "<StatusCode Value=\"samlp:Success\"/></Status><Assertion xmlns=\"urn:oasis:names:tc:SAML:1.0:assertion\" AssertionID=\"_a1\" IssueInstant=\"2025-11-29T10:00:00Z\" Issuer=\"sesame.example\" MajorVersion=\"1\" MinorVersion=\"1\">",
        ),
        (
            Form::Saml,
            &plain,
            "<Conditions NotBefore=\"2025-11-29T10:00:00Z\" NotOnOrAfter=\"2025-11-29T10:00:30Z\"><AudienceRestrictionCondition><Audience>https://app.example/cas</Audience>",
        ),
        (
            Form::Saml,
            &plain,
            "<Attribute AttributeName=\"uid\" AttributeNamespace=\"http://www.ja-sig.org/products/cas/\"><AttributeValue>lea</AttributeValue></Attribute>",
        ),
        (
            Form::Saml,
            &plain,
            "<AuthenticationStatement AuthenticationInstant=\"2025-11-29T10:00:00Z\" AuthenticationMethod=\"urn:oasis:names:tc:SAML:1.0:am:password\"><Subject><NameIdentifier>lea</NameIdentifier>",
        ),
        (Form::Saml, &plain, "ResponseID=\"_r1\""),
    ] {
        if matches!(form, Form::Json2 | Form::Text) {
            check(form, outcome, expected);
        } else {
            check_contains(form, outcome, expected);
        }
    }
    // The v2 XML and JSON carry no attributes.
    assert!(!render(Form::Xml2, &plain).contains("cas:attributes"));
    assert!(!render(Form::Json2, &plain).contains("attributes"));
}

// CAS-06, REST-05: values are text, whatever they hold.
#[test]
fn escaping_of_users_and_attribute_values() {
    let markup = success("a<b", &[("sn", &["</cas:sn><cas:admin>1"])]);
    let amp = success("a&b", &[("o", &["R&D \"x\" 'y'"])]);
    let control = success("a\u{1}b", &[("sn", &["x\u{0}y\u{7f}z"])]);
    let name = success("u", &[("sn><evil x=\"1\"", &["v"])]);
    let newline = success("lea\r\nyes\nadmin", &[]);
    for (form, outcome, expected) in [
        (Form::Xml2, &markup, "<cas:user>a&lt;b</cas:user>"),
        (
            Form::Xml3,
            &markup,
            "<cas:sn>&lt;/cas:sn&gt;&lt;cas:admin&gt;1</cas:sn>",
        ),
        (
            Form::Saml,
            &markup,
            "<AttributeValue>&lt;/cas:sn&gt;&lt;cas:admin&gt;1</AttributeValue>",
        ),
        (
            Form::Saml,
            &markup,
            "<NameIdentifier>a&lt;b</NameIdentifier>",
        ),
        (Form::Json3, &markup, r#""sn":["</cas:sn><cas:admin>1"]"#),
        (Form::Xml3, &amp, "<cas:user>a&amp;b</cas:user>"),
        (
            Form::Xml3,
            &amp,
            "<cas:o>R&amp;D &quot;x&quot; &apos;y&apos;</cas:o>",
        ),
        (Form::Json3, &amp, r#""o":["R&D \"x\" 'y'"]"#),
        (Form::Xml3, &control, "<cas:user>a\u{fffd}b</cas:user>"),
        (Form::Xml3, &control, "<cas:sn>x\u{fffd}y\u{fffd}z</cas:sn>"),
        (
            Form::Saml,
            &control,
            "<AttributeValue>x\u{fffd}y\u{fffd}z</AttributeValue>",
        ),
        (Form::Json3, &control, r#""user":"a\u0001b""#),
        // Attribute names come from the registry: only safe characters.
        (Form::Xml3, &name, "<cas:snevilx1>v</cas:snevilx1>"),
        (
            Form::Saml,
            &name,
            "AttributeName=\"sn&gt;&lt;evil x=&quot;1&quot;\"",
        ),
        // CAS 1.0 is line-based: a user cannot add lines.
        (Form::Text, &newline, "yes\nleayesadmin\n"),
    ] {
        check_contains(form, outcome, expected);
    }
}

#[test]
fn proxy_answers() {
    let ok: Result<String, Failure> = Ok("PT-1".into());
    let err: Result<String, Failure> = Err(Failure::new(
        FailureCode::UnauthorizedService,
        "Ce service cible n'est pas enregistré.",
    ));
    for (outcome, as_json, expected) in [
        (
            &ok,
            false,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n  <cas:proxySuccess>\n    <cas:proxyTicket>PT-1</cas:proxyTicket>\n  </cas:proxySuccess>\n</cas:serviceResponse>",
        ),
        (
            &err,
            false,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n  <cas:proxyFailure code=\"UNAUTHORIZED_SERVICE\">Ce service cible n&apos;est pas enregistré.</cas:proxyFailure>\n</cas:serviceResponse>",
        ),
        (
            &ok,
            true,
            r#"{"serviceResponse":{"proxySuccess":{"proxyTicket":"PT-1"}}}"#,
        ),
        (
            &err,
            true,
            r#"{"serviceResponse":{"proxyFailure":{"code":"UNAUTHORIZED_SERVICE","description":"Ce service cible n'est pas enregistré."}}}"#,
        ),
    ] {
        let got = proxy(outcome, as_json);
        if as_json {
            let got: serde_json::Value = serde_json::from_str(&got).expect("JSON");
            let want: serde_json::Value = serde_json::from_str(expected).expect("JSON");
            assert_eq!(got, want);
        } else {
            assert_eq!(got, expected);
        }
    }
}
