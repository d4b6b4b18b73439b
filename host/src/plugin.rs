//! [`Plugin`]: one loaded plugin — verified package, compiled component,
//! manifest, and the tool table with its schema validators compiled once
//! at load — and the one call path every caller goes through (the CLI's
//! `run`, workers and the REST service, and later the MCP server).
//!
//! Every call's limits are first capped by the host's ceiling
//! ([`crate::CallLimits::capped_by`]). One call, in order
//! ([`Plugin::call_blocking`]):
//! 1. the grants must be issued for this plugin's identity
//!    (`grant-mismatch`);
//! 2. the tool must be in the tool table (`unknown-tool`);
//! 3. the input must fit its bound (`input-too-large`), parse as JSON and
//!    match the tool's input schema (`invalid-input`) — before any plugin
//!    code runs;
//! 4. the call takes a slot in the host's call pool (`runtime/pool.rs`:
//!    a concurrency cap, a bounded queue, `busy` past it); the component
//!    runs once on a fresh store (`runtime/component.rs`), under the
//!    call's [`CallControl`] (deadline, cancellation);
//! 5. the output must fit its bound (`output-too-large`), parse strictly as
//!    JSON (`output-not-json`) and match the output schema when the
//!    manifest declares one (`output-invalid`).
//!
//! A bare component (the development path, no package) has no manifest:
//! its tool table is the component's declared tool list (or, without one,
//! every name is passed through to the component), with no schemas; its
//! identity is the component's SHA-256 ([`crate::identity`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use crate::abi::inspect::ComponentInfo;
use crate::deadline::CallControl;
use crate::diag;
use crate::error::ErrorCode;
use crate::grant::GrantSet;
use crate::identity::{PluginIdentity, PluginPin};
use crate::limits::CallLimits;
use crate::manifest::{Manifest, ToolSpec};
use crate::names::PluginName;
use crate::package::Package;
use crate::runtime::pool::Slot;
use crate::runtime::{
    CacheOutcome, CallError, CallOutcome, LoadError, LoadedComponent, MAX_TOOL_NAME_BYTES,
    PluginHost,
};

/// A loaded plugin, ready to call. Cheap to clone; calls may run
/// concurrently (each gets a fresh store and instance).
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<Inner>,
}

struct Inner {
    identity: PluginIdentity,
    manifest: Option<Manifest>,
    tools: Tools,
    component: LoadedComponent,
}

/// The tool table: by name, with validators compiled at load.
enum Tools {
    /// From a manifest (or a declared tool list): exactly these names.
    Known(BTreeMap<String, Tool>),
    /// A bare component without a tool list: the component decides.
    PassThrough,
}

struct Tool {
    input: Option<jsonschema::Validator>,
    output: Option<jsonschema::Validator>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("identity", &self.inner.identity)
            .field("abi", &self.inner.component.info().abi)
            .field("cache", &self.inner.component.cache_outcome())
            .finish_non_exhaustive()
    }
}

fn compile_schema(schema: &Value) -> Result<jsonschema::Validator, LoadError> {
    crate::manifest::compile_schema(schema).map_err(LoadError::Schema)
}

impl Plugin {
    /// Loads an installed (verified) package pinned by `pin`: compiles or
    /// loads the component from the cache, pre-links it and compiles every
    /// tool's schemas. Nothing of the plugin runs.
    pub fn from_package(
        host: &PluginHost,
        package: Package,
        pin: PluginPin,
    ) -> Result<Plugin, LoadError> {
        let component = LoadedComponent::load_inspected(
            host,
            package.component(),
            package.info.clone(),
            &package.component_digest,
        )?;
        let mut tools = BTreeMap::new();
        for spec in &package.manifest.tools {
            let tool = Tool {
                input: Some(compile_schema(&spec.input_schema)?),
                output: spec
                    .output_schema
                    .as_ref()
                    .map(compile_schema)
                    .transpose()?,
            };
            tools.insert(spec.name.clone(), tool);
        }
        let identity = PluginIdentity::Installed(pin);
        tracing::info!(target: "yoi_plugin_host::runtime", plugin = %identity, abi = %component.info().abi, cache = ?component.cache_outcome(), "plugin loaded");
        Ok(Plugin {
            inner: Arc::new(Inner {
                identity,
                manifest: Some(package.manifest),
                tools: Tools::Known(tools),
                component,
            }),
        })
    }

