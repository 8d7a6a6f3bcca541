//! Running the HTTP server with a graceful shutdown.

use sesame_service::App;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

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

/// Serves `app` on `listener` until SIGTERM or Ctrl-C, then lets requests in
/// flight finish for up to the configured grace period.
pub async fn serve(app: Arc<App>, listener: TcpListener) -> std::io::Result<()> {
    let grace = Duration::from_secs(app.config.server.shutdown_grace_secs);
    let router = sesame_web::router(app);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = tx.send(());
    });
    let drain_deadline = async move {
        if rx.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        r = server => r,
        () = drain_deadline => {
            tracing::warn!("grace period over: stopping with requests still in flight");
            Ok(())
        }
    }
}
