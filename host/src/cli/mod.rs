//! `yoi-plugin`: create, check, pack, install, inspect and run yoi plugins.
//!
//! Human output by default, `--json` on every command. Exit codes are
//! [`Exit`]. Shared argument types live in `args`; each command group in
//! its own module.

mod args;
mod bundle_cmds;
mod mcp;
mod package_cmds;
mod run;
mod serve;
mod starter;
mod term;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "yoi-plugin",
    version,
    about = "Create, check, pack, install, inspect and run yoi WebAssembly tool plugins"
)]
struct Cli {
    /// Print machine-readable JSON instead of human text.
    #[arg(long, global = true)]
    json: bool,
    /// The plugin store (default: $YOI_PLUGIN_STORE, else $XDG_DATA_HOME/yoi/plugins or ~/.local/share/yoi/plugins).
    #[arg(long, global = true, value_name = "DIR")]
    store: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a starter plugin in ./NAME (Rust, JavaScript or Python; its README says how to build it).
    New {
        /// Plugin name (1-64 of [a-z0-9_-], starting with a letter).
        name: String,
        /// Parent directory (default: current directory).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Language: rust (`cargo build --release --target wasm32-wasip2`), js (`node build.mjs`)
        /// or python (`python3 build.py`).
        #[arg(long, value_enum, default_value = "rust")]
        lang: starter::Lang,
        /// Rust only: path of the yoi-plugin-sdk crate (default: the one in this toolkit's checkout).
        #[arg(long, value_name = "PATH")]
        sdk: Option<PathBuf>,
    },
    /// Validate a plugin directory or a .yoi-plugin package.
    Check {
        /// Plugin directory or package file.
        path: PathBuf,
        /// Use this component file instead of the manifest's path (directories only).
        #[arg(long, value_name = "FILE")]
        component: Option<PathBuf>,
    },
    /// Pack a plugin directory into a deterministic .yoi-plugin archive.
    Pack {
        /// Plugin directory.
        dir: PathBuf,
        /// Output file (default: <id>-<version>.yoi-plugin in the current directory).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Use this component file instead of the manifest's path.
        #[arg(long, value_name = "FILE")]
        component: Option<PathBuf>,
    },
    /// Install a .yoi-plugin package into the store (atomic).
    Install {
        /// Package file.
        file: PathBuf,
        /// Source qualifier: user or project.
        #[arg(long, default_value = "user")]
        source: String,
    },
    /// List installed plugins (inventory only; nothing runs).
    List,
    /// What can this plugin touch? Tools, requested vs granted mounts, imports, digest.
    #[command(alias = "inspect")]
    Show {
        /// Installed id (e.g. user:notes), a .yoi-plugin file, or a .wasm component.
        target: String,
        #[command(flatten)]
        grants: args::GrantArgs,
    },
    /// Call one tool of an installed plugin (or a .wasm component) with explicit grants.
    Run {
        /// Installed id (e.g. user:notes) or a .wasm component.
        target: String,
        /// Tool name.
        tool: String,
        /// Tool input (JSON; default `{}`).
        #[arg(long, conflicts_with = "input_file")]
        input: Option<String>,
        /// Read the tool input (JSON) from a file, or from stdin with `-`.
        #[arg(long, value_name = "FILE")]
        input_file: Option<PathBuf>,
        #[command(flatten)]
        grants: args::GrantArgs,
        /// Wall-clock timeout in milliseconds (at most 600000).
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
        #[command(flatten)]
        counts: args::CountArgs,
        /// Compile cache directory (default: <store>/.cache).
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Remove an installed plugin.
    Remove {
        /// Installed id, e.g. user:notes.
        id: String,
    },
    /// Author config bundles: create (pinning installed plugins), seal, digest, verify.
    #[command(subcommand)]
    Bundle(bundle_cmds::BundleCmd),
    /// Serve an embedded runtime over REST (bearer token, loopback only) until SIGINT/SIGTERM.
    Serve(serve::ServeArgs),
    /// Serve plugins to AI agents as MCP tools (stdio, or streamable HTTP with --listen).
    Mcp(mcp::McpArgs),
}

/// The process exit codes, one per kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// The tool call failed (its typed error is printed).
    ToolFailed = 1,
    /// Usage error: bad arguments.
    Usage = 2,
    /// The plugin, package, manifest or bundle is invalid.
    Invalid = 3,
    /// A grant is invalid.
    Grant = 4,
    /// I/O or store failure.
    Io = 5,
    /// Not installed / not found.
    NotFound = 6,
}

/// A command's failure: exit code, stable error code, message.
pub struct Failure {
    exit: Exit,
    code: String,
    message: String,
}

impl Failure {
    /// A failure with the given exit code.
    pub fn new(exit: Exit, code: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Failure {
            exit,
            code: code.into(),
            message: message.to_string(),
        }
    }
}

/// Output mode.
#[derive(Clone, Copy)]
pub struct Out {
    json: bool,
}

impl Out {
    /// Prints `value` as JSON, or `human` as text.
    pub fn emit(self, value: Value, human: impl FnOnce() -> String) {
        if self.json {
            print_line(&value.to_string());
        } else {
            let text = term::printable(&human());
            if !text.is_empty() {
                print_line(&text);
            }
        }
    }

    /// Whether JSON output is on.
    pub fn json(self) -> bool {
        self.json
    }
}

/// Writes one line to stdout. A reader that went away (`show | head`) is
/// not an error worth a panic: the rest of the output is dropped.
pub(crate) fn print_line(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

fn default_store() -> PathBuf {
    if let Some(dir) = std::env::var_os("YOI_PLUGIN_STORE") {
        return PathBuf::from(dir);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("yoi/plugins")
}

/// Runs the command line.
pub fn main() -> ExitCode {
    use std::io::IsTerminal;
    let filter = term::log_filter(std::env::var("YOI_LOG").ok().as_deref());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let out = Out { json: cli.json };
    let store = cli.store.unwrap_or_else(default_store);
    let result = match cli.command {
        Command::New {
            name,
            dir,
            lang,
            sdk,
        } => starter::new(out, &name, dir, lang, sdk),
        Command::Check { path, component } => {
            package_cmds::check(out, &store, &path, component.as_deref())
        }
        Command::Pack {
            dir,
            output,
            component,
        } => package_cmds::pack(out, &store, &dir, output, component.as_deref()),
        Command::Install { file, source } => package_cmds::install(out, &store, &file, &source),
        Command::List => package_cmds::list(out, &store),
        Command::Show { target, grants } => package_cmds::show(out, &store, &target, &grants),
        Command::Run {
            target,
            tool,
            input,
            input_file,
            grants,
            timeout_ms,
            counts,
            cache_dir,
        } => run::input_text(input, input_file.as_deref()).and_then(|input| {
            run::run(
                out,
                &store,
                run::RunArgs {
                    target,
                    tool,
                    input,
                    grants,
                    timeout: run::timeout(timeout_ms)?,
                    counts,
                    cache_dir,
                },
            )
        }),
        Command::Remove { id } => package_cmds::remove(out, &store, &id),
        Command::Serve(args) => serve::serve(out, &store, args),
        Command::Mcp(args) => mcp::mcp(out, &store, args),
        Command::Bundle(cmd) => bundle_cmds::run(out, &store, cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if out.json {
                print_line(
                    &json!({ "error": { "code": f.code, "message": f.message } }).to_string(),
                );
            } else {
                eprintln!(
                    "error [{}]: {}",
                    term::printable(&f.code),
                    term::printable(&f.message)
                );
            }
            ExitCode::from(f.exit as u8)
        }
    }
}
