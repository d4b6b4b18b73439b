//! Workers and the runtime API.
//!
//! A worker is created from an intent, a profile selector (runtime default
//! | builtin | named-from-a-synced-bundle), an optional bundle ref and the
//! capabilities it asks for. The runtime resolves the profile, checks the
//! bundle's declarations and the capabilities against its host policy,
//! loads each enabled plugin pinned by id + version + digest from its
//! plugin store, and gives each plugin its effective grants (profile
//! request ∩ host policy). The worker owns that resolved set; tools are
//! invoked on the worker.
//!
//! [`api`] is the shared API ([`Runtime`]); `embedded` the in-process
//! implementation; `resolve` the profile → plugins/grants resolution;
//! [`crate::rest`] serves and consumes the same API over HTTP.

pub mod api;
mod embedded;
mod resolve;

pub use api::{
    CreateWorkerRequest, EffectiveGrant, ErrorBody, InvokeOutcome, InvokeRequest, ProfileSelector,
    Runtime, RuntimeError, RuntimeErrorCode, WorkerInfo, WorkerMode, WorkerPlugin,
};
pub use embedded::{EmbeddedRuntime, RuntimeConfig};
