//! The server spawned in-process on a free port, and the browsers (HTTP
//! clients with a cookie jar) that talk to it.

use super::TestEnv;

/// A server running in this process, on a free port.
pub struct TestServer {
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// A browser of its own (a cookie jar, no redirects followed).
    pub client: reqwest::Client,
    handle: tokio::task::JoinHandle<()>,
    /// The application served, when it runs in this process.
    app: Option<std::sync::Arc<sesame_service::App>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl TestServer {
    /// Starts the server on `env`'s database and store; `tweak` may change
    /// the configuration first.
    pub async fn spawn(env: &TestEnv, tweak: impl FnOnce(&mut sesame_service::Config)) -> Self {
        Self::spawn_with_clock(env, std::sync::Arc::new(sesame_domain::SystemClock), tweak).await
    }

    /// Like [`TestServer::spawn`], with a clock the test moves.
    pub async fn spawn_with_clock(
        env: &TestEnv,
        clock: std::sync::Arc<dyn sesame_domain::Clock>,
        tweak: impl FnOnce(&mut sesame_service::Config),
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        Self::spawn_on(env, listener, "127.0.0.1", clock, tweak).await
    }

    /// Like [`TestServer::spawn_with_clock`], on a listener bound
    /// beforehand (so that its URL is known before the configuration is
    /// written), reached as `http://{host}:{port}`.
    pub async fn spawn_on(
        env: &TestEnv,
        listener: tokio::net::TcpListener,
        host: &str,
        clock: std::sync::Arc<dyn sesame_domain::Clock>,
        tweak: impl FnOnce(&mut sesame_service::Config),
    ) -> Self {
        // SESAME_TEST_LOG=warn (an env filter) shows the servers' logs.
        if let Ok(filter) = std::env::var("SESAME_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let config = server_config(env, tweak);
        let app = sesame_service::App::init_with_clock(config, clock)
            .await
            .expect("app");
        let addr = listener.local_addr().expect("addr");
        let app = std::sync::Arc::new(app);
        let router = sesame_web::router(app.clone());
        let handle = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        let client = Self::browser();
        Self {
            url: format!("http://{host}:{}", addr.port()),
            client,
            handle,
            app: Some(app),
        }
    }

    /// The application served (a server in this process): what its
    /// periodic jobs run on.
    pub fn app(&self) -> &sesame_service::App {
        self.app.as_ref().expect("a server in this process")
    }

    /// The number of live entries in the server's ephemeral store (the
    /// in-process store's, or the Redis keys under the test's prefix).
    pub async fn store_entries(&self) -> usize {
        self.app
            .as_ref()
            .expect("a server in this process")
            .store
            .entry_count()
            .await
            .expect("store size")
    }

    /// A server started elsewhere (other processes behind a proxy), reached
    /// at `url` with a browser of its own.
    pub fn remote(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            client: Self::browser(),
            handle: tokio::spawn(async {}),
            app: None,
        }
    }

    /// A new browser: its own cookie jar, redirects not followed.
    pub fn browser() -> reqwest::Client {
        // The workspace builds reqwest without a bundled TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar)
            .build()
            .expect("client")
    }

    /// GET a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request")
    }
}

/// The configuration the test servers run with, after `tweak`.
pub fn server_config(
    env: &TestEnv,
    tweak: impl FnOnce(&mut sesame_service::Config),
) -> sesame_service::Config {
    let mut base = sesame_service::Config::default();
    base.server.data_dir = env.path().join("data");
    base.database.url = env.database_url.clone();
    if let Some(r) = &env.redis_url {
        base.redis.url = r.clone();
        base.redis.key_prefix = env.redis_prefix.clone();
    }
    base.server.services_dir = env.path().join("services");
    base.server.public_url = "http://localhost/".parse().expect("url");
    base.server.allow_insecure_http = true;
    tweak(&mut base);
    sesame_service::Config::load(&sesame_service::ConfigSource {
        file: None,
        default_file: false,
        env: false,
        base: Some(base),
    })
    .expect("config")
}

/// The application itself (as a worker node runs it), on `env`'s database
/// and store, with a clock the test moves.
pub async fn worker_app(
    env: &TestEnv,
    clock: std::sync::Arc<dyn sesame_domain::Clock>,
    tweak: impl FnOnce(&mut sesame_service::Config),
) -> sesame_service::App {
    sesame_service::App::init_with_clock(server_config(env, tweak), clock)
        .await
        .expect("app")
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
