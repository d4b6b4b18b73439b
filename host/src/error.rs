//! The one trait every error enum of the crate implements: a stable,
//! machine-readable code.
//!
//! Codes cross every boundary (the ABI, the CLI's `--json`, REST bodies,
//! MCP results) and never change meaning once released. Callers map errors
//! by variant, never by matching code strings.

/// An error with a stable kebab-case code, e.g. `not-installed`.
pub trait ErrorCode: std::error::Error {
    /// The stable code of this error.
    fn code(&self) -> &'static str;
}
