//! What each subcommand does.

use crate::cli::{Cli, CodesCommand, Command, ImportArgs, LettersArgs, ReissueArgs};
use crate::failure::{BAD_CONFIG, Failure, REFUSED, UNAVAILABLE};
use sesame_domain::text::terminal_safe;
use sesame_domain::{ActivationCode, Uai};
use sesame_service::codes::{self, CodeState, CodesError, GeneratedCodes};
use sesame_service::config::{LogFormat, secrets_generate_key};
use sesame_service::import::{self, ImportOptions, ImportRunError};
use sesame_service::{App, Config, ConfigSource, InitError, letters};
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl From<InitError> for Failure {
    fn from(e: InitError) -> Self {
        match e {
            InitError::Secrets(_) | InitError::Files(_) => Failure::new(BAD_CONFIG, e.to_string()),
            InitError::Schema(m) => Failure::new(UNAVAILABLE, m),
            _ => Failure::new(UNAVAILABLE, e.to_string()),
        }
    }
}

pub(crate) fn init_logs(format: LogFormat, default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal, never into a file or journald.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Human => builder.try_init(),
    };
}

fn load_config(cli: &Cli) -> Result<Config, Failure> {
    Config::load(&ConfigSource {
        file: cli.config.clone(),
        default_file: true,
        env: true,
        base: None,
    })
    .map_err(|e| Failure::new(BAD_CONFIG, format!("invalid configuration:\n{e}")))
}

/// `sesame secret --hash`: a new client secret and its argon2id hash, with
/// the default (production) parameters; the hash line is ready to paste.
async fn client_secret() -> Result<(), Failure> {
    let p = Config::default().password;
    let secret = secrets_generate_key();
    let hash = sesame_service::password::Hasher::new(
        p.argon2_memory_kib,
        p.argon2_iterations,
        p.argon2_parallelism,
        1,
    )
    .map_err(|e| Failure::new(UNAVAILABLE, format!("argon2id: {e}")))?
    .hash(&secret)
    .await
    .map_err(|e| Failure::new(UNAVAILABLE, format!("argon2id: {e}")))?;
    println!("# Client secret, for the télé-service only (shown once, not stored):");
    println!("{secret}");
    println!("# For [oidc] in its service file:");
    println!("client_secret_hash = \"{hash}\"");
    Ok(())
}

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match &cli.command {
        Command::Secret(args) if args.hash => client_secret().await,
        Command::Secret(_) => {
            println!("{}", secrets_generate_key());
            Ok(())
        }
        Command::CheckConfig { connect } => check_config(&cli, *connect).await,
        Command::Demo(args) => crate::demo::demo(args).await,
        Command::Selftest(args) => selftest(args).await,
        command => {
            let config = load_config(&cli)?;
            let serving = matches!(command, Command::Serve);
            init_logs(
                config.server.log_format,
                if serving { "info" } else { "warn" },
            );
            // Only `serve` (as `database.migrate` says) and `migrate`
            // change the schema; every other command checks it.
            let app = match command {
                Command::Serve => App::init(config).await?,
                Command::Migrate => {
                    App::init_with(
                        config,
                        Arc::new(sesame_domain::SystemClock),
                        sesame_service::Schema::Migrate,
                    )
                    .await?
                }
                _ => App::open(config).await?,
            };
            match command {
                Command::Serve => serve(app).await,
                Command::Migrate => {
                    println!(
                        "Migrations à jour ({}).",
                        sesame_service::config::mask_url(&app.config.database.url)
                    );
                    Ok(())
                }
                Command::Import(args) => import_files(&app, args).await,
                Command::Codes(CodesCommand::Generate(args)) => {
                    generate_each(&app, args, true).await
                }
                Command::Letters(args) => generate_each(&app, args, false).await,
                Command::Codes(CodesCommand::Verify { code, json }) => {
                    verify(&app, code, *json).await
                }
                Command::Codes(CodesCommand::Reissue(args)) => reissue(&app, args).await,
                Command::Mail(c) => crate::admin::mail(&app, c).await,
                Command::Sms(c) => crate::sms::run(&app, c).await,
                Command::Accounts(c) => crate::admin::accounts(&app, c).await,
                Command::Audit(args) => crate::admin::audit(&app, args).await,
                Command::Reports(c) => crate::reports::reports(&app, c).await,
                Command::Keys(c) => crate::admin::keys(&app, c).await,
                Command::Secret(_)
                | Command::CheckConfig { .. }
                | Command::Demo(_)
                | Command::Selftest(_) => Ok(()),
            }
        }
    }
}

