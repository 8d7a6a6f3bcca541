//! `[server]`: where Sésame listens, how it treats connections, where its
//! files live.

use super::{ConfigError, LogFormat, Mode};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use url::Url;

/// `[server]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// development | production.
    pub mode: Mode,
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// The public base URL users reach Sésame at; every absolute link is
    /// built from it, never from the Host header.
    pub public_url: Url,
    /// Folder for the SQLite file, the mail outbox and generated secrets.
    pub data_dir: PathBuf,
    /// Folder of the registered services and clients (one TOML file each).
    pub services_dir: PathBuf,
    /// human | json.
    pub log_format: LogFormat,
    /// Seconds granted to in-flight requests on SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Development switch: when `public_url` is plain http, cookies are sent
    /// without `Secure` and without the `__Host-` prefix. Refused in production.
    pub allow_insecure_http: bool,
    /// Reverse proxies (CIDRs) whose `X-Forwarded-For` is believed; the
    /// client address is the last one added by an untrusted hop.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The administration listener (`/metrics`, `/healthz`, `/readyz`), for
    /// the monitoring network only. Port 0: any free port (logged).
    pub admin_listen: SocketAddr,
    /// Seconds a client has to send a request's headers (the whole of
    /// them), and to start its next request on a kept-alive connection.
    pub header_read_timeout_secs: u64,
    /// Largest number of client connections open at once on the public
    /// listener; beyond it a connection is answered 503 and closed.
    pub max_connections: usize,
    /// The first word of the cookie names (`sesame`, `sesame-b`…). Not read
    /// from the file: only `sesame demo` changes it, for its demonstration
    /// directory served on the same host (cookies do not tell ports apart).
    #[serde(skip, default = "default_cookie_prefix")]
    pub cookie_prefix: String,
}

/// The first word of Sésame's cookie names.
pub const COOKIE_PREFIX: &str = "sesame";

fn default_cookie_prefix() -> String {
    COOKIE_PREFIX.to_owned()
}

impl ServerConfig {
    /// Checks the listener settings.
    pub(super) fn check(&self, origin: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
        let err = |key: &str, reason: &str| ConfigError::at(&origin(key), key, reason);
        if !(1..=300).contains(&self.header_read_timeout_secs) {
            return Err(err(
                "server.header_read_timeout_secs",
                "must be between 1 and 300 seconds",
            ));
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            return Err(err(
                "server.max_connections",
                "must be between 1 and 1000000",
            ));
        }
        if self.admin_listen == self.listen && self.listen.port() != 0 {
            // Security: the metrics must not be served where the public is.
            return Err(err(
                "server.admin_listen",
                "must differ from server.listen (the administration endpoints are not public)",
            ));
        }
        Ok(())
    }
}
