//! Sésame's configuration: defaults, then `config/sesame.toml` (or the file
//! given), then `SESAME__SECTION__KEY` environment variables, then secrets
//! read from `*_file` paths. A bad value stops startup with the file (or
//! variable), the key and the reason.

mod auth;
mod mail;
mod notices;
mod reports;
mod secrets;
mod server;
mod services;
mod sms;
mod upstream;
mod validate;

pub use auth::{
    AccountsConfig, AuditConfig, PasswordConfig, PasswordPolicyKind, ProfileSource, ProfilesConfig,
    SessionConfig, ThrottleConfig,
};
pub use mail::{MailConfig, MailTransport, SmtpConfig, SmtpTls};
pub use notices::{Conformity, NoticesConfig, or_default};
pub use reports::ReportsConfig;
pub use secrets::{SecretKey, Secrets, generate_key as secrets_generate_key, mask_url};
pub use server::ServerConfig;
pub use services::{
    CasConfig, CasService, DEMO_SERVICE_ID, OIDC_SCOPES, OidcClient, OidcConfig, Protocol,
    ServiceDef,
};
pub use sms::{SmsConfig, SmsHttpConfig, SmsTransport};
pub use upstream::{ClaimMapping, Upstream};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use url::Url;

/// A configuration error, worded for an administrator: where the value came
/// from, which key, and why it is refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl ConfigError {
    fn at(origin: &str, key: &str, reason: impl std::fmt::Display) -> Self {
        Self(format!("{origin}: key `{key}`: {reason}"))
    }
}

/// Development or production. Production refuses missing, sample or short
/// secret keys and insecure settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Local use: missing secrets are generated into the data folder.
    Development,
    /// Real users: every secret must be given.
    Production,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// Whether `serve` migrates the schema at start (`database.migrate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MigrateMode {
    /// `serve` applies pending migrations (under a lock shared by every
    /// node starting together).
    Auto,
    /// Only `sesame migrate` does (e.g. a Kubernetes Job before the
    /// rollout); `serve` refuses a schema that is not up to date.
    Never,
}

/// `[database]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path/file.db` or `postgres://user@host/db`. Empty: an SQLite
    /// file `sesame.db` in `server.data_dir`.
    pub url: String,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// Seconds to wait for a connection.
    pub connect_timeout_secs: u64,
    /// `auto`: `serve` migrates at start; `never`: only `sesame migrate`
    /// does. Other commands never migrate.
    #[serde(default = "default_migrate")]
    pub migrate: MigrateMode,
}

fn default_migrate() -> MigrateMode {
    MigrateMode::Auto
}

/// `[redis]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://host:port/db`, or `rediss://` for TLS. Empty: the
    /// in-process store (one node only).
    pub url: String,
    /// With `rediss://`: a PEM file of the certificate authorities that
    /// sign the Redis server's certificate (a private CA). Empty: the
    /// system's authorities.
    pub ca_file: PathBuf,
    /// Sentinel: the sentinels' addresses (`HOST:PORT`), instead of `url`.
    #[serde(default)]
    pub sentinels: Vec<String>,
    /// Sentinel: the name the sentinels monitor the primary under.
    #[serde(default)]
    pub master_name: String,
    /// Cluster: some of the cluster's nodes (`HOST:PORT`), instead of
    /// `url`.
    #[serde(default)]
    pub cluster_nodes: Vec<String>,
    /// Prefix of every key, so that several deployments can share a Redis.
    pub key_prefix: String,
    /// Milliseconds before a Redis command is given up.
    pub timeout_ms: u64,
    /// When `url` is empty: the most entries the in-process store holds.
    pub in_process_max_entries: usize,
}

impl RedisConfig {
    /// How Redis is deployed; `None` for the in-process store.
    pub fn target(&self) -> Option<sesame_store::RedisTarget> {
        if !self.sentinels.is_empty() {
            Some(sesame_store::RedisTarget::Sentinel {
                sentinels: self.sentinels.clone(),
                master_name: self.master_name.clone(),
            })
        } else if !self.cluster_nodes.is_empty() {
            Some(sesame_store::RedisTarget::Cluster {
                nodes: self.cluster_nodes.clone(),
            })
        } else if !self.url.is_empty() {
            Some(sesame_store::RedisTarget::Url(self.url.clone()))
        } else {
            None
        }
    }