/// `check-config`: validation, production mistakes, and with `connect`
/// the dependencies' answers.
async fn check_config(cli: &Cli, connect: bool) -> Result<(), Failure> {
    let config = load_config(cli)?;
    let mistakes = crate::check_config::mistakes(&config);
    if !mistakes.is_empty() && crate::check_config::refuses(&config) {
        return Err(Failure::new(
            BAD_CONFIG,
            format!(
                "invalid configuration for production:\n{}",
                mistakes.join("\n")
            ),
        ));
    }
    println!("# Configuration is valid. Effective values (secrets masked):\n");
    print!("{}", config.to_masked_toml());
    if !mistakes.is_empty() {
        println!("\n# Not for production (refused in production mode):");
        for m in &mistakes {
            println!("#   {m}");
        }
    }
    if connect {
        let (lines, ok) = crate::check_config::connect(&config).await;
        println!("\n# Connections:");
        for l in &lines {
            println!("{l}");
        }
        if !ok {
            return Err(Failure::new(
                UNAVAILABLE,
                format!(
                    "a dependency does not answer:\n{}",
                    lines
                        .iter()
                        .filter(|l| l.starts_with("ÉCHEC"))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
            ));
        }
    }
    Ok(())
}

/// A secret read from a file: its first line, without the line end.
fn secret_file(path: &Path, what: &str) -> Result<String, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::new(
            REFUSED,
            format!("{what} : impossible de lire {} ({e})", path.display()),
        )
    })?;
    let line = text.lines().next().unwrap_or_default().to_owned();
    if line.is_empty() {
        return Err(Failure::new(
            REFUSED,
            format!("{what} : {} est vide", path.display()),
        ));
    }
    Ok(line)
}

async fn selftest(args: &crate::cli::SelftestArgs) -> Result<(), Failure> {
    use crate::selftest::{Client, Options, User};
    let client = match (&args.client_id, &args.redirect_uri) {
        (Some(id), Some(redirect_uri)) => Some(Client {
            id: id.clone(),
            secret: args
                .client_secret_file
                .as_deref()
                .map(|p| secret_file(p, "--client-secret-file"))
                .transpose()?,
            redirect_uri: redirect_uri.clone(),
        }),
        _ => None,
    };
    let user = match (&args.identifiant, &args.password_file) {
        (Some(identifiant), Some(p)) => Some(User {
            profile: args.profile.clone(),
            identifiant: identifiant.clone(),
            password: secret_file(p, "--password-file")?,
        }),
        _ => None,
    };
    let opts = Options {
        url: args.url.clone(),
        client,
        cas_service: args.cas_service.clone(),
        user,
    };
    let report = crate::selftest::run(&opts).await;
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", terminal_safe(&report.text()));
    }
    match report.failed() {
        0 => Ok(()),
        n => Err(Failure::new(1, format!("{n} vérification(s) en échec"))),
    }
}

