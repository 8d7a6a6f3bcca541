//! Redis over TLS (issue 19 §1): `rediss://` with the server's certificate
//! checked, against `redis.ca_file` for a private authority. A real
//! `redis-server` of the test's own listens with `--tls-port` on loopback,
//! with a throwaway authority and certificate made by the `openssl` CLI.

use crate::support::fixtures::{PASSWORD, camille_code, sign_up_camille};
use crate::support::{CAMILLE, TestEnv, TestServer, free_port, login_as};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `redis-server` speaking only TLS on `port`, with its certificate
/// authority's PEM file; stopped when dropped.
struct TlsRedis {
    child: Child,
    port: u16,
    ca: PathBuf,
    _dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TlsRedis {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend(["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"]);
        ca.extend(["-subj", "/CN=Sesame test CA"]);
        openssl(d, &ca);
        let mut csr = vec!["req"];
        csr.extend(ec);
        csr.extend(["-keyout", "server.key", "-out", "server.csr"]);
        csr.extend(["-subj", "/CN=localhost"]);
        openssl(d, &csr);
        std::fs::write(d.join("ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").expect("ext");
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "ext",
            ],
        );
        let port = free_port();
        let child = Command::new("redis-server")
            .current_dir(d)
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--tls-cert-file",
                "server.pem",
                "--tls-key-file",
                "server.key",
                "--tls-ca-cert-file",
                "ca.pem",
                "--tls-auth-clients",
                "no",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install redis-server)");
        let r = Self {
            child,
            port,
            ca: d.join("ca.pem"),
            _dir: dir,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return r;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server --tls-port did not start on {port}");
    }

    fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}/", self.port)
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rediss_store_checked_against_a_private_ca_serves_sign_up_and_login() {
    let redis = TlsRedis::start();
    let env = TestEnv::new();
    let code = camille_code(&env);
    let (url, ca) = (redis.url(), redis.ca.clone());
    let s = TestServer::spawn(&env, |c| {
        c.redis.url = url;
        c.redis.ca_file = ca;
        c.redis.key_prefix = "tls:".into();
    })
    .await;
    assert_eq!(s.get("/readyz").await.status(), 200);
    sign_up_camille(&s.client, &s.url, &code, PASSWORD).await;
    login_as(&s, &CAMILLE).await;
    assert!(s.store_entries().await > 0, "the sessions live in Redis");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rediss_certificate_of_an_unknown_authority_is_refused() {
    let redis = TlsRedis::start();
    let env = TestEnv::new();
    let url = redis.url();
    // Without `ca_file`, the system's authorities do not know the test's.
    let s = TestServer::spawn(&env, |c| {
        c.redis.url = url;
        c.redis.timeout_ms = 1000;
    })
    .await;
    assert_eq!(s.get("/readyz").await.status(), 503);
}

#[test]
fn check_config_accepts_rediss_with_a_ca_file_and_names_what_is_wrong() {
    let redis = TlsRedis::start();
    let env = TestEnv::new();
    let ca = redis.ca.to_str().expect("utf8").to_owned();
    let url = redis.url();
    let out = env
        .sesame_with(
            &["check-config", "--connect"],
            &[
                ("SESAME__REDIS__URL", &url),
                ("SESAME__REDIS__CA_FILE", &ca),
            ],
        )
        .ok();
    assert!(out.contains("ok     redis rediss://127.0.0.1:"), "{out}");

    let err = env
        .sesame_with(
            &["check-config"],
            &[
                ("SESAME__REDIS__URL", "redis://127.0.0.1:6379/"),
                ("SESAME__REDIS__CA_FILE", &ca),
            ],
        )
        .fails_with(3);
    assert!(
        err.contains("redis.ca_file") && err.contains("rediss://"),
        "{err}"
    );
    let not_pem = env.write("not-a-ca.txt", "bonjour");
    let err = env
        .sesame_with(
            &["check-config"],
            &[
                ("SESAME__REDIS__URL", &url),
                ("SESAME__REDIS__CA_FILE", not_pem.to_str().expect("utf8")),
            ],
        )
        .fails_with(3);
    assert!(
        err.contains("redis.ca_file") && err.contains("no PEM certificate"),
        "{err}"
    );
    let err = env
        .sesame_with(
            &["check-config"],
            &[
                ("SESAME__REDIS__URL", &url),
                ("SESAME__REDIS__CA_FILE", "/nonexistent/ca.pem"),
            ],
        )
        .fails_with(3);
    assert!(err.contains("cannot read /nonexistent/ca.pem"), "{err}");
}
