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

/// Completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled: a signal that arrives right after the
/// start line (before the server has polled it) still stops the server cleanly instead
/// of killing the process. Call it inside the runtime.
#[cfg(unix)]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    // If a handler cannot be installed, that signal is never awaited rather than taken
    // as an immediate stop.
    async fn received(s: Option<Signal>) {
        match s {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    }
    let terminate = signal(SignalKind::terminate()).ok();
    let interrupt = signal(SignalKind::interrupt()).ok();
    async move {
        tokio::select! {
            () = received(terminate) => {},
            () = received(interrupt) => {},
        }
    }
}

/// Completes on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
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