pub(crate) async fn serve(app: App) -> Result<(), Failure> {
    let bind = |addr: std::net::SocketAddr| async move {
        tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Failure::new(1, format!("cannot listen on {addr}: {e}")))
    };
    let listener = bind(app.config.server.listen).await?;
    let admin = bind(app.config.server.admin_listen).await?;
    let addr = app.config.server.listen;
    let admin_addr = admin.local_addr().unwrap_or(app.config.server.admin_listen);
    tracing::info!(%addr, public_url = %app.config.server.public_url, "Sésame is listening");
    tracing::info!(addr = %admin_addr, "administration listener (/metrics, /healthz, /readyz)");
    let mailer = sesame_service::mailer::Mailer::new(&app.config)
        .map_err(|e| Failure::new(BAD_CONFIG, e))?;
    // Text messages leave only when the first visit by SMS is offered.
    let sms_sender = if app.config.sms.enabled {
        Some(
            sesame_service::sms::Sender::new(&app.config)
                .map_err(|e| Failure::new(BAD_CONFIG, e))?,
        )
    } else {
        None
    };
    // The first OpenID Connect signing key is made at the first start.
    sesame_service::oidc::keys::ensure(&app)
        .await
        .map_err(|e| Failure::new(UNAVAILABLE, e.to_string()))?;
    // After a rotation of token_hmac_key: the signing keys move under the
    // new key while the old one is still listed. A key that cannot be
    // opened keeps /readyz red and is logged; the node still starts, so
    // that the operator can see why.
    if let Err(e) = sesame_service::oidc::keys::reencrypt(&app).await {
        tracing::error!(error = %e, "signing keys cannot be re-encrypted");
    }
    let app = Arc::new(app);
    let worker = tokio::spawn(sesame_service::mailer::run(app.clone(), mailer));
    let sms_worker = sms_sender.map(|s| tokio::spawn(sesame_service::sms::run(app.clone(), s)));
    let purge = tokio::spawn(sesame_service::mailer::run_purge(app.clone()));
    crate::serve::serve(app, listener, admin).await;
    worker.abort();
    purge.abort();
    if let Some(w) = sms_worker {
        w.abort();
    }
    Ok(())
}

async fn import_files(app: &App, args: &ImportArgs) -> Result<(), Failure> {
    let schools = match &args.schools {
        Some(path) => Some(import::schools::read(path).map_err(|e| {
            Failure::new(REFUSED, format!("import refusé, rien n'a été écrit.\n{e}"))
        })?),
        None => None,
    };
    let opts = ImportOptions {
        school_name: args.school_name.clone(),
        schools,
    };
    match import::run(app, &args.files, &opts).await {
        Ok(report) => {
            // Security: file and entry names reach the terminal escaped.
            print!("{}", terminal_safe(&report.to_string()));
            println!("Import terminé.");
            Ok(())
        }
        Err(ImportRunError::Refused(e)) => Err(Failure::new(
            REFUSED,
            format!("import refusé, rien n'a été écrit.\n{e}"),
        )),
        Err(ImportRunError::Store(e)) => Err(Failure::new(
            UNAVAILABLE,
            format!("import interrompu, rien n'a été écrit : {e}"),
        )),
    }
}

