//! Registered services and clients: one TOML file each in
//! `server.services_dir`. The CAS and OpenID Connect front-ends read them.

use super::ConfigError;
use serde::{Deserialize, Serialize};
pub use sesame_domain::RegisteredUrl;
pub use sesame_oidc::claims::SubjectType;
pub use sesame_oidc::jws::Alg;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use url::Url;

/// The protocol a service speaks.
/// `[cas]`: the CAS server's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasConfig {
    /// Seconds a service ticket may wait for its validation (Apereo: 10).
    pub service_ticket_seconds: u64,
    /// Accept `http://127.0.0.1…` / `http://localhost…` proxy callbacks
    /// (`pgtUrl`). For tests and local development only: a proxy callback
    /// is otherwise https with a valid certificate.
    pub allow_http_callbacks_on_loopback: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// CAS 1/2/3.
    Cas,
    /// OpenID Connect.
    Oidc,
}

/// `[cas]` of a service file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasService {
    /// Service URLs matched exactly.
    #[serde(default)]
    pub service_urls: Vec<RegisteredUrl>,
    /// Anchored patterns (`^…$`) matched against the whole service URL.
    #[serde(default)]
    pub service_patterns: Vec<String>,
    /// Whether the service may obtain proxy tickets.
    #[serde(default)]
    pub proxy_allowed: bool,
    /// The proxy callback URLs (`pgtUrl`) of the service, matched exactly.
    #[serde(default)]
    pub proxy_callback_urls: Vec<RegisteredUrl>,
    /// Anchored patterns (`^…$`) for its proxy callback URLs.
    #[serde(default)]
    pub proxy_callback_patterns: Vec<String>,
    /// Where single-logout requests are POSTed; none when absent.
    pub logout_url: Option<Url>,
    /// `service_patterns`, compiled when the file is read.
    #[serde(skip)]
    pub compiled: Vec<regex::Regex>,
    /// `proxy_callback_patterns`, compiled when the file is read.
    #[serde(skip)]
    pub compiled_callbacks: Vec<regex::Regex>,
}

/// The id of the demonstration télé-service that `sesame demo` registers.
pub const DEMO_SERVICE_ID: &str = "sesame-demo";

impl ServiceDef {
    /// The demonstration télé-service served by Sésame itself under
    /// `/demo/` (`sesame demo`): a CAS client released every attribute.
    pub fn demo(public_url: &Url) -> Self {
        let url = public_url
            .join("demo/")
            .unwrap_or_else(|_| public_url.clone());
        Self {
            id: DEMO_SERVICE_ID.into(),
            name: "Télé-service de démonstration".into(),
            protocol: Protocol::Cas,
            attributes: RELEASABLE
                .iter()
                .map(|a| ((*a).to_owned(), (*a).to_owned()))
                .collect(),
            cas: Some(CasService {
                service_urls: vec![RegisteredUrl::from_url(url)],
                service_patterns: Vec::new(),
                proxy_allowed: false,
                proxy_callback_urls: Vec::new(),
                proxy_callback_patterns: Vec::new(),
                logout_url: None,
                compiled: Vec::new(),
                compiled_callbacks: Vec::new(),
            }),
            oidc: None,
            file: PathBuf::new(),
        }
    }
}

impl CasService {
    /// The compiled service patterns.
    pub fn compiled_patterns(&self) -> &[regex::Regex] {
        &self.compiled
    }

    /// Whether `pgt_url` is one of the service's registered proxy
    /// callbacks (the URL as received, or an anchored pattern).
    pub fn is_proxy_callback(&self, pgt_url: &str) -> bool {
        self.proxy_callback_urls
            .iter()
            .any(|u| u.as_str() == pgt_url)
            || self.compiled_callbacks.iter().any(|p| p.is_match(pgt_url))
    }
}

