//! `run`: call a tool with explicit grants; grant flag parsing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use yoi_plugin_host::identity::sha256_hex;
use yoi_plugin_host::manifest;
use yoi_plugin_host::runtime::{CallLimits, LoadedPlugin, PluginHost};
use yoi_plugin_host::store::{Enablement, PluginStore};
use yoi_plugin_host::{GrantSet, GrantSpec, Operation, PluginIdentity};

use crate::{Failure, Out};

/// Grant flags shared by `run` and `show`.
#[derive(clap::Args, Default)]
pub struct GrantArgs {
    /// A grant: MOUNT=DIR:OPS, OPS a comma list of read,list,write,stat.
    #[arg(long = "grant", value_name = "MOUNT=DIR:OPS")]
    pub grants: Vec<String>,
    /// A JSON file with a list of grants ({"mount","dir","ops","include","exclude","bounds"}).
    #[arg(long = "grants-file", value_name = "FILE")]
    pub grants_file: Option<PathBuf>,
}

impl GrantArgs {
    /// The grant specs the flags describe.
    pub fn specs(&self) -> Result<Vec<GrantSpec>, Failure> {
        let mut specs = Vec::new();
        for g in &self.grants {
            specs.push(parse_grant(g).map_err(|e| Failure::new(4, "invalid-grant", e))?);
        }
        if let Some(file) = &self.grants_file {
            let text = std::fs::read_to_string(file).map_err(|e| {
                Failure::new(
                    4,
                    "invalid-grant",
                    format!("cannot read the grants file ({})", e.kind()),
                )
            })?;
            let mut more: Vec<GrantSpec> = serde_json::from_str(&text).map_err(|e| {
                Failure::new(
                    4,
                    "invalid-grant",
                    format!("grants file: {e} (fix: a JSON list of {{\"mount\",\"dir\",\"ops\"}})"),
                )
            })?;
            specs.append(&mut more);
        }
        Ok(specs)
    }
}

/// Parses `MOUNT=DIR:OPS`.
fn parse_grant(text: &str) -> Result<GrantSpec, String> {
    const HINT: &str = "expected MOUNT=DIR:OPS, e.g. notes=./notes:read,list";
    let (mount, rest) = text.split_once('=').ok_or(HINT)?;
    let (dir, ops) = rest.rsplit_once(':').ok_or(HINT)?;
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

/// Arguments of `run`.
pub struct RunArgs {
    pub target: String,
    pub tool: String,
    pub input: String,
    pub grants: GrantArgs,
    pub timeout: Duration,
    pub cache_dir: Option<PathBuf>,
}

fn is_component_path(target: &str) -> bool {
    target.ends_with(".wasm") && Path::new(target).is_file()
}

pub fn run(out: Out, store_dir: &Path, args: RunArgs) -> Result<(), Failure> {
    let specs = args.grants.specs()?;
    let cache = args.cache_dir.unwrap_or_else(|| store_dir.join(".cache"));
    let host = PluginHost::builder()
        .cache_dir(cache)
        .build()
        .map_err(|e| Failure::new(5, "engine", e))?;
    let plugin: LoadedPlugin = if is_component_path(&args.target) {
        let bytes = std::fs::read(&args.target).map_err(|e| {
            Failure::new(5, "io", format!("cannot read the component ({})", e.kind()))
        })?;
        let stem = Path::new(&args.target)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".into());
        let identity = PluginIdentity::new(format!("file:{stem}"), "0.0.0", sha256_hex(&bytes));
        host.load(identity, "yoi-plugin-wasm-1", &bytes)
            .map_err(|e| Failure::new(3, e.code(), e))?
    } else {
        let store = PluginStore::open(store_dir).map_err(|e| Failure::new(5, e.code(), e))?;
        let package = store
            .get(&args.target)
            .map_err(crate::package_cmds::store_failure)?;
        let Some(tool) = package.manifest.tool(&args.tool) else {
            return Err(Failure::new(
                1,
                "unknown-tool",
                format!(
                    "'{}' has no tool '{}' (tools: {})",
                    args.target,
                    args.tool,
                    tool_names(&package.manifest)
                ),
            ));
        };
        manifest::validate_input(tool, &args.input)
            .map_err(|e| Failure::new(1, "invalid-input", e))?;
        let enablement = Enablement {
            id: args.target.clone(),
            version: package.manifest.version.clone(),
            digest: package.digest.clone(),
        };
        store
            .load(&host, &enablement)
            .map_err(crate::package_cmds::store_failure)?
            .1
    };
    let grants = GrantSet::open(plugin.identity().clone(), &specs)
        .map_err(|e| Failure::new(4, "invalid-grant", e))?;
    let limits = CallLimits {
        timeout: args.timeout,
        ..CallLimits::default()
    };
    let outcome = plugin.call_blocking(Arc::new(grants), &args.tool, &args.input, &limits);
    if !out.json() {
        for record in &outcome.logs {
            eprintln!("[plugin {:?}] {}", record.level, record.message);
        }
    }
    let output = outcome.result.map_err(|e| Failure::new(1, e.code(), e))?;
    let value: serde_json::Value = serde_json::from_str(&output).unwrap_or(serde_json::Value::Null);
    out.emit(
        json!({ "ok": value, "logs": outcome.logs, "elapsed_ms": outcome.elapsed.as_secs_f64() * 1e3 }),
        || serde_json::to_string_pretty(&value).unwrap_or(output.clone()),
    );
    Ok(())
}

pub fn tool_names(m: &manifest::Manifest) -> String {
    m.tools
        .iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