    /// The deployment in words, without secrets (for logs and
    /// `check-config`).
    pub fn describe(&self) -> String {
        match self.target() {
            None => "none (in-process store, one node only)".to_owned(),
            Some(sesame_store::RedisTarget::Url(u)) => mask_url(&u),
            Some(sesame_store::RedisTarget::Sentinel {
                sentinels,
                master_name,
            }) => format!("sentinel {master_name:?} via {}", sentinels.join(", ")),
            Some(sesame_store::RedisTarget::Cluster { nodes }) => {
                format!("cluster via {}", nodes.join(", "))
            }
        }
    }

    /// The certificates of `ca_file`, if one is set; why not when the file
    /// cannot be read or holds no PEM certificate.
    pub fn ca_pem(&self) -> Result<Option<Vec<u8>>, String> {
        read_ca_pem(&self.ca_file)
    }
}

/// The certificates of a `ca_file` setting, none when it is empty; why not
/// when the file cannot be read or holds no PEM certificate.
pub(crate) fn read_ca_pem(file: &std::path::Path) -> Result<Option<Vec<u8>>, String> {
    if file.as_os_str().is_empty() {
        return Ok(None);
    }
    let pem = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err(format!(
            "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            file.display()
        ));
    }
    Ok(Some(pem))
}

/// `[branding]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingConfig {
    /// The académie's name, shown on every page, mail and letter.
    pub academie: String,
    /// Path of the académie's logo (PNG or SVG); empty for none.
    pub logo: PathBuf,
    /// The address printed on the letters, where parents start (the portal).
    pub portal_url: Url,
    /// Who to contact for help, printed on the letters and pages.
    pub help: String,
    /// The words of the portal's link to the login page, named in step 1
    /// of the letters (« cliquez sur « Je me connecte » »).
    #[serde(default = "default_portal_link_label")]
    pub portal_link_label: String,
    /// The look of the pages: `neutral` (the default) or `etat`.
    #[serde(default)]
    pub theme: Theme,
}

/// `branding.theme`: the look of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// A sober look of Sésame's own, with the académie's logo.
    #[default]
    Neutral,
    /// The State's look (« État »): the République française block-mark
    /// beside the académie's name, the colours and spacing of the State
    /// design system (DSFR), drawn in HTML and CSS from free assets only.
    Etat,
}

impl Theme {
    /// Whether the pages wear the State's look.
    pub fn is_etat(self) -> bool {
        self == Theme::Etat
    }
}

fn default_portal_link_label() -> String {
    "Je me connecte".into()
}

