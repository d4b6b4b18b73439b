//! Declaring a component's tools for every language, once, at pack time.
//!
//! The Rust SDK records the tool names in the component's
//! [`TOOLS_SECTION`] at build time. JavaScript and Python toolchains cannot
//! write custom sections, so for a component without one, `check` and
//! `pack` of a plugin directory establish the list by **probing**:
//!
//! 1. the manifest's tool names are written into the section of a copy of
//!    the component (so the probed bytes are the packaged bytes, and the
//!    compile cache entry is reused by the first call);
//! 2. the copy is instantiated with **no grants** and tight limits, and
//!    each declared tool is called with the input `null`: any answer but
//!    `unknown-tool` (typically `invalid-input`) shows the tool exists;
//! 3. a name no plugin has is called too: it must answer `unknown-tool`,
//!    or the component cannot tell its tools apart and the probe proves
//!    nothing (`tools-not-verifiable`).
//!
//! A declared tool the component answers `unknown-tool` for is
//! `tool-not-exported`, as the static check reports it for Rust plugins.
//! A component that records its own list is not probed for tools, but
//! every component is asked once for the input schemas it derives from
//! its types (`package/schemas.rs`).
//! The probe runs the author's own plugin with no authority at all (no
//! grants, no preopens, no network), bounded in time and memory.

use std::sync::Arc;
use std::time::Duration;

use super::PackageError;
use super::schemas::INPUT_SCHEMAS_TOOL;
use crate::abi::inspect::{self, TOOLS_SECTION};
use crate::deadline::CallControl;
use crate::grant::GrantSet;
use crate::identity::PluginIdentity;
use crate::limits::CallLimits;
use crate::names::PluginName;
use crate::runtime::{CallError, LoadedComponent, PluginHost};

/// Time each probe call may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// A tool name no plugin declares (names are `[a-z0-9_-]`).
const NO_SUCH_TOOL: &str = "yoi probe: no such tool";

/// `component` with [`TOOLS_SECTION`] listing `tools` appended.
pub fn with_tools_section(component: &[u8], tools: &[String]) -> Vec<u8> {
    let mut body = leb128(TOOLS_SECTION.len());
    body.extend_from_slice(TOOLS_SECTION.as_bytes());
    body.extend_from_slice(tools.join("\n").as_bytes());
    let mut out = component.to_vec();
    out.push(0); // custom section id
    out.extend(leb128(body.len()));
    out.extend(body);
    out
}

fn leb128(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// The component to package: as it is when it records its tools, else a
/// probed copy recording `tools` (module docs). In the same probe, a
/// component that answers [`INPUT_SCHEMAS_TOOL`] has its answer given to
/// `check_schemas` (`package/schemas.rs`).
pub fn declare_tools(
    host: &PluginHost,
    component: Vec<u8>,
    tools: &[String],
    check_schemas: impl FnOnce(&str) -> Result<(), PackageError>,
) -> Result<Vec<u8>, PackageError> {
    let scan = inspect::scan(&component).map_err(PackageError::Component)?;
    let records_tools = scan.declared_tools.is_some();
    let declared = match records_tools {
        true => component,
        false => with_tools_section(&component, tools),
    };
    let loaded =
        LoadedComponent::load(host, &declared).map_err(|e| PackageError::Probe(e.to_string()))?;
    let name = PluginName::parse("probe").expect("a valid name");
    let identity = PluginIdentity::component(name, &declared);
    let grants = Arc::new(GrantSet::new(identity.clone()));
    let limits = CallLimits {
        timeout: PROBE_TIMEOUT,
        ..CallLimits::default()
    };
    let call = |tool: &str| {
        let control = CallControl::new(PROBE_TIMEOUT);
        loaded
            .call_blocking(&identity, grants.clone(), tool, "null", &limits, &control)
            .result
    };
    let answers = |tool: &str| !matches!(call(tool), Err(CallError::UnknownTool(_)));
    if !records_tools {
        if answers(NO_SUCH_TOOL) {
            return Err(PackageError::ToolsNotVerifiable);
        }
        if let Some(missing) = tools.iter().find(|t| !answers(t)) {
            return Err(PackageError::ToolNotExported(super::shown(missing)));
        }
    }
    if let Ok(answer) = call(INPUT_SCHEMAS_TOOL) {
        check_schemas(&answer)?;
    }
    Ok(declared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_read_back_by_inspection() {
        // A minimal component: the preamble only.
        let empty = b"\0asm\x0d\0\x01\0".to_vec();
        let tools = vec!["greet".to_owned(), "read".to_owned()];
        let bytes = with_tools_section(&empty, &tools);
        let scan = inspect::scan(&bytes).expect("still a component");
        assert_eq!(scan.declared_tools, Some(tools));
        // Long payloads need multi-byte lengths.
        let many: Vec<String> = (0..100).map(|i| format!("tool-{i}")).collect();
        let scan = inspect::scan(&with_tools_section(&empty, &many)).unwrap();
        assert_eq!(scan.declared_tools.map(|t| t.len()), Some(100));
        assert_eq!(leb128(624485), vec![0xe5, 0x8e, 0x26]);
    }
}
