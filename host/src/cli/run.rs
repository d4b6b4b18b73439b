//! `run`: call one tool through the plugin call path ([`crate::Plugin`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::cli::args::{CountArgs, GrantArgs};
use crate::cli::{Exit, Failure, Out};
use crate::error::ErrorCode;
use crate::names::{PluginId, PluginName};
use crate::package::adapt;
use crate::{CallLimits, GrantSet, Plugin, PluginHost, PluginStore};

/// Arguments of `run`.
pub struct RunArgs {
    pub target: String,
    pub tool: String,
    pub input: String,
    pub grants: GrantArgs,
    pub timeout: Duration,
    pub counts: CountArgs,
    pub cache_dir: Option<PathBuf>,
}

fn is_component_path(target: &str) -> bool {
    target.ends_with(".wasm")
}

/// Loads the target: an installed id (through the store, re-verified) or a
/// bare `.wasm` component or `wasm32-wasip1` core module (identity = its
/// file stem + SHA-256 of the component).
pub fn load_target(host: &PluginHost, store_dir: &Path, target: &str) -> Result<Plugin, Failure> {
    if is_component_path(target) {
        let bytes = std::fs::read(target).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Failure::new(
                Exit::NotFound,
                "not-found",
                "no component file at that path",
            ),
            kind => Failure::new(
                Exit::Io,
                "io",
                format!("cannot read the component ({kind})"),
            ),
        })?;
        let stem = Path::new(target)
            .file_stem()
            .map(|s| s.to_string_lossy().replace('_', "-").to_ascii_lowercase())
            .unwrap_or_default();
        let name = PluginName::parse(&stem)
            .or_else(|_| PluginName::parse("component"))
            .expect("a valid fallback name");
        // A wasm32-wasip1 core module runs as its adapted component.
        let bytes =
            adapt::to_component(bytes).map_err(|e| Failure::new(Exit::Invalid, e.code(), e))?;
        return Plugin::from_component(host, name, &bytes)
            .map_err(|e| Failure::new(Exit::Invalid, e.code(), e));
    }
    let id = PluginId::parse(target).map_err(|e| {
        Failure::new(
            Exit::Usage,
            "invalid-id",
            format!(
                "'{}' is neither an existing .wasm file nor a plugin id: {e}",
                crate::diag::bound(target, 64)
            ),
        )
    })?;
    let store = PluginStore::open(store_dir).map_err(|e| Failure::new(Exit::Io, e.code(), e))?;
    store
        .load_installed(host, &id)
        .map_err(crate::cli::package_cmds::store_failure)
}

/// The tool input: `--input`, `--input-file FILE`, `--input-file -`
/// (stdin), or `{}`; bounded by the host's input limit.
pub fn input_text(input: Option<String>, file: Option<&Path>) -> Result<String, Failure> {
    use std::io::Read;
    let limit = crate::limits::DEFAULT_MAX_INPUT_BYTES as u64;
    let Some(file) = file else {
        return Ok(input.unwrap_or_else(|| "{}".to_owned()));
    };
    let mut text = String::new();
    let read = if file == Path::new("-") {
        std::io::stdin().take(limit + 1).read_to_string(&mut text)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(limit + 1).read_to_string(&mut text))
    };
    read.map_err(|e| {
        Failure::new(
            Exit::Io,
            "io",
            format!("cannot read the input ({})", e.kind()),
        )
    })?;
    if text.len() as u64 > limit {
        return Err(Failure::new(
            Exit::Usage,
            "input-too-large",
            format!("the input is above the {limit}-byte bound"),
        ));
    }
    Ok(text)
}

/// `--timeout-ms`, refused above [`crate::limits::MAX_CALL_TIMEOUT`].
pub fn timeout(ms: u64) -> Result<Duration, Failure> {
    let max = crate::limits::MAX_CALL_TIMEOUT;
    if ms == 0 || u128::from(ms) > max.as_millis() {
        return Err(Failure::new(
            Exit::Usage,
            "invalid-timeout",
            format!("--timeout-ms must be 1..={}", max.as_millis()),
        ));
    }
    Ok(Duration::from_millis(ms))
}

pub fn run(out: Out, store_dir: &Path, args: RunArgs) -> Result<(), Failure> {
    let specs = args.grants.specs()?;
    let cache = args.cache_dir.unwrap_or_else(|| store_dir.join(".cache"));
    // One call in a fresh process: on-demand allocation. Setting up a pool
    // costs more than it saves for a single call (`cargo xtask bench`:
    // "build a host").
    let host = PluginHost::builder()
        .cache_dir(cache)
        .pooling(false)
        .max_concurrent_calls(1)
        .build()
        .map_err(|e| Failure::new(Exit::Io, "engine", e))?;
    let limits = CallLimits {
        timeout: args.timeout,
        ..CallLimits::default()
    };
    let limits = args.counts.apply(limits, host.ceiling())?;
    let plugin = load_target(&host, store_dir, &args.target)?;
    if !plugin.has_tool(&args.tool) {
        return Err(Failure::new(
            Exit::ToolFailed,
            "unknown-tool",
            format!(
                "'{}' has no tool '{}' (tools: {})",
                args.target,
                crate::diag::bound(&args.tool, 64),
                tool_names(&plugin)
            ),
        ));
    }
    let grants = GrantSet::open(plugin.identity().clone(), &specs)
        .map_err(|e| Failure::new(Exit::Grant, "invalid-grant", e))?
        .with_network(args.grants.network()?);
    let outcome = plugin.call_blocking(Arc::new(grants), &args.tool, &args.input, &limits);
    if !out.json() {
        for record in &outcome.logs {
            eprintln!(
                "[plugin {:?}] {}",
                record.level,
                crate::cli::term::printable(&record.message)
            );
        }
    }
    let value = outcome
        .result
        .map_err(|e| Failure::new(Exit::ToolFailed, e.code(), e))?;
    out.emit(
        json!({ "ok": value, "logs": outcome.logs, "elapsed_ms": outcome.elapsed.as_secs_f64() * 1e3 }),
        || serde_json::to_string_pretty(&value).unwrap_or_default(),
    );
    Ok(())
}

/// The tool names of a plugin, comma-separated.
pub fn tool_names(plugin: &Plugin) -> String {
    let names: Vec<&str> = plugin.tools().iter().map(|t| t.name.as_str()).collect();
    match names.is_empty() {
        true => "declared by the component".to_owned(),
        false => names.join(", "),
    }
}
