//! `serve`: run an embedded runtime behind the REST API on a loopback
//! address until SIGINT or SIGTERM, then shut down gracefully (requests in
//! flight finish).
//!
//! The bearer token comes from `--token-file FILE`, else from the
//! `YOI_RUNTIME_TOKEN` environment variable; there is no default and an
//! empty token is refused. The host policy comes from `--policy FILE`;
//! without one the policy is empty, which denies every mount, capability
//! and declaration. Plugins are loaded from the same store `install` and
//! `list` use (`--store`, `$YOI_PLUGIN_STORE` or the default).

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::policy::HostPolicy;
use crate::rest::{DEFAULT_MAX_BODY_BYTES, ServerConfig, serve as serve_rest};
use crate::workers::{EmbeddedRuntime, RuntimeConfig};
use serde_json::json;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::cli::{Exit, Failure, Out};
use crate::error::ErrorCode;

/// The environment variable holding the bearer token when no
/// `--token-file` is given.
const TOKEN_ENV: &str = "YOI_RUNTIME_TOKEN";

/// Largest token file read, in bytes.
const MAX_TOKEN_FILE_BYTES: u64 = 4096;

/// Flags of `serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; loopback only (this build has no TLS). Port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// State directory: stored bundles, workers, compile cache.
    #[arg(long, value_name = "DIR")]
    state_dir: PathBuf,
    /// File holding the bearer token (default: $YOI_RUNTIME_TOKEN).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Host policy file (TOML: mounts, capabilities, builtin profiles). Default: deny everything.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    #[command(flatten)]
    counts: crate::cli::args::CountArgs,
    /// Largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
}

/// The bearer token: the file's content, else the environment variable,
/// trimmed (emptiness is checked with the rest of the server config). Messages never contain the token or the file's path.
pub(crate) fn load_token(file: Option<&Path>) -> Result<String, Failure> {
    let token = match file {
        Some(file) => {
            let mut text = String::new();
            std::fs::File::open(file)
                .and_then(|f| f.take(MAX_TOKEN_FILE_BYTES + 1).read_to_string(&mut text))
                .map_err(|e| {
                    Failure::new(
                        Exit::Io,
                        "token-unreadable",
                        format!("cannot read the token file ({})", e.kind()),
                    )
                })?;
            if text.len() as u64 > MAX_TOKEN_FILE_BYTES {
                return Err(Failure::new(
                    Exit::Usage,
                    "invalid-token",
                    format!("the token file is larger than {MAX_TOKEN_FILE_BYTES} bytes"),
                ));
            }
            text
        }
        None => std::env::var(TOKEN_ENV).map_err(|_| {
            Failure::new(
                Exit::Usage,
                "no-token",
                format!("no bearer token: pass --token-file FILE or set {TOKEN_ENV}"),
            )
        })?,
    };
    Ok(token.trim().to_owned())
}

/// Resolves on the first SIGINT or SIGTERM. The handlers are installed
/// before the server announces itself, so an early signal is never lost.
pub(crate) async fn shutdown_signal(mut interrupt: Signal, mut terminate: Signal) {
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!(target: "yoi::rest", "shutting down");
}

/// `yoi-plugin serve`.
pub fn serve(out: Out, store: &Path, args: ServeArgs) -> Result<(), Failure> {
    if !args.listen.ip().is_loopback() {
        return Err(Failure::new(
            Exit::Usage,
            "non-loopback-listen",
            "this build serves plain http only; listen on a loopback address (127.0.0.1 or ::1)",
        ));
    }
    let token = load_token(args.token_file.as_deref())?;
    let config = ServerConfig {
        token,
        max_body_bytes: args.max_body_bytes,
        connections: crate::rest::ConnectionLimits::default(),
    };
    config
        .validate()
        .map_err(|e| Failure::new(Exit::Usage, e.code(), e))?;
    let policy = match &args.policy {
        Some(file) => HostPolicy::load(file)
            .map_err(|e| Failure::new(Exit::Invalid, e.code(), format!("host policy: {e}")))?,
        None => HostPolicy::default(),
    };
    let policy = args.counts.apply_to_policy(policy)?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                Exit::Io,
                "io",
                format!("cannot start the async runtime ({})", e.kind()),
            )
        })?;
    let _context = tokio.enter();
    let runtime = EmbeddedRuntime::open(RuntimeConfig {
        state_dir: args.state_dir,
        plugin_store: Some(store.to_path_buf()),
        policy,
    })
    .map_err(|e| Failure::new(Exit::Io, e.code.as_str(), e.message))?;
    let signals =
        signal(SignalKind::interrupt()).and_then(|i| Ok((i, signal(SignalKind::terminate())?)));
    let (interrupt, terminate) = signals.map_err(|e| {
        Failure::new(
            Exit::Io,
            "io",
            format!("cannot install signal handlers ({})", e.kind()),
        )
    })?;
    tokio.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| {
                Failure::new(
                    Exit::Io,
                    "listen-failed",
                    format!("cannot listen on {} ({})", args.listen, e.kind()),
                )
            })?;
        let addr = listener.local_addr().map_err(|e| {
            Failure::new(
                Exit::Io,
                "listen-failed",
                format!("no local address ({})", e.kind()),
            )
        })?;
        let url = format!("http://{addr}");
        out.emit(json!({ "listening": url }), || {
            format!("listening on {url}")
        });
        let _ = std::io::stdout().flush();
        serve_rest(
            listener,
            Arc::new(runtime),
            config,
            shutdown_signal(interrupt, terminate),
        )
        .await
        .map_err(|e| Failure::new(Exit::Io, "io", format!("the server failed ({})", e.kind())))
    })
}