/// Refuses a registered URL that parsing would change (issue 15 §3):
/// requests are compared with the text as written, so a registration such
/// as `https://ENT.example.fr` (upper case, no path) would match nothing.
/// The error names the key and the text to write instead.
fn check_registered_urls(def: &ServiceDef) -> Result<(), (&'static str, String)> {
    let mut lists: Vec<(&'static str, &[RegisteredUrl])> = Vec::new();
    if let Some(cas) = &def.cas {
        lists.push(("cas.service_urls", &cas.service_urls));
        lists.push(("cas.proxy_callback_urls", &cas.proxy_callback_urls));
    }
    if let Some(oidc) = &def.oidc {
        lists.push(("oidc.redirect_uris", &oidc.redirect_uris));
        lists.push((
            "oidc.post_logout_redirect_uris",
            &oidc.post_logout_redirect_uris,
        ));
    }
    for (key, urls) in lists {
        for u in urls {
            u.check().map_err(|e| (key, e.to_string()))?;
        }
    }
    Ok(())
}

/// Compiles anchored patterns (`^…$`); the error names the bad one.
fn compile_patterns(patterns: &[String]) -> Result<Vec<regex::Regex>, String> {
    patterns
        .iter()
        .map(|p| {
            if !p.starts_with('^') || !p.ends_with('$') {
                return Err(format!("{p:?} must be anchored with ^ and $"));
            }
            regex::Regex::new(p).map_err(|e| format!("{p:?} is not a valid pattern: {e}"))
        })
        .collect()
}

/// `[oidc]` of a client file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcClient {
    /// The client_id.
    pub client_id: String,
    /// The argon2id hash of the client secret; absent for a public client.
    pub client_secret_hash: Option<String>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<RegisteredUrl>,
    /// Exact post-logout redirect URIs.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<RegisteredUrl>,
    /// Scopes the client may ask for.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<Url>,
    /// Whether the user must consent (false for first-party clients).
    #[serde(default)]
    pub consent: bool,
    /// The ID token's signature: `RS256` (default), `ES256` or `EdDSA`
    /// (the latter two also listed in `[oidc] signing_algorithms`).
    #[serde(default = "default_alg")]
    pub id_token_signed_response_alg: Alg,
    /// `public` (one `sub` per account, the default) or `pairwise` (a
    /// different `sub` for this client).
    #[serde(default)]
    pub subject_type: SubjectType,
    /// Whether the client gets refresh tokens (default true).
    #[serde(default = "default_true")]
    pub refresh_tokens: bool,
}

fn default_true() -> bool {
    true
}

fn default_alg() -> Alg {
    Alg::Rs256
}

/// The scopes a client may be given: the standard ones and Sésame's own
/// (`sesame`: the chosen profile, schools and classes; `sesame.children`:
/// a parent's children, only to clients that list it).
pub const OIDC_SCOPES: &[&str] = sesame_oidc::scope::SCOPES;

/// `[oidc]`: the OpenID Connect provider's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// Algorithms with a signing key (RS256 always; ES256, EdDSA optional).
    pub signing_algorithms: Vec<Alg>,
    /// Failed client authentications (wrong secret) per client and minute
    /// before the token endpoint refuses that client for a minute.
    pub client_failures_per_minute: u32,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            signing_algorithms: vec![Alg::Rs256],
            client_failures_per_minute: 20,
        }
    }
}

/// One registered service or client.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    /// Stable identifier (letters, digits, `-`, `_`).
    pub id: String,
    /// Name shown to users.
    pub name: String,
    /// cas | oidc.
    pub protocol: Protocol,
    /// Released attributes: Sésame attribute → name the service expects.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// CAS settings.
    pub cas: Option<CasService>,
    /// OpenID Connect settings.
    pub oidc: Option<OidcClient>,
    /// The file the definition was read from.
    #[serde(skip)]
    pub file: PathBuf,
}

/// Attributes a service may be given.
pub const RELEASABLE: &[&str] = &[
    "identifiant",
    "profile",
    "first_name",
    "last_name",
    "email",
    "uai",
    "classes",
    "children",
    "children_qualified",
];

