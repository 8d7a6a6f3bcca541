//! The checks of a loaded configuration: each value in its range, the
//! combinations that cannot work, production's stricter rules, and what the
//! registered clients ask of the signing algorithms. Each refusal names
//! where the value came from, the key and why.

use super::*;

impl Config {
    pub(super) fn validate(&mut self, origin: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
        let err = |key: &str, reason: String| ConfigError::at(&origin(key), key, reason);
        if sesame_store::DbKind::of_url(&self.database.url).is_none() {
            return Err(err(
                "database.url",
                format!(
                    "unsupported database URL {:?}: use sqlite://PATH or postgres://USER@HOST/DB",
                    mask_url(&self.database.url)
                ),
            ));
        }
        if !self.redis.url.is_empty() {
            match Url::parse(&self.redis.url) {
                Ok(u) if matches!(u.scheme(), "redis" | "rediss") => {}
                _ => {
                    return Err(err(
                        "redis.url",
                        "expected redis://HOST:PORT/DB or rediss://…, or empty for the in-process store".into(),
                    ));
                }
            }
        }
        self.redis.check_mode(&err)?;
        if !self.redis.ca_file.as_os_str().is_empty() {
            if !self.redis.url.starts_with("rediss://") {
                return Err(err(
                    "redis.ca_file",
                    "is only used with TLS: set redis.url to rediss://HOST:PORT/DB, or leave redis.ca_file empty".into(),
                ));
            }
            if let Err(reason) = self.redis.ca_pem() {
                return Err(err("redis.ca_file", reason));
            }
        }
        if self.redis.timeout_ms == 0 || self.redis.timeout_ms > 10_000 {
            return Err(err(
                "redis.timeout_ms",
                "must be between 1 and 10000".into(),
            ));
        }
        self.server.check(origin)?;
        if self.redis.in_process_max_entries < 10_000 {
            return Err(err(
                "redis.in_process_max_entries",
                "must be at least 10000".into(),
            ));
        }
        if self.database.max_connections == 0 {
            return Err(err("database.max_connections", "must be at least 1".into()));
        }
        if !(1..=730).contains(&self.codes.validity_days) {
            return Err(err(
                "codes.validity_days",
                "must be between 1 and 730 days".into(),
            ));
        }
        for (key, u) in [
            ("server.public_url", &self.server.public_url),
            ("branding.portal_url", &self.branding.portal_url),
        ] {
            if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
                return Err(err(key, format!("{u} is not an http(s) URL")));
            }
        }
        if self.branding.academie.trim().is_empty() {
            return Err(err("branding.academie", "must not be empty".into()));
        }
        let label = &self.branding.portal_link_label;
        if label.trim().is_empty()
            || label.chars().count() > 80
            || label.chars().any(char::is_control)
        {
            return Err(err(
                "branding.portal_link_label",
                "expected the link's words as the portal shows them (1 to 80 characters, one line)"
                    .into(),
            ));
        }
        if self.mail.transport == MailTransport::Smtp && self.mail.smtp.host.trim().is_empty() {
            return Err(ConfigError::at(
                &origin("mail.transport"),
                "mail.smtp.host",
                "required when mail.transport = \"smtp\"",
            ));
        }
        if !self.mail.smtp.ca_file.as_os_str().is_empty() {
            if self.mail.smtp.tls == SmtpTls::None {
                return Err(err(
                    "mail.smtp.ca_file",
                    "is only used with TLS: set mail.smtp.tls to \"starttls\" or \"tls\", or leave mail.smtp.ca_file empty".into(),
                ));
            }
            if let Err(reason) = self.mail.smtp.ca_pem() {
                return Err(err("mail.smtp.ca_file", reason));
            }
        }
        if self.mail.from.contains(['\r', '\n']) || !self.mail.from.contains('@') {
            return Err(err(
                "mail.from",
                "expected one address such as \"Sésame <no-reply@example.org>\"".into(),
            ));
        }
        self.mail.smtp.password = secrets::resolve_file(
            self.mail.smtp.password.take(),
            &self.mail.smtp.password_file,
            "mail.smtp.password",
            origin,
        )?;
        self.secrets.resolve_files(origin)?;
        self.sms.check(origin)?;
        if !(8..=64).contains(&self.password.min_length) {
            return Err(err(
                "password.min_length",
                "must be between 8 and 64".into(),
            ));
        }
        if self.password.argon2_memory_kib < 8 * 1024
            || self.password.argon2_iterations == 0
            || self.password.argon2_parallelism == 0
        {
            return Err(err(
                "password.argon2_memory_kib",
                "argon2id needs at least 8192 KiB, 1 iteration and parallelism 1".into(),
            ));
        }
        if !(1..=300).contains(&self.cas.service_ticket_seconds) {
            return Err(err(
                "cas.service_ticket_seconds",
                "must be between 1 and 300".into(),
            ));
        }
        if !(1..=30).contains(&self.accounts.confirmation_days) {
            return Err(err(
                "accounts.confirmation_days",
                "must be between 1 and 30 days".into(),
            ));
        }
        if self.accounts.leaver_grace_days > 365 {
            return Err(err(
                "accounts.leaver_grace_days",
                "must be between 0 and 365 days".into(),
            ));
        }
        if self.accounts.retention_days < self.accounts.leaver_grace_days
            || self.accounts.retention_days > 3650
        {
            return Err(err(
                "accounts.retention_days",
                format!(
                    "must be between accounts.leaver_grace_days ({}) and 3650 days",
                    self.accounts.leaver_grace_days
                ),
            ));
        }
        if self.accounts.deletion_notice_days > self.accounts.retention_days {
            return Err(err(
                "accounts.deletion_notice_days",
                format!(
                    "must be at most accounts.retention_days ({})",
                    self.accounts.retention_days
                ),
            ));
        }
        if let Some(d) = self
            .accounts
            .confirmation_reminder_days
            .iter()
            .find(|d| **d == 0 || **d >= self.accounts.confirmation_days)
        {
            return Err(err(
                "accounts.confirmation_reminder_days",
                format!(
                    "day {d}: each reminder day must be between 1 and confirmation_days - 1 ({})",
                    self.accounts.confirmation_days.saturating_sub(1)
                ),
            ));
        }
        if !(1..=3650).contains(&self.audit.retention_days) {
            return Err(err(
                "audit.retention_days",
                "must be between 1 and 3650 days".into(),
            ));
        }
        self.reports.check(origin)?;
        if self.mail.poll_seconds == 0
            || !(1..=300).contains(&self.mail.send_timeout_secs)
            || self.mail.retry_budget_hours == 0
        {
            return Err(err(
                "mail.poll_seconds",
                "mail.poll_seconds and mail.retry_budget_hours must be positive, mail.send_timeout_secs between 1 and 300".into(),
            ));
        }
        if self.session.idle_minutes == 0 || self.session.absolute_hours == 0 {
            return Err(err(
                "session.idle_minutes",
                "session lifetimes must be positive".into(),
            ));
        }
        if self.server.mode == Mode::Production {
            if self.server.allow_insecure_http {
                return Err(err(
                    "server.allow_insecure_http",
                    "not allowed in production mode".into(),
                ));
            }
            if self.password.argon2_memory_kib < 19 * 1024 || self.password.argon2_iterations < 2 {
                return Err(err(
                    "password.argon2_memory_kib",
                    "production needs argon2id m ≥ 19456 KiB and t ≥ 2".into(),
                ));
            }
            if self.server.public_url.scheme() != "https" {
                return Err(err(
                    "server.public_url",
                    "must be https in production mode".into(),
                ));
            }
            self.secrets.check_production(origin)?;
        }
        Ok(())
    }

    /// `[oidc] signing_algorithms` and what the clients ask of them.
    pub(super) fn check_clients(&self, origin: &dyn Fn(&str) -> String) -> Result<(), ConfigError> {
        let key = "oidc.signing_algorithms";
        let algs = &self.oidc.signing_algorithms;
        if !algs.contains(&services::Alg::Rs256) {
            return Err(ConfigError::at(
                &origin(key),
                key,
                "must include \"RS256\" (the OpenID Connect profiles require it)",
            ));
        }
        for s in &self.services {
            if let Some(c) = &s.oidc
                && !algs.contains(&c.id_token_signed_response_alg)
            {
                return Err(ConfigError::at(
                    &s.file.display().to_string(),
                    "oidc.id_token_signed_response_alg",
                    format!(
                        "{:?} needs a key: add it to [oidc] signing_algorithms",
                        c.id_token_signed_response_alg
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl RedisConfig {
    /// The three ways of reaching Redis (`url`, `sentinels` with
    /// `master_name`, `cluster_nodes`) exclude each other; each address is
    /// `HOST:PORT`.
    fn check_mode(&self, err: &dyn Fn(&str, String) -> ConfigError) -> Result<(), ConfigError> {
        let set: Vec<&str> = [
            ("redis.url", !self.url.is_empty()),
            ("redis.sentinels", !self.sentinels.is_empty()),
            ("redis.cluster_nodes", !self.cluster_nodes.is_empty()),
        ]
        .into_iter()
        .filter_map(|(k, on)| on.then_some(k))
        .collect();
        if set.len() > 1 {
            return Err(err(
                set[1],
                format!(
                    "{} are set together: Redis is reached one way only, as one server (redis.url), through Sentinel (redis.sentinels and redis.master_name) or as a Cluster (redis.cluster_nodes); leave the others empty",
                    set.join(" and ")
                ),
            ));
        }
        if self.sentinels.is_empty() && !self.master_name.is_empty() {
            return Err(err(
                "redis.master_name",
                "is only used with Sentinel: set redis.sentinels too, or leave redis.master_name empty".into(),
            ));
        }
        if !self.sentinels.is_empty() && self.master_name.trim().is_empty() {
            return Err(err(
                "redis.master_name",
                "must name the primary the sentinels monitor (their `sentinel monitor NAME …`)"
                    .into(),
            ));
        }
        for (key, list) in [
            ("redis.sentinels", &self.sentinels),
            ("redis.cluster_nodes", &self.cluster_nodes),
        ] {
            for addr in list {
                let ok = addr
                    .rsplit_once(':')
                    .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
                if !ok {
                    return Err(err(key, format!("{addr:?} is not HOST:PORT")));
                }
            }
        }
        if !self.ca_file.as_os_str().is_empty() && self.url.is_empty() {
            return Err(err(
                "redis.ca_file",
                "is only used with redis.url = rediss://…: Sentinel and Cluster are reached without TLS".into(),
            ));
        }
        Ok(())
    }
}
