//! `sesame demo`: a fresh SQLite database in data/demo with the sample
//! school and its codes, the demonstration télé-service under `/demo/`,
//! and a demonstration directory — a second Sésame, served by this process
//! on the next port, that plays the académie's staff and guest directory
//! (`sesame_service::demo`). The main instance lists it as the
//! `[[upstream]]` of the three profiles that need one, so all five
//! profiles of the first screen work.

use crate::cli::{DemoArgs, LettersArgs};
use crate::commands::{generate, init_logs, serve};
use crate::failure::{BAD_CONFIG, Failure, UNAVAILABLE};
use crate::listener::{self, Limits};
use sesame_domain::Profile;
use sesame_service::config::{ProfileSource, secrets_generate_key};
use sesame_service::demo::{self as directory, ACCOUNTS};
use sesame_service::import::{self, ImportOptions};
use sesame_service::{App, Config, ConfigSource};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const SAMPLE_PUPILS: &[u8] = include_bytes!("../../../samples/siecle/ElevesSansAdresses.xml");
const SAMPLE_GUARDIANS: &[u8] =
    include_bytes!("../../../samples/siecle/ResponsablesAvecAdresses.xml");

/// The SQLite files of a data folder, removed at each start.
const DB_FILES: [&str; 3] = ["sesame.db", "sesame.db-wal", "sesame.db-shm"];

fn http_url(addr: SocketAddr) -> Result<url::Url, Failure> {
    url::Url::parse(&format!("http://{addr}/"))
        .map_err(|e| Failure::new(2, format!("--listen {addr}: {e}")))
}

/// The directory's address: the main one's next port.
fn next_port(listen: SocketAddr) -> Result<SocketAddr, Failure> {
    match listen.port() {
        0 | u16::MAX => Err(Failure::new(
            2,
            format!(
                "--listen {listen} : la démonstration sert aussi un annuaire sur le port suivant ; donnez un port entre 1 et 65534"
            ),
        )),
        p => Ok(SocketAddr::new(listen.ip(), p + 1)),
    }
}

fn remove_db(dir: &Path) {
    for f in DB_FILES {
        let _ = std::fs::remove_file(dir.join(f));
    }
}

/// Runs the demonstration.
pub(crate) async fn demo(args: &DemoArgs) -> Result<(), Failure> {
    let listen: SocketAddr = args
        .listen
        .parse()
        .map_err(|e| Failure::new(2, format!("--listen {}: {e}", args.listen)))?;
    let dir_listen = next_port(listen)?;
    let (url, dir_url) = (http_url(listen)?, http_url(dir_listen)?);
    let mut base = Config::default();
    base.server.data_dir = PathBuf::from("data/demo");
    // Any free port: a demonstration must not clash with a local Prometheus.
    base.server.admin_listen = SocketAddr::from(([127, 0, 0, 1], 0));
    base.server.listen = listen;
    base.server.public_url = url.clone();
    base.server.allow_insecure_http = true;
    base.branding.portal_url = url.clone();
    let mut config = Config::load(&ConfigSource {
        file: None,
        default_file: false,
        env: true,
        base: Some(base),
    })
    .map_err(|e| Failure::new(BAD_CONFIG, format!("invalid configuration:\n{e}")))?;
    let demo_service = sesame_service::config::ServiceDef::demo(&config.server.public_url);
    config.services.push(demo_service);
    // The directory serves the three profiles that need one; its client
    // secret is new at each start.
    let secret = secrets_generate_key();
    config.upstream = vec![directory::directory_upstream(&dir_url, &secret)];
    for p in directory::PROFILES {
        *profile_source(&mut config, p) = ProfileSource::Upstream;
    }
    init_logs(config.server.log_format, "info");
    // Bound first: a taken port is said before anything is written.
    let dir_listener = tokio::net::TcpListener::bind(dir_listen)
        .await
        .map_err(|e| {
            Failure::new(
                1,
                format!("cannot listen on {dir_listen} (annuaire de démonstration): {e}"),
            )
        })?;
    let dir_app = start_directory(&config, &dir_url, &secret).await?;
    let dir = config.server.data_dir.clone();
    remove_db(&dir);
    let samples = dir.join("samples");
    write_samples(&samples).map_err(|e| Failure::new(1, format!("{}: {e}", samples.display())))?;
    let app = App::init(config).await?;
    let files = vec![
        samples.join("ElevesSansAdresses.xml"),
        samples.join("ResponsablesAvecAdresses.xml"),
    ];
    let opts = ImportOptions {
        school_name: Some("Collège des Exemples".into()),
        schools: None,
    };
    let report = import::run(&app, &files, &opts)
        .await
        .map_err(|e| Failure::new(1, e.to_string()))?;
    println!("=== Sésame — démonstration ===\n");
    print!("{report}");
    let args = LettersArgs {
        uai: Some("0999001W".into()),
        all: false,
        regenerate: true,
        out: dir.join("lettres"),
    };
    generate(&app, &args, true).await?;
    println!("\nAnnuaire de démonstration (personnels et invités) : {dir_url}");
    println!("Comptes de l'annuaire (profil à choisir — identifiant / mot de passe) :");
    for a in ACCOUNTS {
        println!(
            "  {} — {} {} ({}) : {} / {}",
            a.profile.label(),
            a.first_name,
            a.last_name,
            a.role,
            a.identifiant,
            a.password
        );
    }
    println!("\nOuvrez {url} dans un navigateur.");
    println!("Télé-service de démonstration (connexion par CAS) : {url}demo/");
    println!("Santé : {url}healthz — disponibilité : {url}readyz");
    println!(
        "Courriels (confirmation de compte…) : fichiers .eml dans {}",
        sesame_service::mailer::outbox_dir(&app.config).display()
    );
    println!("Arrêt : Ctrl-C.\n");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let limits = Limits {
        header_read_timeout: Duration::from_secs(dir_app.config.server.header_read_timeout_secs),
        max_connections: dir_app.config.server.max_connections,
    };
    let directory = tokio::spawn(listener::run(
        dir_listener,
        sesame_web::router(dir_app),
        limits,
        "annuaire",
        stopped,
    ));
    let served = serve(app).await;
    let _ = stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(2), directory).await;
    served
}