/// `[codes]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodesConfig {
    /// Days an activation code stays valid after it is generated.
    pub validity_days: u32,
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[server]`.
    pub server: ServerConfig,
    /// `[database]`.
    pub database: DatabaseConfig,
    /// `[redis]`.
    pub redis: RedisConfig,
    /// `[mail]`.
    pub mail: MailConfig,
    /// `[branding]`.
    pub branding: BrandingConfig,
    /// `[notices]`: accessibility, legal notice, personal data, help.
    #[serde(default)]
    pub notices: NoticesConfig,
    /// `[codes]`.
    pub codes: CodesConfig,
    /// `[password]`.
    pub password: PasswordConfig,
    /// `[session]`.
    pub session: SessionConfig,
    /// `[throttle]`.
    pub throttle: ThrottleConfig,
    /// `[profiles]`.
    pub profiles: ProfilesConfig,
    /// `[accounts]`.
    pub accounts: AccountsConfig,
    /// `[audit]`.
    #[serde(default)]
    pub audit: AuditConfig,
    /// `[reports]`: who hears of « Ce n'est pas mon enfant ».
    #[serde(default)]
    pub reports: ReportsConfig,
    /// `[sms]`: the first visit by text message.
    #[serde(default)]
    pub sms: SmsConfig,
    /// `[cas]`.
    pub cas: CasConfig,
    /// `[oidc]`.
    #[serde(default)]
    pub oidc: OidcConfig,
    /// `[[upstream]]`: upstream OpenID Connect providers.
    #[serde(default)]
    pub upstream: Vec<Upstream>,
    /// `[secrets]`.
    pub secrets: Secrets,
    /// The registered services, read from `server.services_dir`.
    #[serde(skip)]
    pub services: Vec<ServiceDef>,
}

impl Default for Config {
    fn default() -> Self {
        let url = |s: &str| Url::parse(s).unwrap_or_else(|_| unreachable!("constant URL"));
        Self {
            server: ServerConfig {
                mode: Mode::Development,
                listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
                public_url: url("http://localhost:8080/"),
                data_dir: PathBuf::from("data"),
                services_dir: PathBuf::from("config/services"),
                log_format: LogFormat::Human,
                shutdown_grace_secs: 20,
                allow_insecure_http: false,
                trusted_proxies: Vec::new(),
                admin_listen: SocketAddr::from(([127, 0, 0, 1], 9090)),
                header_read_timeout_secs: 10,
                max_connections: 4096,
                cookie_prefix: server::COOKIE_PREFIX.to_owned(),
            },
            database: DatabaseConfig {
                url: String::new(),
                max_connections: 10,
                connect_timeout_secs: 5,
                migrate: MigrateMode::Auto,
            },
            redis: RedisConfig {
                url: String::new(),
                ca_file: PathBuf::new(),
                sentinels: Vec::new(),
                master_name: String::new(),
                cluster_nodes: Vec::new(),
                key_prefix: "sesame:".into(),
                timeout_ms: 1500,
                in_process_max_entries: sesame_store::DEFAULT_MAX_ENTRIES,
            },
            mail: MailConfig {
                transport: MailTransport::Outbox,
                outbox_dir: PathBuf::new(),
                from: "Sésame <ne-pas-repondre@localhost>".into(),
                smtp: SmtpConfig {
                    host: String::new(),
                    port: 587,
                    tls: SmtpTls::Starttls,
                    username: String::new(),
                    password: None,
                    password_file: None,
                    ca_file: PathBuf::new(),
                },
                poll_seconds: 5,
                send_timeout_secs: 30,
                retry_budget_hours: 24,
            },
            branding: BrandingConfig {
                academie: "Académie de démonstration".into(),
                logo: PathBuf::new(),
                portal_url: url("http://localhost:8080/"),
                help: "adressez-vous au secrétariat de l'établissement".into(),
                portal_link_label: default_portal_link_label(),
                theme: Theme::Neutral,
            },
            notices: NoticesConfig::default(),
            codes: CodesConfig { validity_days: 92 },
            password: PasswordConfig {
                policy: PasswordPolicyKind::Seed,
                min_length: 8,
                blocklist_file: PathBuf::new(),
                argon2_memory_kib: 19 * 1024,
                argon2_iterations: 2,
                argon2_parallelism: 1,
                max_concurrent_hashes: 4,
            },
            session: SessionConfig {
                idle_minutes: 120,
                absolute_hours: 8,
            },
            throttle: ThrottleConfig {
                account_delay_after: 5,
                account_block_after: 10,
                ip_failures_per_minute: 20,
            },
            profiles: ProfilesConfig {
                eleve: ProfileSource::Local,
                parent: ProfileSource::Local,
                personnel_education: ProfileSource::Disabled,
                personnel_collectivite: ProfileSource::Disabled,
                invite: ProfileSource::Disabled,
            },
            accounts: AccountsConfig {
                confirmation_days: 7,
                purge_interval_minutes: 10,
                leaver_grace_days: 30,
                retention_days: 90,
                deletion_notice_days: 15,
                confirmation_reminder_days: vec![3, 6],
            },
            audit: AuditConfig::default(),
            reports: ReportsConfig::default(),
            sms: SmsConfig::default(),
            cas: CasConfig {
                service_ticket_seconds: 10,
                allow_http_callbacks_on_loopback: false,
            },
            oidc: OidcConfig::default(),
            upstream: Vec::new(),
            secrets: Secrets::default(),
            services: Vec::new(),
        }
    }
}

/// Where the configuration comes from.
#[derive(Debug, Clone, Default)]
pub struct ConfigSource {
    /// The TOML file, if any. When `None` and `default_file` is set,
    /// `config/sesame.toml` is read if it exists.
    pub file: Option<PathBuf>,
    /// Whether to look for `config/sesame.toml` when no file is given.
    pub default_file: bool,
    /// Whether to read `SESAME__*` environment variables.
    pub env: bool,
    /// Defaults to start from instead of the built-in ones.
    pub base: Option<Config>,
}

impl Config {
    /// Loads, layers and validates the configuration.
    pub fn load(source: &ConfigSource) -> Result<Self, ConfigError> {
        let base = source.base.clone().unwrap_or_default();
        let mut figment = Figment::from(Serialized::defaults(base));
        let file = match &source.file {
            Some(f) if !f.is_file() => {
                return Err(ConfigError(format!(
                    "{}: configuration file not found",
                    f.display()
                )));
            }
            Some(f) => Some(f.clone()),
            None => Some(PathBuf::from("config/sesame.toml"))
                .filter(|p| source.default_file && p.is_file()),
        };
        if let Some(f) = &file {
            figment = figment.merge(Toml::file_exact(f));
        }
        if source.env {
            figment = figment.merge(Env::prefixed("SESAME__").split("__"));
        }
        let mut config: Config = figment.extract().map_err(|e| describe(&e))?;
        // Secrets serialise masked: those of the base configuration (given
        // in code, e.g. by tests) are restored where nothing replaced them.
        if let Some(b) = &source.base {
            config.secrets.restore_masked(&b.secrets);
        }
        let origin = |key: &str| -> String {
            match figment.find_metadata(key) {
                Some(m) => match &m.source {
                    Some(figment::Source::File(p)) => p.display().to_string(),
                    Some(figment::Source::Code(_)) => "defaults".into(),
                    _ if m.name.contains("environment") => {
                        format!(
                            "environment variable SESAME__{}",
                            key.replace('.', "__").to_uppercase()
                        )
                    }
                    Some(other) => format!("{} {other}", m.name),
                    None => m.name.to_string(),
                },
                None => "defaults".into(),
            }
        };
        config.resolve_paths();
        config.validate(&origin)?;
        config.services = services::load_dir(&config.server.services_dir)?;
        config.check_clients(&origin)?;
        upstream::check(&mut config.upstream, &config.profiles, &origin)?;
        Ok(config)
    }

    fn resolve_paths(&mut self) {
        if self.database.url.is_empty() {
            self.database.url = format!(
                "sqlite://{}",
                self.server.data_dir.join("sesame.db").display()
            );
        }
        if self.mail.outbox_dir.as_os_str().is_empty() {
            self.mail.outbox_dir = self.server.data_dir.join("outbox");
        }
    }

    /// The effective configuration as TOML, secrets masked.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = mask_url(&shown.database.url);
        shown.redis.url = mask_url(&shown.redis.url);
        let mut out = toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# {e}\n"));
        out.push_str(&format!(
            "\n# {} registered service(s)\n",
            self.services.len()
        ));
        for s in &self.services {
            out.push_str(&format!(
                "#   {} ({:?}) from {}\n",
                s.id,
                s.protocol,
                s.file.display()
            ));
        }
        out
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.server.data_dir
    }
}

fn describe(e: &figment::Error) -> ConfigError {
    let mut lines = Vec::new();
    for e in e.clone() {
        let key = e.path.join(".");
        let origin = match &e.metadata {
            Some(m) => match &m.source {
                Some(figment::Source::File(p)) => p.display().to_string(),
                _ if m.name.contains("environment") && !key.is_empty() => {
                    format!(
                        "environment variable SESAME__{}",
                        key.replace('.', "__").to_uppercase()
                    )
                }
                Some(other) => other.to_string(),
                None => m.name.to_string(),
            },
            None => "configuration".into(),
        };
        let reason = match &e.kind {
            figment::error::Kind::UnknownField(f, _) => {
                // figment's path sometimes ends with the unknown field
                // already (`server.lisen`): named once.
                let full = if key.is_empty() {
                    f.clone()
                } else if e.path.last() == Some(f) {
                    key.clone()
                } else {
                    format!("{key}.{f}")
                };
                lines.push(format!("{origin}: key `{full}`: unknown key"));
                continue;
            }
            kind => kind.to_string(),
        };
        let key = if key.is_empty() { "(file)".into() } else { key };
        lines.push(format!("{origin}: key `{key}`: {reason}"));
    }
    ConfigError(lines.join("\n"))
}
