//! `yoi-plugin`: inspect and run yoi plugins from the command line.
//!
//! Exit codes: 0 success; 1 the tool call failed; 2 usage error; 3 the
//! plugin could not be loaded; 4 a grant is invalid; 5 other I/O failure.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde_json::json;
use yoi_plugin_host::identity::sha256_hex;
use yoi_plugin_host::runtime::{CallLimits, PluginHost, inspect};
use yoi_plugin_host::{GrantSet, GrantSpec, Operation, PluginIdentity};

#[derive(Parser)]
#[command(
    name = "yoi-plugin",
    version,
    about = "Inspect and run yoi WebAssembly tool plugins"
)]
struct Cli {
    /// Print machine-readable JSON instead of human text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show a component's imports and exports and whether they fit the ABI.
    Inspect {
        /// The component (.wasm).
        component: PathBuf,
    },
    /// Call one tool of a component with explicit grants.
    Run {
        /// The component (.wasm).
        component: PathBuf,
        /// The tool name.
        tool: String,
        /// Tool input (JSON).
        #[arg(long, default_value = "{}")]
        input: String,
        /// A grant: MOUNT=DIR:OPS, OPS a comma list of read,list,write,stat.
        #[arg(long = "grant", value_name = "MOUNT=DIR:OPS")]
        grants: Vec<String>,
        /// A JSON file with a list of grants ({"mount","dir","ops",…}).
        #[arg(long = "grants-file")]
        grants_file: Option<PathBuf>,
        /// Wall-clock timeout in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
        /// Directory for the compile cache.
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("YOI_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Inspect { component } => inspect_cmd(&component, cli.json),
        Command::Run {
            component,
            tool,
            input,
            grants,
            grants_file,
            timeout_ms,
            cache_dir,
        } => run_cmd(RunArgs {
            component,
            tool,
            input,
            grants,
            grants_file,
            timeout: Duration::from_millis(timeout_ms),
            cache_dir,
            json: cli.json,
        }),
    }
}

fn fail(json: bool, exit: u8, code: &str, message: &str) -> ExitCode {
    if json {
        println!(
            "{}",
            json!({ "error": { "code": code, "message": message } })
        );
    } else {
        eprintln!("error [{code}]: {message}");
    }
    ExitCode::from(exit)
}

fn inspect_cmd(component: &PathBuf, json: bool) -> ExitCode {
    let bytes = match std::fs::read(component) {
        Ok(b) => b,
        Err(e) => {
            return fail(
                json,
                5,
                "io",
                &format!("cannot read the component: {}", e.kind()),
            );
        }
    };
    let info = match inspect::inspect(&bytes) {
        Ok(info) => info,
        Err(e) => return fail(json, 3, e.code(), &e.to_string()),
    };
    let verdict = inspect::check_abi(&info, yoi_plugin_host::abi::AbiVersion::V1);
    if json {
        println!(
            "{}",
            json!({
                "digest": sha256_hex(&bytes),
                "imports": info.imports,
                "exports": info.exports,
                "abi": "yoi-plugin-wasm-1",
                "fits_abi": verdict.is_ok(),
                "error": verdict.as_ref().err().map(|e| json!({"code": e.code(), "message": e.to_string()})),
            })
        );
    } else {
        println!("digest  {}", sha256_hex(&bytes));
        println!("imports");
        for i in &info.imports {
            let mark = if inspect::import_allowed(yoi_plugin_host::abi::AbiVersion::V1, i) {
                "ok "
            } else {
                "NO "
            };
            println!("  {mark} {i}");
        }
        println!("exports");
        for e in &info.exports {
            println!("      {e}");
        }
        match &verdict {
            Ok(()) => println!("fits yoi-plugin-wasm-1"),
            Err(e) => println!("does NOT fit yoi-plugin-wasm-1: [{}] {e}", e.code()),
        }
    }
    if verdict.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    }
}

struct RunArgs {
    component: PathBuf,
    tool: String,
    input: String,
    grants: Vec<String>,
    grants_file: Option<PathBuf>,
    timeout: Duration,
    cache_dir: Option<PathBuf>,
    json: bool,
}

/// Parses `MOUNT=DIR:OPS`.
fn parse_grant(text: &str) -> Result<GrantSpec, String> {
    let (mount, rest) = text
        .split_once('=')
        .ok_or("expected MOUNT=DIR:OPS, e.g. notes=./notes:read,list")?;
    let (dir, ops) = rest
        .rsplit_once(':')
        .ok_or("expected MOUNT=DIR:OPS, e.g. notes=./notes:read,list")?;
    let ops = ops
        .split(',')
        .map(|op| {
            Operation::parse(op.trim()).ok_or(format!(
                "unknown operation '{op}': use read, list, write, stat"
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(GrantSpec::new(mount, dir, &ops))
}

fn run_cmd(args: RunArgs) -> ExitCode {
    let json = args.json;
    let bytes = match std::fs::read(&args.component) {
        Ok(b) => b,
        Err(e) => {
            return fail(
                json,
                5,
                "io",
                &format!("cannot read the component: {}", e.kind()),
            );
        }
    };
    let stem = args
        .component
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plugin".into());
    let identity = PluginIdentity::new(format!("file:{stem}"), "0.0.0", sha256_hex(&bytes));
    let mut specs = Vec::new();
    for g in &args.grants {
        match parse_grant(g) {
            Ok(spec) => specs.push(spec),
            Err(e) => return fail(json, 4, "invalid-grant", &e),
        }
    }
    if let Some(file) = &args.grants_file {
        let parsed = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read the grants file: {}", e.kind()))
            .and_then(|text| {
                serde_json::from_str::<Vec<GrantSpec>>(&text)
                    .map_err(|e| format!("grants file: {e}"))
            });
        match parsed {
            Ok(mut more) => specs.append(&mut more),
            Err(e) => return fail(json, 4, "invalid-grant", &e),
        }
    }
    let grants = match GrantSet::open(identity.clone(), &specs) {
        Ok(g) => Arc::new(g),
        Err(e) => return fail(json, 4, "invalid-grant", &e.to_string()),
    };
    let mut builder = PluginHost::builder();
    if let Some(dir) = args.cache_dir {
        builder = builder.cache_dir(dir);
    }
    let host = match builder.build() {
        Ok(h) => h,
        Err(e) => return fail(json, 5, "engine", &e.to_string()),
    };
    let plugin = match host.load(identity, "yoi-plugin-wasm-1", &bytes) {
        Ok(p) => p,
        Err(e) => return fail(json, 3, e.code(), &e.to_string()),
    };
    let limits = CallLimits {
        timeout: args.timeout,
        ..CallLimits::default()
    };
    let outcome = plugin.call_blocking(grants, &args.tool, &args.input, &limits);
    for record in &outcome.logs {
        if !json {
            eprintln!("[plugin {:?}] {}", record.level, record.message);
        }
    }
    match outcome.result {
        Ok(output) => {
            let value: serde_json::Value =
                serde_json::from_str(&output).unwrap_or(serde_json::Value::Null);
            if json {
                println!(
                    "{}",
                    json!({ "ok": value, "logs": outcome.logs, "elapsed_ms": outcome.elapsed.as_secs_f64() * 1e3 })
                );
            } else {
                println!("{}", serde_json::to_string_pretty(&value).unwrap_or(output));
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(json, 1, e.code(), &e.to_string()),
    }
}
