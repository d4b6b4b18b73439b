//! ABI identifiers and the binding adapter of each ABI version.
//!
//! Each version lives in its own module (`v1` = `yoi-plugin-wasm-1`, WIT
//! package `yoi:plugin@1.0.0`) and adapts its generated bindings onto the
//! host's own types ([`crate::fs`], [`crate::runtime`]); a future
//! `yoi-plugin-wasm-2` adds a `v2` module beside it, and a component is
//! instantiated with the version it declares.

pub(crate) mod v1;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::runtime::error::LoadError;

/// The identifier of ABI version 1.
pub const ABI_V1: &str = "yoi-plugin-wasm-1";

/// The ABI versions this host implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AbiVersion {
    /// `yoi-plugin-wasm-1`.
    #[serde(rename = "yoi-plugin-wasm-1")]
    V1,
}

impl AbiVersion {
    /// Every supported version.
    pub const ALL: [AbiVersion; 1] = [AbiVersion::V1];

    /// Parses an ABI identifier as a manifest declares it.
    pub fn parse(id: &str) -> Result<AbiVersion, LoadError> {
        AbiVersion::ALL
            .into_iter()
            .find(|v| v.id() == id)
            .ok_or_else(|| LoadError::UnsupportedAbi(crate::diag::bound(id, 64)))
    }

    /// The identifier string, e.g. `yoi-plugin-wasm-1`.
    pub fn id(self) -> &'static str {
        match self {
            AbiVersion::V1 => ABI_V1,
        }
    }

    /// The host interfaces a component of this ABI may import.
    pub fn host_imports(self) -> &'static [&'static str] {
        match self {
            AbiVersion::V1 => &["yoi:plugin/fs@1.0.0", "yoi:plugin/log@1.0.0"],
        }
    }

    /// The interface a component of this ABI must export.
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
