//! `wasm32-wasip1` plugins: a core module made a component.
//!
//! Older Rust toolchains and `cargo component` users build a **core
//! module** for `wasm32-wasip1`: wit-bindgen exports of the `yoi:plugin`
//! world plus the WASI preview1 imports of Rust's std. The host runs
//! components only, so `check`, `pack` and `run` turn such a module into
//! one with [`wit_component::ComponentEncoder`] and the preview1 **reactor
//! adapter** of `wasi-preview1-component-adapter-provider` (pinned to the
//! wasmtime release the host runs, so the adapter imports the WASI 0.2
//! interfaces the host links; nothing is downloaded).
//!
//! The adapter only translates: every WASI import it keeps is one of the
//! authority-free or inert interfaces of `abi/inspect.rs`, checked on the
//! result like on any component. A package holds the adapted component,
//! so an installed plugin is never adapted again.

use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
};
use wasmparser::Parser;

use crate::diag;
use crate::error::ErrorCode;

/// Why a plugin binary could not be made a component.
#[derive(Debug, thiserror::Error)]
pub enum AdaptError {
    /// Neither a component nor a core module.
    #[error("not a WebAssembly component or core module")]
    NotWasm,
    /// The core module could not be encoded as a component (typically:
    /// it was not built with bindings of the `yoi:plugin` world). The
    /// encoder's message, bounded.
    #[error(
        "the core module cannot be made a component (build it with yoi-plugin-sdk or wit-bindgen exports of the yoi:plugin world): {0}"
    )]
    Encode(String),
}

impl ErrorCode for AdaptError {
    fn code(&self) -> &'static str {
        match self {
            AdaptError::NotWasm => "not-wasm",
            AdaptError::Encode(_) => "adapt-failed",
        }
    }
}

/// Whether `bytes` start like a core module (any other header, component
/// or not, is left to inspection).
pub fn is_core_module(bytes: &[u8]) -> bool {
    Parser::is_core_wasm(bytes)
}

/// `bytes` as a component: a component unchanged, a core module adapted
/// (module docs).
pub fn to_component(bytes: Vec<u8>) -> Result<Vec<u8>, AdaptError> {
    if Parser::is_component(&bytes) {
        return Ok(bytes);
    }
    if !is_core_module(&bytes) {
        return Err(AdaptError::NotWasm);
    }
    let encode = |e: anyhow::Error| AdaptError::Encode(diag::bound(&format!("{e:#}"), 300));
    wit_component::ComponentEncoder::default()
        .module(&bytes)
        .map_err(encode)?
        .validate(true)
        .adapter(
            WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
            WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER,
        )
        .map_err(encode)?
        .encode()
        .map_err(encode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_pass_through_unchanged() {
        let component = b"\0asm\x0d\0\x01\0".to_vec();
        assert_eq!(to_component(component.clone()).unwrap(), component);
    }

    #[test]
    fn not_wasm_is_refused() {
        for bytes in [&b""[..], b"\0asm", b"#!/bin/sh\n", b"\0asm\x02\0\0\0"] {
            let err = to_component(bytes.to_vec()).unwrap_err();
            assert_eq!(err.code(), "not-wasm", "{bytes:?}");
        }
    }

    #[test]
    fn a_module_importing_outside_wasi_is_adapt_failed() {
        // (module (import "env" "f" (func))): no world provides `env`.
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend_from_slice(&[0x01, 0x04, 0x01, 0x60, 0x00, 0x00]);
        module.extend_from_slice(&[
            0x02, 0x09, 0x01, 0x03, b'e', b'n', b'v', 0x01, b'f', 0x00, 0x00,
        ]);
        let err = to_component(module).unwrap_err();
        assert_eq!(err.code(), "adapt-failed");
        assert!(err.to_string().contains("env"), "{err}");
        assert!(err.to_string().len() < 600);
    }

    #[test]
    fn a_module_without_yoi_exports_becomes_a_component_the_contract_refuses() {
        let component = to_component(b"\0asm\x01\0\0\0".to_vec()).unwrap();
        assert!(Parser::is_component(&component));
        let err = crate::abi::inspect::inspect(&component).unwrap_err();
        assert_eq!(err.code(), "missing-export", "{err}");
    }
}
