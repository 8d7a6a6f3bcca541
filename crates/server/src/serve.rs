//! Running the HTTP listeners (the public one and the administration one)
//! with a graceful shutdown.

use crate::listener::{self, Limits};
use sesame_service::App;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Open connections allowed on the administration listener (a scraper or
/// two and the health checks).
const ADMIN_MAX_CONNECTIONS: usize = 64;

/// Waits for SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested: draining requests in flight");
}

/// Serves the public router on `public` and the administration router
/// (`/metrics`, health) on `admin` until SIGTERM or Ctrl-C, then lets
/// requests in flight finish for up to the configured grace period.
pub async fn serve(app: Arc<App>, public: TcpListener, admin: TcpListener) {
    let server = &app.config.server;
    let grace = Duration::from_secs(server.shutdown_grace_secs);
    let header_read_timeout = Duration::from_secs(server.header_read_timeout_secs);
    let public_limits = Limits {
        header_read_timeout,
        max_connections: server.max_connections,
    };
    let admin_limits = Limits {
        header_read_timeout,
        max_connections: ADMIN_MAX_CONNECTIONS,
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let both = futures_join(
        listener::run(
            public,
            sesame_web::router(app.clone()),
            public_limits,
            "public",
            stopped.clone(),
        ),
        listener::run(
            admin,
            sesame_web::admin_router(app),
            admin_limits,
            "admin",
            stopped,
        ),
    );
    tokio::pin!(both);
    tokio::select! {
        () = &mut both => return,
        () = shutdown_signal() => {}
    }
    let _ = stop.send(true);
    if tokio::time::timeout(grace, both).await.is_err() {
        tracing::warn!("grace period over: stopping with requests still in flight");
    }
}

/// Runs two futures to completion, side by side.
async fn futures_join(a: impl Future<Output = ()>, b: impl Future<Output = ()>) {
    tokio::join!(a, b);
}
