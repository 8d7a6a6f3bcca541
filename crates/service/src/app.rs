//! `App`: every dependency of the use cases, built once at start-up and
//! shared (no global singletons).

use crate::config::{Config, Mode};
use crate::keys::Keys;
use sesame_domain::{Clock, SystemClock};
use sesame_store::db::DbOptions;
use sesame_store::{Database, EphemeralStore};
use std::sync::Arc;
use std::time::Duration;

/// Why Sésame could not start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A secret could not be read or generated.
    #[error("secrets: {0}")]
    Secrets(String),
    /// Files of the data folder are readable by others (production), or
    /// cannot be created.
    #[error("file modes:\n{0}")]
    Files(String),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Db(#[from] sesame_store::DbErr),
    /// The schema does not suit this binary (pending migrations for a
    /// command that does not migrate, or a newer incompatible schema).
    #[error("{0}")]
    Schema(String),
    /// The ephemeral store could not be set up.
    #[error("ephemeral store: {0}")]
    Store(#[from] sesame_store::EphemeralError),
}

/// What opening the application does to the database schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Apply pending migrations (`serve`, `migrate`).
    Migrate,
    /// Only check that nothing is pending (every other command).
    Check,
}

/// The application: configuration, database, ephemeral store, clock, keys.
#[derive(Debug)]
pub struct App {
    /// The validated configuration.
    pub config: Config,
    /// The relational database.
    pub db: Database,
    /// The shared ephemeral store.
    pub store: EphemeralStore,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Keyed hashes.
    pub keys: Keys,
    /// Password hashing.
    pub hasher: crate::password::Hasher,
    /// Password policy.
    pub policy: crate::password::Policy,
    /// The OpenID Connect signing keys, parsed once.
    pub signing_keys: crate::oidc::cache::KeyCache,
    /// The discovery document as served (it follows the configuration
    /// only), serialised at its first request.
    pub discovery: std::sync::OnceLock<Arc<str>>,
    /// OpenID Connect client secrets already verified.
    pub client_secrets: crate::oidc::cache::SecretCache,
    /// Upstream providers' discovery documents.
    pub upstreams: crate::upstream::cache::Cache,
}

/// What `/readyz` reports.
#[derive(Debug)]
pub struct Readiness {
    /// Whether the database answers, or why not.
    pub database: Result<(), String>,
    /// Whether the ephemeral store answers, or why not.
    pub store: Result<(), String>,
}

impl Readiness {
    /// Whether every dependency answers.
    pub fn ready(&self) -> bool {
        self.database.is_ok() && self.store.is_ok()
    }
}