    /// Loads a bare component (development path): no manifest, no
    /// schemas, identity = `name` + the component's SHA-256.
    pub fn from_component(
        host: &PluginHost,
        name: PluginName,
        bytes: &[u8],
    ) -> Result<Plugin, LoadError> {
        let component = LoadedComponent::load(host, bytes)?;
        let tools = match &component.info().declared_tools {
            Some(names) => Tools::Known(
                names
                    .iter()
                    .map(|n| {
                        let tool = Tool {
                            input: None,
                            output: None,
                        };
                        (n.clone(), tool)
                    })
                    .collect(),
            ),
            None => Tools::PassThrough,
        };
        let identity = PluginIdentity::component(name, bytes);
        tracing::info!(target: "yoi_plugin_host::runtime", plugin = %identity, abi = %component.info().abi, cache = ?component.cache_outcome(), "plugin loaded");
        Ok(Plugin {
            inner: Arc::new(Inner {
                identity,
                manifest: None,
                tools,
                component,
            }),
        })
    }

    /// The plugin's identity (what grants must be issued for).
    pub fn identity(&self) -> &PluginIdentity {
        &self.inner.identity
    }

    /// The manifest, for an installed plugin.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.inner.manifest.as_ref()
    }

    /// The tools with their specs (description, schemas), for an installed
    /// plugin; empty for a bare component.
    pub fn tools(&self) -> &[ToolSpec] {
        self.inner
            .manifest
            .as_ref()
            .map_or(&[], |m| m.tools.as_slice())
    }

    /// Whether the plugin offers `tool` (always true for a bare component
    /// without a tool list: it decides).
    pub fn has_tool(&self, tool: &str) -> bool {
        match &self.inner.tools {
            Tools::Known(tools) => tools.contains_key(tool),
            Tools::PassThrough => true,
        }
    }

    /// What static inspection found (ABI, imports, exports, host APIs).
    pub fn info(&self) -> &ComponentInfo {
        self.inner.component.info()
    }

    /// Whether the compile cache served the load.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.inner.component.cache_outcome()
    }

    /// [`Plugin::call_blocking`] on a tokio blocking thread, so many calls
    /// run concurrently without stalling the async runtime. The call first
    /// takes a slot in the host's call pool (waiting in its bounded queue,
    /// or `busy`), so blocking threads are bounded by the pool. Dropping the
    /// returned future (a client that went away) cancels the call: it ends
    /// within one epoch tick, and any WASI wait or fs call in progress
    /// returns at once.
    pub async fn call(
        &self,
        grants: Arc<GrantSet>,
        tool: &str,
        input: &str,
        limits: CallLimits,
    ) -> CallOutcome {
        let started = Instant::now();
        let limits = self.capped(&limits);
        let control = CallControl::new(limits.timeout);
        let cancel_on_drop = control.cancel_on_drop();
        let slot = match self.host().slots().acquire(&control).await {
            Ok(slot) => slot,
            Err(e) => return self.refused(tool, e, started),
        };
        let this = self.clone();
        let (tool, input) = (tool.to_owned(), input.to_owned());
        let outcome = match tokio::task::spawn_blocking(move || {
            this.call_in(grants, &tool, &input, &limits, &control, Some(slot))
        })
        .await
        {
            Ok(outcome) => outcome,
            Err(join) => CallOutcome::refused(
                CallError::Internal(format!("call thread failed: {join}")),
                started,
            ),
        };
        cancel_on_drop.disarm();
        outcome
    }

    /// Calls `tool` with `input` (JSON text) on the current thread, with
    /// exactly the authority in `grants`: the one call path (module docs).
    pub fn call_blocking(
        &self,
        grants: Arc<GrantSet>,
        tool: &str,
        input: &str,
        limits: &CallLimits,
    ) -> CallOutcome {
        let control = CallControl::new(self.capped(limits).timeout);
        self.call_controlled(grants, tool, input, limits, &control)
    }

    /// [`Plugin::call_blocking`] under an explicit [`CallControl`], which
    /// the caller may cancel from another thread.
    pub fn call_controlled(
        &self,
        grants: Arc<GrantSet>,
        tool: &str,
        input: &str,
        limits: &CallLimits,
        control: &CallControl,
    ) -> CallOutcome {
        self.call_in(grants, tool, input, &self.capped(limits), control, None)
    }

    /// The host this plugin is loaded into.
    pub fn host(&self) -> &PluginHost {
        self.inner.component.host()
    }

    /// `limits` capped by the host's ceiling.
    fn capped(&self, limits: &CallLimits) -> CallLimits {
        limits.capped_by(self.host().ceiling())
    }

    /// The call path proper, with `limits` already capped: admission
    /// checks, a pool slot (`slot`, or one waited for here), the call, the
    /// output checks.
    fn call_in(
        &self,
        grants: Arc<GrantSet>,
        tool: &str,
        input: &str,
        limits: &CallLimits,
        control: &CallControl,
        slot: Option<Slot>,
    ) -> CallOutcome {
        let started = Instant::now();
        let entry = match self.admit(&grants, tool, input, limits) {
            Ok(entry) => entry,
            Err(e) => return self.refused(tool, e, started),
        };
        let _slot = match slot.map_or_else(|| self.host().slots().acquire_blocking(control), Ok) {
            Ok(slot) => slot,
            Err(e) => return self.refused(tool, e, started),
        };
        let outcome = self
            .inner
            .component
            .call_blocking(&self.inner.identity, grants, tool, input, limits, control)
            .and_then(|raw| check_output(&raw, entry.and_then(|t| t.output.as_ref()), limits));
        if let Err(err) = &outcome.result {
            tracing::info!(target: "yoi_plugin_host::runtime", plugin = %self.inner.identity, tool = %diag::bound(tool, 64), code = err.code(), "tool call failed");
        }
        outcome
    }

    /// Steps 1–3 of the call path: nothing of the plugin runs.
    fn admit(
        &self,
        grants: &GrantSet,
        tool: &str,
        input: &str,
        limits: &CallLimits,
    ) -> Result<Option<&Tool>, CallError> {
        if grants.plugin() != &self.inner.identity {
            return Err(CallError::GrantMismatch);
        }
        if tool.is_empty() || tool.len() > MAX_TOOL_NAME_BYTES {
            return Err(CallError::UnknownTool(diag::bound(tool, 64)));
        }
        let entry = match &self.inner.tools {
            Tools::Known(tools) => Some(
                tools
                    .get(tool)
                    .ok_or_else(|| CallError::UnknownTool(diag::bound(tool, 64)))?,
            ),
            Tools::PassThrough => None,
        };
        if input.len() > limits.max_input_bytes {
            return Err(CallError::InputTooLarge {
                len: input.len(),
                max: limits.max_input_bytes,
            });
        }
        let value: Value = serde_json::from_str(input).map_err(|e| {
            CallError::InvalidInput(diag::bound(&format!("input is not JSON: {e}"), 200))
        })?;
        if let Some(validator) = entry.and_then(|t| t.input.as_ref()) {
            schema_check(validator, &value, "input").map_err(CallError::InvalidInput)?;
        }
        Ok(entry)
    }

    fn refused(&self, tool: &str, error: CallError, started: Instant) -> CallOutcome {
        tracing::info!(target: "yoi_plugin_host::runtime", plugin = %self.inner.identity, tool = %diag::bound(tool, 64), code = error.code(), "tool call refused");
        CallOutcome::refused(error, started)
    }
}

/// Step 5: bound, strict parse, output schema.
fn check_output(
    raw: &str,
    schema: Option<&jsonschema::Validator>,
    limits: &CallLimits,
) -> Result<Value, CallError> {
    if raw.len() > limits.max_output_bytes {
        return Err(CallError::OutputTooLarge {
            len: raw.len(),
            max: limits.max_output_bytes,
        });
    }
    let value: Value = serde_json::from_str(raw).map_err(|_| CallError::OutputNotJson)?;
    if let Some(validator) = schema {
        schema_check(validator, &value, "output").map_err(CallError::OutputInvalid)?;
    }
    Ok(value)
}

/// A bounded description of the first schema violation. Only the location
/// and the rule are reported, never the offending value.
fn schema_check(
    validator: &jsonschema::Validator,
    value: &Value,
    what: &str,
) -> Result<(), String> {
    match validator.iter_errors(value).next() {
        None => Ok(()),
        Some(err) => Err(diag::bound(
            &format!(
                "{what} does not match the schema at '{}': {}",
                err.instance_path(),
                err
            ),
            300,
        )),
    }
}
