//! `sesame serve` as a child process of the test, on free ports (the public
//! listener and the administration one), stopped when dropped.

use super::{TestEnv, TestServer, free_port};
use std::process::{Child, Stdio};
use std::time::Duration;

/// A running `sesame serve`.
pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT` of the public listener.
    pub url: String,
    /// `http://127.0.0.1:PORT` of the administration listener.
    pub admin: String,
    /// The public listener's address.
    pub addr: std::net::SocketAddr,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts `sesame serve` on `env` with extra variables and waits until
    /// it is ready; its log goes to `serve.log` in the test's folder.
    pub async fn start(env: &TestEnv, vars: &[(&str, &str)]) -> Self {
        let (port, admin_port) = (free_port(), free_port());
        let log = std::fs::File::create(env.path().join("serve.log")).expect("log");
        let child = env
            .command()
            .arg("serve")
            .env("SESAME__SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "SESAME__SERVER__ADMIN_LISTEN",
                format!("127.0.0.1:{admin_port}"),
            )
            .env(
                "SESAME__SERVER__PUBLIC_URL",
                format!("http://127.0.0.1:{port}/"),
            )
            .env("SESAME__SERVER__ALLOW_INSECURE_HTTP", "true")
            .env("RUST_LOG", "info")
            .envs(vars.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("sesame serve");
        let served = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            admin: format!("http://127.0.0.1:{admin_port}"),
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let browser = TestServer::browser();
        for _ in 0..300 {
            if let Ok(r) = browser.get(format!("{}/readyz", served.url)).send().await
                && r.status() == 200
            {
                return served;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "sesame serve never became ready:\n{}",
            std::fs::read_to_string(env.path().join("serve.log")).unwrap_or_default()
        );
    }
}