impl App {
    /// Opens the database (migrating it), the ephemeral store, and reads the
    /// keys. In development mode, missing secrets are generated into the
    /// data folder.
    pub async fn init(config: Config) -> Result<Self, InitError> {
        Self::init_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like [`App::init`], for a command that does not migrate: the schema
    /// must already be what this binary needs (or newer and compatible).
    pub async fn open(config: Config) -> Result<Self, InitError> {
        Self::init_with(config, Arc::new(SystemClock), Schema::Check).await
    }

    /// Like [`App::init`], with a given clock (migrating as
    /// `database.migrate` says, like `serve`).
    pub async fn init_with_clock(config: Config, clock: Arc<dyn Clock>) -> Result<Self, InitError> {
        let schema = match config.database.migrate {
            crate::config::MigrateMode::Auto => Schema::Migrate,
            crate::config::MigrateMode::Never => Schema::Check,
        };
        Self::init_with(config, clock, schema).await
    }

    /// Opens the application, doing `schema` to the database schema.
    pub async fn init_with(
        mut config: Config,
        clock: Arc<dyn Clock>,
        schema: Schema,
    ) -> Result<Self, InitError> {
        // One TLS crypto provider for every client (SMTP, single logout…).
        let _ = rustls::crypto::ring::default_provider().install_default();
        crate::files::secure(&config).map_err(InitError::Files)?;
        if config.server.mode == Mode::Development {
            config
                .secrets
                .fill_for_development(&config.server.data_dir)
                .map_err(|e| {
                    InitError::Secrets(format!(
                        "{}: {e}",
                        config.server.data_dir.join("secrets").display()
                    ))
                })?;
        }
        let secret = |s: &Option<crate::config::SecretKey>, name: &str| {
            s.as_ref()
                .map(|k| k.expose().as_bytes().to_vec())
                .ok_or_else(|| InitError::Secrets(format!("secrets.{name} is missing")))
        };
        let raw = |k: &[crate::config::SecretKey]| -> Vec<Vec<u8>> {
            k.iter().map(|k| k.expose().as_bytes().to_vec()).collect()
        };
        let s = &config.secrets;
        let (code, token) = (
            secret(&s.code_hmac_key, "code_hmac_key")?,
            secret(&s.token_hmac_key, "token_hmac_key")?,
        );
        let cookie = secret(&s.cookie_key, "cookie_key")?;
        let (prev_code, prev_token, prev_cookie) = (
            raw(&s.previous_code_hmac_keys),
            raw(&s.previous_token_hmac_keys),
            raw(&s.previous_cookie_keys),
        );
        let keys = Keys::with(&crate::keys::Secrets {
            code: (&code, &prev_code),
            token: (&token, &prev_token),
            cookie: (&cookie, &prev_cookie),
            subject: s.subject_key.as_ref().map(|k| k.expose().as_bytes()),
        });
        let opts = DbOptions {
            max_connections: config.database.max_connections,
            connect_timeout: Duration::from_secs(config.database.connect_timeout_secs),
        };
        let db = Database::connect(&config.database.url, &opts).await?;
        let state = db
            .prepare_schema(schema == Schema::Migrate)
            .await
            .map_err(|e| match e {
                sesame_store::db::SchemaError::Db(e) => InitError::Db(e),
                other => InitError::Schema(other.to_string()),
            })?;
        if state.applied > 0 {
            tracing::info!(count = state.applied, "database migrations applied");
        }
        if !state.newer.is_empty() {
            tracing::warn!(
                migrations = ?state.newer,
                "the schema has compatible migrations of a newer release: running on it"
            );
        }
        let store = if let Some(target) = config.redis.target() {
            let ca = config
                .redis
                .ca_pem()
                .map_err(|e| InitError::Store(sesame_store::EphemeralError::from_text(e)))?;
            EphemeralStore::redis_at(
                &target,
                &config.redis.key_prefix,
                Duration::from_millis(config.redis.timeout_ms),
                ca.as_deref(),
            )?
        } else {
            EphemeralStore::memory_bounded(clock.clone(), config.redis.in_process_max_entries)
        };
        let p = &config.password;
        let hasher = crate::password::Hasher::new(
            p.argon2_memory_kib,
            p.argon2_iterations,
            p.argon2_parallelism,
            p.max_concurrent_hashes,
        )
        .map_err(InitError::Secrets)?;
        let extra = if p.blocklist_file.as_os_str().is_empty() {
            String::new()
        } else {
            std::fs::read_to_string(&p.blocklist_file).map_err(|e| {
                InitError::Secrets(format!(
                    "password.blocklist_file {}: {e}",
                    p.blocklist_file.display()
                ))
            })?
        };
        let mut policy = crate::password::Policy::new(p.min_length, &extra)
            .with_site_words(&[config.branding.academie.clone()]);
        if p.policy == crate::config::PasswordPolicyKind::Cnil {
            policy = policy.cnil();
        }
        Ok(Self {
            config,
            db,
            store,
            clock,
            keys,
            hasher,
            policy,
            signing_keys: Default::default(),
            discovery: std::sync::OnceLock::new(),
            client_secrets: Default::default(),
            upstreams: Default::default(),
        })
    }

    /// Asks the database and the ephemeral store whether they answer.
    pub async fn readiness(&self) -> Readiness {
        let limit = Duration::from_secs(2);
        let database = match tokio::time::timeout(limit, self.db.ping()).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err("timed out".into()),
        };
        let store = match tokio::time::timeout(limit, self.store.ping()).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err("timed out".into()),
        };
        Readiness { database, store }
    }
}
