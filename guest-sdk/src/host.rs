//! The raw host imports on wasm32, and stand-ins elsewhere.
//!
//! Off wasm32 the generated import stubs abort the process, which would make
//! natively compiled unit tests of plugin code crash. The stand-ins instead
//! fail every fs call with `io` and print log lines to stderr.

#[cfg(target_arch = "wasm32")]
pub(crate) use crate::bindings::yoi::plugin::fs::{list, read, stat, write};
#[cfg(target_arch = "wasm32")]
pub(crate) use crate::bindings::yoi::plugin::log::log;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::{list, log, read, stat, write};

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use crate::bindings::yoi::plugin::fs::{
        ErrorCode, FsError, ListPage, Metadata, ReadResult, WriteOptions, WriteResult,
    };
    use crate::bindings::yoi::plugin::log::Level;

    fn unavailable<T>() -> Result<T, FsError> {
        Err(FsError {
            code: ErrorCode::Io,
            message: "the yoi fs host API exists only inside a yoi host (wasm32)".to_owned(),
        })
    }

    pub(crate) fn read(_path: &str, _offset: u64, _max_len: u32) -> Result<ReadResult, FsError> {
        unavailable()
    }

    pub(crate) fn list(
        _path: &str,
        _cursor: Option<&str>,
        _max_entries: u32,
    ) -> Result<ListPage, FsError> {
        unavailable()
    }

    pub(crate) fn write(
        _path: &str,
        _data: &[u8],
        _options: &WriteOptions,
    ) -> Result<WriteResult, FsError> {
        unavailable()
    }

    pub(crate) fn stat(_path: &str) -> Result<Metadata, FsError> {
        unavailable()
    }

    pub(crate) fn log(level: Level, message: &str) {
        eprintln!("[yoi plugin {}] {message}", level.as_str());
    }
}
