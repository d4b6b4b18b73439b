//! `yoi-plugin-host`: run untrusted `yoi-plugin-wasm-1` WebAssembly tool
//! plugins with no ambient authority.
//!
//! A plugin touches the host filesystem only through the `fs` host API and
//! only inside what its [`GrantSet`] allows.
//!
//! Map of the crate:
//! - [`grant`]: grants, the only source of fs authority (capabilities);
//! - [`fs`]: the `fs` semantics; path safety is enforced in `fs::path`
//!   (parsing) and `fs/resolve.rs` (beneath-root, no-follow opens);
//! - [`abi`]: the thin WIT binding adapters, one module per ABI version;
//! - [`runtime`]: the engine, compile cache, static inspection, limits and
//!   calls;
//! - [`diag`]: redaction and bounds for every diagnostic.

pub mod abi;
pub mod atomic;
pub mod bundle;
pub mod diag;
pub mod fs;
pub mod grant;
pub mod identity;
pub mod manifest;
pub mod metrics;
pub mod package;
pub mod policy;
pub mod registry;
pub mod rest;
pub mod runtime;
pub mod store;
pub mod workers;

pub use fs::{FsContext, error::FsError, error::FsErrorCode, locks::LockRegistry};
pub use grant::{Grant, GrantError, GrantSet, GrantSpec, Operation};
pub use identity::PluginIdentity;
