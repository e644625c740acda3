//! byok-host: serves the built byok web app (Trunk's `dist/`) from memory with a strict
//! Content-Security-Policy and the other security headers the threat model asks for
//! (see docs/deploy.md for the same headers on other hosts).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use clap::Parser as _;
//! let args = byok_host::Args::parse();
//! let config = args.config(std::env::var("BYOK_CONNECT_SRC").ok().as_deref())?;
//! let site = byok_host::Site::load(&config)?;
//! let listener = tokio::net::TcpListener::bind(&args.addr).await?;
//! byok_host::serve(site, listener, byok_host::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

mod config;
mod handler;
mod scripts;
mod site;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use tokio::net::TcpListener;

pub use config::{Args, CONNECT_SRC_ENV, Config, DEFAULT_CONNECT_SRC, Origin, OriginError};
pub use scripts::{csp_hash, inline_scripts};
pub use site::{LoadError, Site};

/// The axum router serving `site`; every request goes through one handler, since the
/// routing rules (SPA fallback, 404 for missing files) are not a route table.
pub fn router(site: Site) -> Router {
    Router::new().fallback(handle).with_state(Arc::new(site))
}

/// Serves `site` on `listener` until `shutdown` completes, then lets in-flight requests
/// finish.
pub async fn serve<F>(site: Site, listener: TcpListener, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    axum::serve(listener, router(site))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, wait forever rather than stop at once.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

async fn handle(
    State(site): State<Arc<Site>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    site.respond(&method, uri.path(), &headers)
}