/// Reads every `*.toml` of `dir` (a missing folder means no services).
pub(super) fn load_dir(dir: &Path) -> Result<Vec<ServiceDef>, ConfigError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(ConfigError(format!(
                "{}: cannot read the services folder: {e}",
                dir.display()
            )));
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    let mut client_ids = HashSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| ConfigError(format!("{}: cannot read: {e}", file.display())))?;
        let mut def: ServiceDef = toml::from_str(&text).map_err(|e| {
            ConfigError(format!("{}: {}", file.display(), e.to_string().trim_end()))
        })?;
        def.file = file.clone();
        let at =
            |key: &str, reason: String| ConfigError::at(&file.display().to_string(), key, reason);
        if def.id.is_empty()
            || !def
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(at("id", "use letters, digits, '-' and '_' only".into()));
        }
        if !ids.insert(def.id.clone()) {
            return Err(at(
                "id",
                format!("service id {:?} is already used by another file", def.id),
            ));
        }
        for attr in def.attributes.keys() {
            if !RELEASABLE.contains(&attr.as_str()) {
                return Err(at(
                    &format!("attributes.{attr}"),
                    format!("unknown attribute; known: {}", RELEASABLE.join(", ")),
                ));
            }
        }
        check_registered_urls(&def).map_err(|(key, why)| at(key, why))?;
        match def.protocol {
            Protocol::Cas => {
                let Some(cas) = &def.cas else {
                    return Err(at("cas", "a CAS service needs a [cas] section".into()));
                };
                if cas.service_urls.is_empty() && cas.service_patterns.is_empty() {
                    return Err(at(
                        "cas.service_urls",
                        "give at least one service URL or pattern".into(),
                    ));
                }
                let compiled = compile_patterns(&cas.service_patterns)
                    .map_err(|why| at("cas.service_patterns", why))?;
                let compiled_callbacks = compile_patterns(&cas.proxy_callback_patterns)
                    .map_err(|why| at("cas.proxy_callback_patterns", why))?;
                // Security: a proxy callback receives a PGT, which acts in the
                // user's name: only the service's own callbacks get one (REV-04).
                if cas.proxy_allowed
                    && cas.proxy_callback_urls.is_empty()
                    && cas.proxy_callback_patterns.is_empty()
                {
                    return Err(at(
                        "cas.proxy_callback_urls",
                        "a service with proxy_allowed = true needs its proxy callback URLs (proxy_callback_urls or proxy_callback_patterns)".into(),
                    ));
                }
                for u in &cas.service_urls {
                    if u.url().scheme() != "https"
                        && !matches!(u.url().host_str(), Some("localhost" | "127.0.0.1"))
                    {
                        return Err(at(
                            "cas.service_urls",
                            format!(
                                "{u} must be https (plain http only on localhost, for development)"
                            ),
                        ));
                    }
                }
                if let Some(c) = def.cas.as_mut() {
                    c.compiled = compiled;
                    c.compiled_callbacks = compiled_callbacks;
                }
            }
            Protocol::Oidc => {
                let Some(oidc) = &def.oidc else {
                    return Err(at(
                        "oidc",
                        "an OpenID Connect client needs an [oidc] section".into(),
                    ));
                };
                if !client_ids.insert(oidc.client_id.clone()) {
                    return Err(at(
                        "oidc.client_id",
                        format!("client_id {:?} is already used", oidc.client_id),
                    ));
                }
                if oidc.redirect_uris.is_empty() {
                    return Err(at(
                        "oidc.redirect_uris",
                        "give at least one redirect URI".into(),
                    ));
                }
                for u in &oidc.redirect_uris {
                    if u.url().fragment().is_some() {
                        return Err(at(
                            "oidc.redirect_uris",
                            format!("{u} must not have a fragment"),
                        ));
                    }
                }
                if let Some(sc) = oidc
                    .scopes
                    .iter()
                    .find(|s| !OIDC_SCOPES.contains(&s.as_str()))
                {
                    return Err(at(
                        "oidc.scopes",
                        format!("unknown scope {sc:?}; known: {}", OIDC_SCOPES.join(", ")),
                    ));
                }
            }
        }
        out.push(def);
    }
    Ok(out)
}