fn profile_source(config: &mut Config, p: Profile) -> &mut ProfileSource {
    let profiles = &mut config.profiles;
    match p {
        Profile::Eleve => &mut profiles.eleve,
        Profile::Parent => &mut profiles.parent,
        Profile::PersonnelEducation => &mut profiles.personnel_education,
        Profile::PersonnelCollectivite => &mut profiles.personnel_collectivite,
        Profile::Invite => &mut profiles.invite,
    }
}

/// The directory: its own configuration (data in `data/demo/annuaire`, the
/// in-process store, its own secrets and cookie names), its own fresh
/// database with the fixed accounts, and the main instance at `main` as
/// its client. Answers the application to serve.
async fn start_directory(
    main: &Config,
    dir_url: &url::Url,
    secret: &str,
) -> Result<Arc<App>, Failure> {
    let mut base = Config::default();
    base.server.data_dir = main.server.data_dir.join("annuaire");
    base.server.services_dir = base.server.data_dir.join("services");
    base.server.listen = main.server.listen;
    base.server.admin_listen = SocketAddr::from(([127, 0, 0, 1], 0));
    base.server.public_url = dir_url.clone();
    base.server.allow_insecure_http = true;
    base.server.log_format = main.server.log_format;
    base.branding.academie = format!("{} — annuaire", main.branding.academie);
    base.branding.portal_url = dir_url.clone();
    base.password = main.password.clone();
    base.profiles.eleve = ProfileSource::Disabled;
    base.profiles.parent = ProfileSource::Disabled;
    let mut config = Config::load(&ConfigSource {
        file: None,
        default_file: false,
        // Its own settings only: SESAME__* variables are the main
        // instance's (a shared database or Redis would mix them).
        env: false,
        base: Some(base),
    })
    .map_err(|e| Failure::new(BAD_CONFIG, format!("annuaire de démonstration :\n{e}")))?;
    for p in directory::PROFILES {
        *profile_source(&mut config, p) = ProfileSource::Local;
    }
    config.server.cookie_prefix = directory::COOKIE_PREFIX.to_owned();
    let hasher = sesame_service::password::Hasher::new(
        config.password.argon2_memory_kib,
        config.password.argon2_iterations,
        config.password.argon2_parallelism,
        1,
    )
    .map_err(|e| Failure::new(BAD_CONFIG, format!("annuaire de démonstration : {e}")))?;
    let hash = hasher.hash(secret).await.map_err(|e| Failure::new(1, e))?;
    config.services.push(directory::client_at_directory(
        &main.server.public_url,
        hash,
    ));
    remove_db(&config.server.data_dir);
    let app = App::init(config).await?;
    sesame_service::oidc::keys::ensure(&app)
        .await
        .map_err(|e| Failure::new(UNAVAILABLE, e.to_string()))?;
    directory::seed_directory(&app)
        .await
        .map_err(|e| Failure::new(UNAVAILABLE, e.to_string()))?;
    Ok(Arc::new(app))
}

fn write_samples(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("ElevesSansAdresses.xml"), SAMPLE_PUPILS)?;
    std::fs::write(dir.join("ResponsablesAvecAdresses.xml"), SAMPLE_GUARDIANS)
}
