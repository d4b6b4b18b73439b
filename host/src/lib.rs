//! `yoi-plugin-host`: run untrusted `yoi-plugin-wasm-1` WebAssembly tool
//! plugins with no ambient authority.
//!
//! A plugin touches the host filesystem only through the `fs` host API and
//! only inside what its [`GrantSet`] allows.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::sync::Arc;
//! use yoi_plugin_host::{CallLimits, GrantSet, GrantSpec, Operation, PluginHost, PluginStore};
//!
//! let host = PluginHost::builder().cache_dir("/var/cache/yoi").build()?;
//! let store = PluginStore::open("/var/lib/yoi/plugins")?;
//! let pin = store.list()?.into_iter().find(|p| p.id.to_string() == "user:notes").unwrap();
//! let plugin = store.load(&host, &pin)?;                      // verified, compiled, validators built
//! let grants = GrantSet::open(plugin.identity().clone(), &[
//!     GrantSpec::new("notes", "/srv/notes", &[Operation::Read, Operation::List]),
//! ])?;
//! let outcome = plugin
//!     .call(Arc::new(grants), "read", r#"{"path":"notes/journal.md"}"#, CallLimits::default())
//!     .await;
//! println!("{:?}", outcome.result);
//! # Ok(()) }
//! ```
//!
//! The module map, one call's data flow and where each invariant is
//! enforced are in `docs/architecture.md`.

// Leaves: names, limits, errors, durable files, diagnostics, deadlines.
pub mod deadline;
pub(crate) mod diag;
pub(crate) mod durable;
pub mod error;
pub mod limits;
pub mod names;
pub(crate) mod secret;

// The host APIs' semantics, and grants (the only source of authority).
pub mod fs;
pub mod grant;
pub mod identity;
pub mod log;
pub mod net;
pub mod secrets;

// The ABI contract and its per-version bindings; the wasm runtime.
pub mod abi;
pub mod runtime;

// Plugins: manifest, package, store, and the one loaded-plugin type.
pub mod manifest;
pub mod package;
pub mod plugin;
pub mod store;

// Config bundles, host policy, workers and the runtime API.
pub mod bundle;
pub mod metrics;
pub mod policy;
pub mod registry;
pub mod workers;

#[cfg(feature = "mcp")]
pub mod mcp;
#[cfg(any(feature = "rest-server", feature = "rest-client"))]
pub mod rest;

#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;

pub use error::ErrorCode;
pub use fs::{FsContext, error::FsError, error::FsErrorCode, locks::LockRegistry};
pub use grant::{Grant, GrantError, GrantSet, GrantSpec, Operation};
pub use identity::{ComponentIdentity, PluginIdentity, PluginPin};
pub use limits::CallLimits;
pub use names::{Digest, MountName, PluginId, PluginName, Source, ToolName, Version};
pub use plugin::Plugin;
pub use runtime::{CallError, CallOutcome, LoadError, PluginHost, PluginHostBuilder};
pub use store::{PluginStore, StoreError};
