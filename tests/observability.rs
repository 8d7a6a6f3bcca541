//! What an operator's monitoring sees: one access line per request, a
//! request id on every line of a request, and `/metrics` (admin listener)
//! in a form Prometheus accepts, with HELP texts, latency histograms per
//! route and the process's own metrics.

use crate::support::TestEnv;
use crate::support::TestServer;
use crate::support::serve::Served;
use std::process::Command;

/// The lines of `serve.log` that mention `needle`.
fn log_lines(env: &TestEnv, needle: &str) -> Vec<String> {
    std::fs::read_to_string(env.path().join("serve.log"))
        .expect("serve.log")
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

// 18.8: the access line names the route template, never the path's
// secrets; a proxy's plain request id is kept and echoed, a hostile one is
// replaced; every line logged during the request carries the id.
#[tokio::test(flavor = "multi_thread")]
async fn each_request_has_one_access_line_and_an_id_on_every_line() {
    let env = TestEnv::new();
    let s = Served::start(&env, &[("RUST_LOG", "info,tower_http=debug")]).await;
    let browser = TestServer::browser();

    let r = browser
        .get(format!(
            "{}/cas/serviceValidate?service=https%3A%2F%2Fent.example.fr%2F&ticket=ST-secret-1234",
            s.url
        ))
        .header("x-request-id", "proxy-7f3a.1")
        .send()
        .await
        .expect("validate");
    assert_eq!(r.headers().get("x-request-id").expect("id"), "proxy-7f3a.1");
    let r = browser
        .get(format!("{}/nulle-part/ST-secret-5678", s.url))
        .header("x-request-id", "bad id; drop")
        .send()
        .await
        .expect("404");
    assert_eq!(r.status(), 404);
    let new_id = r
        .headers()
        .get("x-request-id")
        .expect("a new id")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(new_id.len(), 32, "{new_id}");
    assert!(new_id.bytes().all(|b| b.is_ascii_hexdigit()), "{new_id}");

    // The log is written as the requests end; give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let access = log_lines(&env, "sesame::access");
    let validate: Vec<_> = access
        .iter()
        .filter(|l| l.contains("request_id=proxy-7f3a.1"))
        .collect();
    assert_eq!(validate.len(), 1, "one access line: {access:#?}");
    for field in [
        "method=GET",
        "route=/cas/serviceValidate",
        "status=200",
        "duration_ms=",
    ] {
        assert!(validate[0].contains(field), "{field} in {}", validate[0]);
    }
    let unknown: Vec<_> = access
        .iter()
        .filter(|l| l.contains(&format!("request_id={new_id}")))
        .collect();
    assert_eq!(unknown.len(), 1, "{access:#?}");
    assert!(unknown[0].contains("route=unmatched"), "{}", unknown[0]);
    assert!(unknown[0].contains("status=404"), "{}", unknown[0]);

    // Lines logged inside the request (here the trace layer's own) carry
    // the id; nothing anywhere shows the ticket or the hostile id.
    let inside = log_lines(&env, "request{request_id=proxy-7f3a.1");
    assert!(
        !inside.is_empty(),
        "no line inside the request carries its id"
    );
    let all = std::fs::read_to_string(env.path().join("serve.log")).expect("log");
    for secret in ["ST-secret-1234", "ST-secret-5678", "bad id"] {
        assert!(!all.contains(secret), "{secret} in the log:\n{all}");
    }
}

// 18.8: `/metrics` passes `promtool check metrics`, every metric family has
// a HELP line, latency is a histogram per route template, and the process
// metrics are there.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_pass_promtool_with_help_histograms_and_process_metrics() {
    let env = TestEnv::new();
    let s = Served::start(&env, &[]).await;
    let browser = TestServer::browser();
    for path in ["/connexion", "/cas/login", "/nulle-part"] {
        browser
            .get(format!("{}{path}", s.url))
            .send()
            .await
            .expect("page");
    }
    let text = browser
        .get(format!("{}/metrics", s.admin))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");

    for want in [
        "sesame_http_request_duration_seconds_bucket{route=\"/connexion\",method=\"GET\",le=\"0.005\"}",
        "sesame_http_request_duration_seconds_count{route=\"/connexion\",method=\"GET\"}",
        "sesame_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}",
        "process_resident_memory_bytes ",
        "process_cpu_seconds_total ",
        "process_open_fds ",
        "process_threads ",
    ] {
        assert!(text.contains(want), "{want} in:\n{text}");
    }
    assert!(!text.contains("nulle-part"), "a raw path became a label");
    let families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(families.len() >= 8, "{families:?}");
    for family in families {
        assert!(
            text.contains(&format!("# HELP {family} ")),
            "no HELP for {family}"
        );
    }

    let file = env.path().join("metrics.txt");
    std::fs::write(&file, &text).expect("write");
    let out = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&file).expect("open"))
        .output()
        .expect("promtool (Debian's prometheus package; .ci/run installs it)");
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
