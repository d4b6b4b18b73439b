//! The ABI contract: which versions exist, what a component of each may
//! import and must export, and the thin binding adapter of each version.
//!
//! - [`AbiVersion`]: the versions this host implements. A component's
//!   version is read from its own `yoi:plugin/tool@…` export
//!   ([`inspect`]), never taken from a manifest string; a manifest's `abi`
//!   is checked against it.
//! - [`inspect`]: static inspection (imports, exports, declared tools) and
//!   the import allowlist. Nothing here compiles or runs plugin code.
//! - `v1`: the bindings of `yoi-plugin-wasm-1` (WIT frozen in `wit/v1/`),
//!   adapting the `fs` and `log` host traits onto the host's own
//!   [`crate::fs::FsContext`] and [`crate::log::LogSink`] view types.
//! - [`AbiPre`]: one enum arm per version's pre-instance; the runtime
//!   dispatches a call through it.
//!
//! Adding `yoi-plugin-wasm-2` = a `wit/v2/` directory, a `v2` module like
//! `v1`, one [`AbiVersion`] variant and one [`AbiPre`] arm (the procedure
//! is in `docs/architecture.md`).

pub mod error;
pub mod inspect;
pub(crate) mod v1;

use std::fmt;

use serde::{Deserialize, Serialize};
use wasmtime::Store;
use wasmtime::component::{InstancePre, Linker};

pub use self::error::ContractError;
use crate::fs::FsContext;
use crate::log::LogSink;

/// The identifier of ABI version 1.
pub const ABI_V1: &str = "yoi-plugin-wasm-1";

/// The ABI versions this host implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AbiVersion {
    /// `yoi-plugin-wasm-1`, WIT package `yoi:plugin@1.0.0`.
    #[serde(rename = "yoi-plugin-wasm-1")]
    V1,
}

impl AbiVersion {
    /// Every supported version.
    pub const ALL: [AbiVersion; 1] = [AbiVersion::V1];

    /// Parses an ABI identifier (`yoi-plugin-wasm-1`).
    pub fn parse(id: &str) -> Option<AbiVersion> {
        AbiVersion::ALL.into_iter().find(|v| v.id() == id)
    }

    /// The identifier string, e.g. `yoi-plugin-wasm-1`.
    pub fn id(self) -> &'static str {
        match self {
            AbiVersion::V1 => ABI_V1,
        }
    }

    /// The version whose tool interface is exported under `name`.
    pub fn from_tool_export(name: &str) -> Option<AbiVersion> {
        AbiVersion::ALL
            .into_iter()
            .find(|v| v.tool_export() == name)
    }

    /// The host API interfaces a component of this ABI may import, with
    /// the [`HostApi`] each one is.
    pub fn host_imports(self) -> &'static [(&'static str, HostApi)] {
        match self {
            AbiVersion::V1 => &[
                ("yoi:plugin/fs@1.0.0", HostApi::Fs),
                ("yoi:plugin/log@1.0.0", HostApi::Log),
            ],
        }
    }

    /// The interface a component of this ABI exports.
    pub fn tool_export(self) -> &'static str {
        match self {
            AbiVersion::V1 => "yoi:plugin/tool@1.0.0",
        }
    }
}

impl fmt::Display for AbiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A host API a plugin can import (and a manifest must request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostApi {
    /// The `fs` host API.
    Fs,
    /// The `log` host API.
    Log,
}

impl HostApi {
    /// The stable name (`fs`, `log`).
    pub fn as_str(self) -> &'static str {
        match self {
            HostApi::Fs => "fs",
            HostApi::Log => "log",
        }
    }
}

impl fmt::Display for HostApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the per-call store data must expose to the host APIs: the views
/// the bindings are implemented on (wasmtime's `HasData` pattern).
pub(crate) trait HostViews: Send + 'static {
    /// The call's fs authority.
    fn fs(&mut self) -> &mut FsContext;
    /// The call's log sink.
    fn log(&mut self) -> &mut LogSink;
}

/// Adds every supported version's host interfaces to `linker`.
pub(crate) fn add_to_linker<T: HostViews>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    v1::add_to_linker(linker)
}

/// A pre-linked component of one ABI version: one arm per version.
pub(crate) enum AbiPre<T: 'static> {
    V1(v1::PluginPre<T>),
}

impl<T: HostViews> AbiPre<T> {
    /// Typed pre-instance of `version` over a linked component.
    pub fn new(version: AbiVersion, pre: InstancePre<T>) -> wasmtime::Result<AbiPre<T>> {
        Ok(match version {
            AbiVersion::V1 => AbiPre::V1(v1::PluginPre::new(pre)?),
        })
    }

    /// Instantiates and calls the tool export once. The outer error is a
    /// trap or host failure; the inner one the plugin's own tool error.
    pub fn call(
        &self,
        store: &mut Store<T>,
        tool: &str,
        input: &str,
    ) -> wasmtime::Result<Result<String, ToolError>> {
        match self {
            AbiPre::V1(pre) => v1::call(pre, store, tool, input),
        }
    }
}

/// A tool error as the plugin reports it, independent of the ABI version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ToolError {
    UnknownTool(String),
    InvalidInput(String),
    Failed(String),
}
