//! Errors of loading a plugin and of calling a tool, with stable codes.

use std::time::Duration;

use crate::abi::ContractError;
use crate::error::ErrorCode;

/// Why a component could not be loaded. Nothing of the component has run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The component does not fit the ABI contract (static inspection).
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// Wasmtime could not compile the component.
    #[error("compilation failed: {0}")]
    Compile(String),
    /// The component's imports could not be linked.
    #[error("linking failed: {0}")]
    Link(String),
    /// A tool schema in the manifest could not be compiled.
    #[error("a tool schema cannot be compiled: {0}")]
    Schema(String),
    /// The component declares more instances, memories or tables, or a
    /// bigger initial memory or table, than the host's per-call ceiling
    /// allows: no call of it could ever run.
    #[error("the component needs more than the host allows a call: {0}")]
    ResourceLimit(String),
}

impl ErrorCode for LoadError {
    fn code(&self) -> &'static str {
        match self {
            LoadError::Contract(e) => e.code(),
            LoadError::Compile(_) => "compile",
            LoadError::Link(_) => "link",
            LoadError::Schema(_) => "schema",
            LoadError::ResourceLimit(_) => "resource-limit",
        }
    }
}

/// Why a tool call failed. The host and later calls are unaffected by any
/// of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The plugin has no tool of this name.
    #[error("unknown tool: {0}")]
    UnknownTool(String),
    /// The input was rejected (by the host: not JSON; or by the plugin).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The tool ran and reported a failure.
    #[error("tool failed: {0}")]
    ToolFailed(String),
    /// The input is above the input bound.
    #[error("input of {len} bytes is above the {max}-byte bound")]
    InputTooLarge {
        /// Input size.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The output is above the output bound.
    #[error("output of {len} bytes is above the {max}-byte bound")]
    OutputTooLarge {
        /// Output size.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// The output is not JSON.
    #[error("the tool's output is not valid JSON")]
    OutputNotJson,
    /// The output does not match the tool's declared output schema.
    #[error("output does not match the tool's output schema: {0}")]
    OutputInvalid(String),
    /// The call ran past its wall-clock timeout (wasm or host calls).
    #[error("the call timed out after {0:?}")]
    Timeout(Duration),
    /// The call was cancelled (its caller went away).
    #[error("the call was cancelled")]
    Cancelled,
    /// The guest exhausted its call stack (e.g. unbounded recursion).
    #[error("the plugin exhausted its call stack")]
    StackOverflow,
    /// The guest tried to grow memory past its limit.
    #[error("the call hit its memory limit of {0} bytes")]
    MemoryLimit(usize),
    /// The component needs more core instances than the call allows
    /// (`CallLimits::instances`, the limit here).
    #[error("the call needs more than its limit of {0} instances")]
    InstanceLimit(usize),
    /// The component needs more memories or tables than the call allows
    /// (`CallLimits::{memories, tables}`).
    #[error("the call needs more {0} than its limit allows")]
    CountLimit(&'static str),
    /// The guest tried to grow a table past its limit.
    #[error("the call hit its table limit")]
    TableLimit,
    /// The call used up its fuel.
    #[error("the call ran out of fuel")]
    FuelExhausted,
    /// The guest trapped (panic, unreachable, …).
    #[error("the plugin trapped: {0}")]
    Trap(String),
    /// The grants belong to another plugin identity.
    #[error("the grants were issued for another plugin")]
    GrantMismatch,
    /// Every call slot is taken and the queue is full, or the call's
    /// deadline passed while it waited (`runtime/pool.rs`). No plugin code
    /// ran; the caller may retry later.
    #[error("the host is busy: every call slot is taken; retry later")]
    Busy,
    /// Host-side failure (instantiation, a worker thread).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ErrorCode for CallError {
    fn code(&self) -> &'static str {
        match self {
            CallError::UnknownTool(_) => "unknown-tool",
            CallError::InvalidInput(_) => "invalid-input",
            CallError::ToolFailed(_) => "tool-failed",
            CallError::InputTooLarge { .. } => "input-too-large",
            CallError::OutputTooLarge { .. } => "output-too-large",
            CallError::OutputNotJson => "output-not-json",
            CallError::OutputInvalid(_) => "output-invalid",
            CallError::Timeout(_) => "timeout",
            CallError::Cancelled => "cancelled",
            CallError::StackOverflow => "stack-overflow",
            CallError::MemoryLimit(_) => "memory-limit",
            CallError::TableLimit => "table-limit",
            CallError::InstanceLimit(_) => "instance-limit",
            CallError::CountLimit(_) => "count-limit",
            CallError::FuelExhausted => "fuel-exhausted",
            CallError::Trap(_) => "trap",
            CallError::GrantMismatch => "grant-mismatch",
            CallError::Busy => "busy",
            CallError::Internal(_) => "internal",
        }
    }
}

/// Why a [`crate::runtime::PluginHost`] could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the wasm engine: {0}")]
pub struct BuildError(pub String);

impl ErrorCode for BuildError {
    fn code(&self) -> &'static str {
        "engine"
    }
}
