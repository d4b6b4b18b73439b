//! Bounded diagnostics for the host operator.
//!
//! Log messages go to the host's operator log (tagged with the plugin's
//! identity); they are never part of a tool result and the tool's caller
//! does not see them. The host truncates long messages and drops messages
//! past its per-call bound, so logging cannot be used to exhaust the host.
//!
//! The macros [`trace!`](crate::trace), [`debug!`](crate::debug),
//! [`info!`](crate::info), [`warn!`](crate::warn) and
//! [`error!`](crate::error) take `format!` arguments. They are exported at
//! the crate root and re-exported here, so both `yoi_plugin_sdk::info!(..)`
//! and `yoi_plugin_sdk::log::info!(..)` work:
//!
//! ```
//! use yoi_plugin_sdk::{info, warn};
//!
//! let files = 3;
//! info!("scanned {files} files");
//! warn!("skipped {}", "notes/secret.md");
//! ```
//!
//! Never log file content or secrets: the operator log is not a data
//! channel. Outside a yoi host (native builds, for tests) messages go to
//! stderr.

pub use crate::bindings::yoi::plugin::log::Level;
pub use crate::{debug, error, info, trace, warn};

impl Level {
    /// The level's WIT name: `trace`, `debug`, `info`, `warn` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// Send one message at `level` to the host's operator log.
///
/// The macros are usually more convenient; this is for a level chosen at
/// run time.
pub fn log(level: Level, message: &str) {
    crate::host::log(level, message);
}

/// Log a `format!`-style message at [`Level::Trace`].
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => {
        $crate::log::log($crate::log::Level::Trace, &::std::format!($($arg)+))
    };
}

/// Log a `format!`-style message at [`Level::Debug`].
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => {
        $crate::log::log($crate::log::Level::Debug, &::std::format!($($arg)+))
    };
}

/// Log a `format!`-style message at [`Level::Info`].
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => {
        $crate::log::log($crate::log::Level::Info, &::std::format!($($arg)+))
    };
}

/// Log a `format!`-style message at [`Level::Warn`].
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => {
        $crate::log::log($crate::log::Level::Warn, &::std::format!($($arg)+))
    };
}

/// Log a `format!`-style message at [`Level::Error`].
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => {
        $crate::log::log($crate::log::Level::Error, &::std::format!($($arg)+))
    };
}
