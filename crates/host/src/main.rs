use std::env::VarError;
use std::process::ExitCode;

use byok_host::{Args, CONNECT_SRC_ENV, Site, serve, shutdown_signal};
use clap::Parser as _;

fn main() -> ExitCode {
    let args = Args::parse();
    let env = match std::env::var(CONNECT_SRC_ENV) {
        Ok(value) => Some(value),
        Err(VarError::NotPresent) => None,
        Err(VarError::NotUnicode(_)) => {
            eprintln!("byok-host: {CONNECT_SRC_ENV} is not valid UTF-8");
            return ExitCode::from(2);
        }
    };
    let config = match args.config(env.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("byok-host: {e}");
            return ExitCode::from(2);
        }
    };
    let site = match Site::load(&config) {
        Ok(site) => site,
        Err(e) => {
            eprintln!("byok-host: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("byok-host: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(&args.addr, site))
}

async fn run(addr: &str, site: Site) -> ExitCode {
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("byok-host: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The bound address, not the flag, so `--addr 127.0.0.1:0` prints the real port.
    let bound = listener
        .local_addr()
        .map_or_else(|_| addr.to_owned(), |a| a.to_string());
    // Before the start line: whoever reads it may send SIGTERM at once.
    let shutdown = shutdown_signal();
    eprintln!(
        "byok-host serving {} on http://{bound} (connect-src {})",
        site.dir().display(),
        site.connect_src().join(" ")
    );
    match serve(site, listener, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("byok-host: {e}");
            ExitCode::FAILURE
        }
    }
}
