//! # yoi-plugin-sdk: write `yoi-plugin-wasm-1` tool plugins in plain Rust
//!
//! A yoi plugin is a WebAssembly component that exports one entry point,
//! `call(tool-name, input-json) -> result<output-json, tool-error>`, and may
//! import the host's `fs` and `log` APIs (see `wit/v1/yoi-plugin.wit`, package
//! `yoi:plugin@1.0.0`). This crate hides all of that ABI glue: a plugin is a
//! type implementing [`Plugin`], which returns a [`Tools`] router of ordinary
//! Rust functions taking and returning serde types, plus one
//! [`export_plugin!`] line.
//!
//! * [`Tools`] routes a tool name to a handler, decodes the input JSON into
//!   the handler's input type and encodes its output; see its docs for the
//!   exact error mapping.
//! * [`ToolError`] is how a handler reports failure.
//! * [`Empty`] is the payload of a tool without input or output (`{}`).
//! * [`fs`] is the filesystem, restricted to what the host granted this
//!   plugin: raw paged calls plus convenient whole-file and iterator helpers
//!   and compare-and-swap writes.
//! * [`log`] and the [`trace!`], [`debug!`], [`info!`], [`warn!`],
//!   [`error!`] macros send bounded diagnostics to the host operator.
//!
//! ## A complete plugin
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [package]
//! name = "hello"
//! version = "0.1.0"
//! edition = "2024"
//!
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! yoi-plugin-sdk = { path = "../guest-sdk" }
//! serde = { version = "1", features = ["derive"] }
//! ```
//!
//! `src/lib.rs`:
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use yoi_plugin_sdk::{Plugin, ToolError, Tools, export_plugin, fs, info};
//!
//! #[derive(Deserialize)]
//! struct GreetIn {
//!     name: String,
//! }
//!
//! #[derive(Serialize)]
//! struct GreetOut {
//!     greeting: String,
//! }
//!
//! fn greet(input: GreetIn) -> Result<GreetOut, ToolError> {
//!     if input.name.is_empty() {
//!         return Err(ToolError::invalid_input("name must not be empty"));
//!     }
//!     info!("greeting {} bytes of name", input.name.len());
//!     Ok(GreetOut { greeting: format!("Hello, {}!", input.name) })
//! }
//!
//! #[derive(Deserialize)]
//! struct ReadIn {
//!     /// `<mount>/<path inside the mount>`, e.g. `notes/today.md`.
//!     path: String,
//! }
//!
//! #[derive(Serialize)]
//! struct ReadOut {
//!     text: String,
//! }
//!
//! fn read(input: ReadIn) -> Result<ReadOut, ToolError> {
//!     // An `FsError` converts into `ToolError::Failed("<code>: <message>")`.
//!     let text = fs::read_to_string(&input.path)?;
//!     Ok(ReadOut { text })
//! }
//!
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     fn tools() -> Tools {
//!         Tools::new().tool("greet", greet).tool("read", read)
//!     }
//! }
//!
//! export_plugin!(Hello, tools = ["greet", "read"]);
//!
//! // The router is plain Rust, so tools can be unit-tested natively:
//! # fn main() {
//! let out = Hello::tools().call("greet", r#"{"name":"Ada"}"#).unwrap();
//! assert_eq!(out, r#"{"greeting":"Hello, Ada!"}"#);
//! # }
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip2`; the
//! component is `target/wasm32-wasip2/release/hello.wasm`.
//!
//! ## Outside a host
//!
//! The crate also compiles for native targets so that plugin logic can be
//! unit-tested with `cargo test`. There the host APIs are absent: every
//! [`fs`] call fails with [`fs::ErrorCode::Io`] and [`log`] writes to
//! stderr.
//!
//! ## What not to use
//!
//! Plugins get no ambient authority. `std::fs`, `std::net` and friends make
//! the component import `wasi:filesystem` / `wasi:sockets`, and the host
//! refuses to load such a component. Use [`fs`] instead. Standard output and
//! standard error are captured into bounded host buffers and are never part
//! of a tool result; return data through the tool's output.

#![warn(missing_docs)]

/// The raw wit-bindgen bindings of the `yoi:plugin@1.0.0` world.
///
/// Not part of the public API: plugin crates use [`export_plugin!`], [`fs`]
/// and [`log`]. Public only because [`export_plugin!`] expands to paths into
/// it.
#[doc(hidden)]
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/v1",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__yoi_export_plugin_world",
        default_bindings_module: "yoi_plugin_sdk::bindings",
        additional_type_attributes: {
            "yoi:plugin/fs@1.0.0/error-code": [
                #[derive(serde::Serialize, serde::Deserialize)]
                #[serde(rename_all = "kebab-case")]
            ],
            "yoi:plugin/fs@1.0.0/entry-kind": [
                #[derive(serde::Serialize, serde::Deserialize)]
                #[serde(rename_all = "kebab-case")]
            ],
            "yoi:plugin/fs@1.0.0/write-mode": [
                #[derive(serde::Serialize, serde::Deserialize)]
                #[serde(rename_all = "kebab-case")]
            ],
            "yoi:plugin/fs@1.0.0/dir-entry": [#[derive(serde::Serialize)]],
            "yoi:plugin/fs@1.0.0/metadata": [#[derive(serde::Serialize)]],
            "yoi:plugin/fs@1.0.0/write-result": [#[derive(serde::Serialize)]],
        },
    });
}

pub mod fs;
mod host;
pub mod log;
mod tools;

pub use tools::{Empty, INPUT_SCHEMAS_TOOL, ToolError, Tools};

/// Re-export of [`schemars`], for `#[derive(JsonSchema)]` on tool inputs
/// (with `#[schemars(crate = "yoi_plugin_sdk::schemars")]`, or schemars 1.x
/// as a direct dependency); see [`Tools::tool_with_schema`].
pub use schemars;
/// The derive and trait of [`schemars`].
pub use schemars::JsonSchema;

/// Re-export of [`serde`], so a plugin can `use yoi_plugin_sdk::serde::...`
/// without its own dependency. The derive macros need `serde` as a direct
/// dependency of the plugin crate (with the `derive` feature).
pub use serde;
/// Re-export of [`serde_json`], e.g. for a tool that takes or returns a
/// free-form [`serde_json::Value`].
pub use serde_json;

/// A yoi plugin: the set of tools it offers.
///
/// Implement it on a unit struct and pass that struct to [`export_plugin!`].
/// [`Plugin::tools`] is called for every tool call, so it should only build
/// the router (cheap) and do no I/O.
pub trait Plugin {
    /// The router of this plugin's tools, by name.
    fn tools() -> Tools;
}

/// Export a [`Plugin`] as the component's `yoi:plugin/tool` entry point.
///
/// Use it exactly once per plugin crate, at item level:
/// `export_plugin!(MyPlugin);`. It implements the generated `tool` guest
/// trait on a hidden adapter that dispatches every `call` through
/// `<MyPlugin as Plugin>::tools()` and maps [`ToolError`] onto the WIT
/// `tool-error` variant.
///
/// For a plugin you package, also list the tool names:
/// `export_plugin!(MyPlugin, tools = ["read", "list"]);`. The names are
/// embedded as a `yoi-plugin-tools` custom section, which `yoi-plugin check`
/// compares with the tools `plugin.toml` declares — statically, without
/// running the plugin.
#[macro_export]
macro_rules! export_plugin {
    ($t:ty, tools = [$($tool:literal),+ $(,)?]) => {
        $crate::export_plugin!($t);
        const _: () = {
            const __YOI_TOOLS: &str = concat!($($tool, "\n"),+);
            /// The tool names, as a `yoi-plugin-tools` custom section that
            /// hosts read statically (`yoi-plugin check`) without running
            /// any plugin code.
            #[used]
            #[unsafe(link_section = "yoi-plugin-tools")]
            static __YOI_TOOLS_SECTION: [u8; __YOI_TOOLS.len()] = {
                let bytes = __YOI_TOOLS.as_bytes();
                let mut out = [0u8; __YOI_TOOLS.len()];
                let mut i = 0;
                while i < bytes.len() {
                    out[i] = bytes[i];
                    i += 1;
                }
                out
            };
        };
    };
    ($t:ty) => {
        const _: () = {
            #[doc(hidden)]
            struct __YoiPluginExport;

            impl $crate::bindings::exports::yoi::plugin::tool::Guest for __YoiPluginExport {
                fn call(
                    name: ::std::string::String,
                    input: ::std::string::String,
                ) -> ::core::result::Result<
                    ::std::string::String,
                    $crate::bindings::exports::yoi::plugin::tool::ToolError,
                > {
                    $crate::__private::call::<$t>(&name, &input)
                }
            }

            $crate::bindings::__yoi_export_plugin_world!(
                __YoiPluginExport with_types_in $crate::bindings
            );
        };
    };
}

/// Support code for [`export_plugin!`]; not part of the public API.
#[doc(hidden)]
pub mod __private {
    use crate::Plugin;
    use crate::bindings::exports::yoi::plugin::tool::ToolError as WitToolError;

    /// Dispatch one exported `call` through `P`'s router.
    pub fn call<P: Plugin>(name: &str, input: &str) -> Result<String, WitToolError> {
        P::tools().call(name, input).map_err(WitToolError::from)
    }
}