fn fr_date(d: time::Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

fn print_codes(g: &GeneratedCodes) {
    if !g.guardians.is_empty() {
        println!("\nCodes Activation Responsable :");
        for l in &g.guardians {
            let email = l
                .email
                .as_deref()
                .map(|e| format!(" <{e}>"))
                .unwrap_or_default();
            // Security: imported names reach the terminal escaped (REST-05).
            println!(
                "  {} {} {}{}",
                terminal_safe(l.civility.as_deref().unwrap_or("")),
                terminal_safe(&l.first_name),
                terminal_safe(&l.last_name),
                terminal_safe(&email)
            );
            for c in &l.children {
                println!(
                    "    {:<16} né(e) le {}  {}",
                    terminal_safe(&c.first_name),
                    fr_date(c.birth_date),
                    c.code
                );
            }
        }
    }
    if !g.pupils.is_empty() {
        println!("\nCodes Activation Élève :");
        for p in &g.pupils {
            let c = &p.child;
            println!(
                "  {:<28} né(e) le {}  {}",
                terminal_safe(&format!("{} {}", c.first_name, c.last_name)),
                fr_date(c.birth_date),
                c.code
            );
        }
    }
}

fn codes_failure(e: CodesError) -> Failure {
    match e {
        CodesError::Store(_) => Failure::new(UNAVAILABLE, e.to_string()),
        _ => Failure::new(REFUSED, terminal_safe(&e.to_string())),
    }
}

async fn reissue(app: &App, args: &ReissueArgs) -> Result<(), Failure> {
    let uai = Uai::parse(&args.uai).map_err(|e| Failure::new(REFUSED, e.to_string()))?;
    let holder = match (&args.guardian, &args.pupil) {
        (Some(g), None) => codes::Holder::Guardian(g.trim().to_owned()),
        (None, Some(p)) => codes::Holder::Pupil(p.trim().to_owned()),
        _ => {
            return Err(Failure::new(
                REFUSED,
                "indiquez soit --guardian ID, soit --pupil ID",
            ));
        }
    };
    let id = match &holder {
        codes::Holder::Guardian(id) | codes::Holder::Pupil(id) => id.clone(),
    };
    let mut written: Vec<PathBuf> = Vec::new();
    let g = codes::reissue(app, &uai, &holder, |g| {
        written = letters::write_one(app, g, &args.out, &id)?;
        Ok(())
    })
    .await
    .map_err(codes_failure)?;
    let (name, count) = match (g.guardians.first(), g.pupils.first()) {
        (Some(l), _) => (
            format!("{} {}", l.first_name, l.last_name),
            l.children.len(),
        ),
        (None, Some(p)) => (format!("{} {}", p.child.first_name, p.child.last_name), 1),
        (None, None) => (String::new(), 0),
    };
    println!(
        "Établissement {} : {} ancien(s) code(s) révoqué(s), {count} nouveau(x) code(s) pour {}, valables jusqu'au {}.",
        g.school.uai,
        g.revoked,
        terminal_safe(&name),
        fr_date(g.valid_until)
    );
    println!("Courrier écrit (à imprimer puis supprimer : il contient les codes en clair) :");
    for p in &written {
        println!("  {}", p.display());
    }
    Ok(())
}

/// `letters` and `codes generate`: one school (`--uai`) or, with `--all`,
/// every school in turn, each in its own folder named by its UAI. A school
/// that fails stops the run; the schools before it keep their letters
/// (each school's codes are committed with its letters).
async fn generate_each(app: &App, args: &LettersArgs, show_codes: bool) -> Result<(), Failure> {
    if !args.all {
        return generate(app, args, show_codes).await.map(|_| ());
    }
    let schools = sesame_store::school_data::list_schools(app.db.conn())
        .await
        .map_err(|e| Failure::new(UNAVAILABLE, e.to_string()))?;
    if schools.is_empty() {
        return Err(Failure::new(
            REFUSED,
            "aucun établissement : importez d'abord les exports (sesame import)",
        ));
    }
    let total = schools.len();
    for (i, school) in schools.iter().enumerate() {
        let uai = Uai::parse(&school.uai).map_err(|e| Failure::new(REFUSED, e.to_string()))?;
        println!("=== Établissement {}/{total} : {uai} ===", i + 1);
        let out = args.out.join(uai.as_str());
        generate_school(app, &uai, args.regenerate, &out, show_codes)
            .await
            .map_err(|f| {
                Failure::new(
                    f.code,
                    format!(
                        "{uai} : {}\n{} établissement(s) sur {total} traité(s) avant l'erreur.",
                        f.message, i
                    ),
                )
            })?;
        println!();
    }
    println!(
        "{total} établissement(s) traité(s), un dossier par établissement dans {}.",
        args.out.display()
    );
    Ok(())
}

pub(crate) async fn generate(
    app: &App,
    args: &LettersArgs,
    show_codes: bool,
) -> Result<GeneratedCodes, Failure> {
    let Some(uai) = &args.uai else {
        return Err(Failure::new(REFUSED, "indiquez --uai UAI ou --all"));
    };
    let uai = Uai::parse(uai).map_err(|e| Failure::new(REFUSED, e.to_string()))?;
    generate_school(app, &uai, args.regenerate, &args.out, show_codes).await
}

async fn generate_school(
    app: &App,
    uai: &Uai,
    regenerate: bool,
    out: &Path,
    show_codes: bool,
) -> Result<GeneratedCodes, Failure> {
    let mut written: Vec<PathBuf> = Vec::new();
    let result = codes::generate(app, uai, regenerate, |g| {
        written = letters::write_all(app, g, out)?;
        Ok(())
    })
    .await;
    let g = match result {
        Ok(g) => g,
        Err(e) => return Err(codes_failure(e)),
    };
    println!(
        "Établissement {} ({}) : codes valables jusqu'au {}.",
        g.school.uai,
        terminal_safe(&g.school.name),
        fr_date(g.valid_until)
    );
    if regenerate {
        println!("{} ancien(s) code(s) révoqué(s).", g.revoked);
    }
    let car: usize = g.guardians.iter().map(|l| l.children.len()).sum();
    println!(
        "{car} Code(s) Activation Responsable pour {} responsable(s), {} Code(s) Activation Élève.",
        g.guardians.len(),
        g.pupils.len()
    );
    if g.skipped_pairs + g.skipped_pupils > 0 {
        println!(
            "Ignorés, car ils ont déjà un code (valide ou utilisé par un compte) : {} couple(s) responsable-enfant et {} élève(s).",
            g.skipped_pairs, g.skipped_pupils
        );
    }
    if show_codes {
        print_codes(&g);
    }
    if written.is_empty() {
        println!(
            "Aucun nouveau code : chaque responsable légal et chaque élève a déjà un code valide (--regenerate pour les remplacer)."
        );
    } else {
        println!(
            "\nCourriers écrits (à imprimer puis supprimer : ils contiennent les codes en clair) :"
        );
        for p in &written {
            println!("  {}", p.display());
        }
    }
    Ok(g)
}

async fn verify(app: &App, typed: &str, json: bool) -> Result<(), Failure> {
    let code = ActivationCode::parse(typed)
        .map_err(|e| Failure::new(REFUSED, format!("code illisible : {e}")))?;
    let report = codes::verify(app, &code)
        .await
        .map_err(|e| Failure::new(UNAVAILABLE, e.to_string()))?;
    let Some(r) = report else {
        return Err(Failure::new(REFUSED, "code inconnu"));
    };
    let state = match r.state {
        CodeState::Valid => "valide",
        CodeState::Used => "déjà utilisé par un compte",
        CodeState::Revoked => "révoqué (remplacé ou retiré)",
        CodeState::Expired => "expiré",
    };
    let kind = match r.kind {
        sesame_domain::CodeKind::Responsable => "Code Activation Responsable",
        sesame_domain::CodeKind::Eleve => "Code Activation Élève",
    };
    if json {
        let state_name = match r.state {
            CodeState::Valid => "valid",
            CodeState::Used => "used",
            CodeState::Revoked => "revoked",
            CodeState::Expired => "expired",
        };
        let v = serde_json::json!({
            "kind": r.kind.as_str(),
            "uai": r.uai,
            "pupil": r.pupil,
            "guardian": r.guardian,
            "state": state_name,
            "expires_at": fr_date(r.expires_at.date()),
            "account": r.account.as_ref().map(|(id, identifiant)| {
                serde_json::json!({ "id": id, "identifiant": identifiant })
            }),
        });
        println!("{v}");
    } else {
        println!("{kind} — établissement {}", r.uai);
        println!("élève : {}", terminal_safe(&r.pupil));
        if let Some(g) = &r.guardian {
            println!("responsable : {}", terminal_safe(g));
        }
        println!(
            "état : {state} (valable jusqu'au {})",
            fr_date(r.expires_at.date())
        );
        if let Some((id, identifiant)) = &r.account {
            println!(
                "compte : n°{id} ({}) — sesame accounts show {id}",
                terminal_safe(identifiant)
            );
        }
    }
    if r.state == CodeState::Valid {
        Ok(())
    } else {
        Err(Failure::new(REFUSED, format!("code {state}")))
    }
}
