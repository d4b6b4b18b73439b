//! Targets: the hosts a catalogue runs against.
//!
//! A target is anything that can run a list of guest `fs` calls as one
//! invocation of the conformance guest under a grant. The runner builds the
//! fixture, hands the target the mount directory, the grant as plain data
//! and the calls, and judges the outcomes itself; a second host
//! implementation plugs in by implementing [`Target`] (see the README).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};
use yoi_plugin_host::limits::{
    BoundOverrides, InvocationBudget, MAX_FS_CALLS_PER_INVOCATION, MAX_READ_BYTES_PER_INVOCATION,
    MAX_WRITE_BYTES_PER_INVOCATION,
};
use yoi_plugin_host::{CallLimits, ErrorCode, GrantSet, GrantSpec, Operation, Plugin, PluginHost};

use crate::case::{Budget, GrantCase};

/// The conformance guest's tool: runs a list of `fs` calls in one
/// invocation and returns `{"results": [...]}`.
pub const OPS_TOOL: &str = "ops";

/// The host refused to build a case's grant (a host-configuration error,
/// never a guest-visible one), with its stable code, e.g.
/// `invalid-pattern`. Targets return it inside the `anyhow::Error` of
/// [`Target::run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRefused(pub String);

impl std::fmt::Display for GrantRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the host refused the grant: {}", self.0)
    }
}

impl std::error::Error for GrantRefused {}

/// A host under test.
pub trait Target {
    /// Short name, used in the table and the JUnit file name.
    fn name(&self) -> &str;

    /// Why this target cannot run a case with this budget (e.g. budgets
    /// are not configurable through it), or `None`.
    fn unsupported(&self, budget: Option<&Budget>) -> Option<&'static str> {
        let _ = budget;
        None
    }

    /// Runs `calls` (each an input of the guest's `fs` probe) as one
    /// invocation of the conformance guest, with `grant` over `mount_dir`,
    /// and returns one outcome per call: `{"ok": RESULT}` or
    /// `{"error": {"code", "message"}}`. An `Err` is a harness failure,
    /// not a conformance result, except a [`GrantRefused`] inside it.
    fn run(
        &mut self,
        mount_dir: &Path,
        grant: &GrantCase,
        budget: Option<&Budget>,
        calls: &[Value],
    ) -> Result<Vec<Value>>;
}

/// The grant of a case as this host's plain-data spec.
pub fn grant_spec(mount_dir: &Path, grant: &GrantCase) -> Result<GrantSpec> {
    let ops = operations(&grant.ops)?;
    let mut spec = GrantSpec::new(&grant.mount, mount_dir, &ops).bounds(bounds(grant));
    spec.include = grant.include.clone();
    spec.exclude = grant.exclude.clone();
    Ok(spec)
}

/// The case's operations as this host's type.
pub fn operations(ops: &[String]) -> Result<Vec<Operation>> {
    ops.iter()
        .map(|o| Operation::parse(o).ok_or_else(|| anyhow!("unknown operation {o:?}")))
        .collect()
}

/// The case's bound overrides as this host's type.
pub fn bounds(grant: &GrantCase) -> BoundOverrides {
    BoundOverrides {
        read_bytes: grant.bounds.read_bytes,
        write_bytes: grant.bounds.write_bytes,
        list_entries: grant.bounds.list_entries,
        dir_scan_entries: grant.bounds.dir_scan_entries,
    }
}

/// Call limits with the case's budget (unset fields keep the defaults).
pub fn call_limits(budget: Option<&Budget>) -> CallLimits {
    let mut limits = CallLimits::default();
    if let Some(b) = budget {
        limits.fs_budget = InvocationBudget::new(
            b.read_bytes.unwrap_or(MAX_READ_BYTES_PER_INVOCATION),
            b.write_bytes.unwrap_or(MAX_WRITE_BYTES_PER_INVOCATION),
            b.calls.unwrap_or(MAX_FS_CALLS_PER_INVOCATION),
        );
    }
    limits
}

/// Extracts `results` from the guest's output.
pub fn results(output: &Value, calls: usize) -> Result<Vec<Value>> {
    let results = output["results"]
        .as_array()
        .ok_or_else(|| anyhow!("guest output has no results array"))?;
    if results.len() != calls {
        return Err(anyhow!(
            "guest returned {} results for {calls} calls",
            results.len()
        ));
    }
    Ok(results.clone())
}

/// The host embedded in this process (`yoi_plugin_host` API): the guest is
/// loaded once as a bare component, each case gets fresh grants. The guest
/// is the Rust `hostile` plugin, or the same `ops` tool written in another
/// language (`conformance-js`, `conformance-py`), so one catalogue checks
/// every language's bindings.
pub struct Embedded {
    name: String,
    plugin: Plugin,
}

impl Embedded {
    /// Loads the conformance guest from `component`, compiling into
    /// `cache_dir`.
    pub fn new(component: &Path, cache_dir: &Path) -> Result<Embedded> {
        Embedded::with_guest("embedded", "hostile", component, cache_dir)
    }

    /// Target `name` running the guest `plugin_name` loaded from
    /// `component`.
    pub fn with_guest(
        name: &str,
        plugin_name: &str,
        component: &Path,
        cache_dir: &Path,
    ) -> Result<Embedded> {
        let host = PluginHost::builder().cache_dir(cache_dir).build()?;
        let bytes =
            std::fs::read(component).with_context(|| format!("reading {}", component.display()))?;
        let plugin = Plugin::from_component(&host, plugin_name.parse()?, &bytes)?;
        Ok(Embedded {
            name: name.to_owned(),
            plugin,
        })
    }

    /// The loaded conformance guest (the stress sections call its other
    /// tools).
    pub fn plugin(&self) -> &Plugin {
        &self.plugin
    }
}

impl Target for Embedded {
    fn name(&self) -> &str {
        &self.name
    }

    fn run(
        &mut self,
        mount_dir: &Path,
        grant: &GrantCase,
        budget: Option<&Budget>,
        calls: &[Value],
    ) -> Result<Vec<Value>> {
        let spec = grant_spec(mount_dir, grant)?;
        let grants = GrantSet::open(self.plugin.identity().clone(), &[spec])
            .map_err(|e| GrantRefused(e.code().to_owned()))?;
        let grants = Arc::new(grants);
        let limits = call_limits(budget);
        let input = json!({ "ops": calls }).to_string();
        let outcome = self.plugin.call_blocking(grants, OPS_TOOL, &input, &limits);
        let output = outcome.result.map_err(|e| anyhow!("call failed: {e}"))?;
        results(&output, calls.len())
    }
}
