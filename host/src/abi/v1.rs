//! The binding adapter for `yoi-plugin-wasm-1` (WIT frozen in `wit/v1/`):
//! WIT types to host types and back, nothing else. No policy lives here.
//!
//! Like wasmtime-wasi, the host traits are implemented on small view types
//! reached through `HasData` — `fs::Host` on [`FsContext`], `log::Host` on
//! [`LogSink`] — not on the per-call store data, so this module depends on
//! the `fs` and `log` semantics and nothing of the runtime.

use wasmtime::Store;
use wasmtime::component::{HasData, Linker};

use super::{HostViews, ToolError};
use crate::fs::error::{FsError as HostFsError, FsErrorCode};
use crate::fs::{self, EntryKind as HostEntryKind, FsContext};
use crate::log::{LogLevel, LogSink};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/v1",
        world: "yoi:plugin/plugin@1.0.0",
    });
}

use bindings::exports::yoi::plugin::tool::ToolError as WitToolError;
use bindings::yoi::plugin::fs as wit_fs;
use bindings::yoi::plugin::log as wit_log;

pub(crate) use bindings::PluginPre;

/// `HasData` view: the `fs` interface sees only the call's [`FsContext`].
struct FsView;

impl HasData for FsView {
    type Data<'a> = &'a mut FsContext;
}

/// `HasData` view: the `log` interface sees only the call's [`LogSink`].
struct LogView;

impl HasData for LogView {
    type Data<'a> = &'a mut LogSink;
}

/// Adds the v1 host interfaces (`fs`, `log`) to `linker`.
pub(crate) fn add_to_linker<T: HostViews>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wit_fs::add_to_linker::<T, FsView>(linker, T::fs)?;
    wit_log::add_to_linker::<T, LogView>(linker, T::log)?;
    Ok(())
}

/// Instantiates and calls the tool export once.
pub(crate) fn call<T: HostViews>(
    pre: &PluginPre<T>,
    store: &mut Store<T>,
    tool: &str,
    input: &str,
) -> wasmtime::Result<Result<String, ToolError>> {
    let plugin = pre.instantiate(&mut *store)?;
    let result = plugin
        .yoi_plugin_tool()
        .call_call(&mut *store, tool, input)?;
    Ok(result.map_err(|e| match e {
        WitToolError::UnknownTool(m) => ToolError::UnknownTool(m),
        WitToolError::InvalidInput(m) => ToolError::InvalidInput(m),
        WitToolError::Failed(m) => ToolError::Failed(m),
    }))
}

impl wit_fs::Host for FsContext {
    fn read(
        &mut self,
        path: String,
        offset: u64,
        max_len: u32,
    ) -> Result<wit_fs::ReadResult, wit_fs::FsError> {
        FsContext::read(self, &path, offset, max_len)
            .map(|r| wit_fs::ReadResult {
                data: r.data,
                size: r.size,
                truncated: r.truncated,
            })
            .map_err(to_wit_error)
    }

    fn list(
        &mut self,
        path: String,
        cursor: Option<String>,
        max_entries: u32,
    ) -> Result<wit_fs::ListPage, wit_fs::FsError> {
        FsContext::list(self, &path, cursor.as_deref(), max_entries)
            .map(|page| wit_fs::ListPage {
                entries: page
                    .entries
                    .into_iter()
                    .map(|e| wit_fs::DirEntry {
                        name: e.name,
                        kind: to_wit_kind(e.kind),
                        size: e.size,
                    })
                    .collect(),
                next_cursor: page.next_cursor,
            })
            .map_err(to_wit_error)
    }

    fn write(
        &mut self,
        path: String,
        data: Vec<u8>,
        options: wit_fs::WriteOptions,
    ) -> Result<wit_fs::WriteResult, wit_fs::FsError> {
        let options = fs::WriteOptions {
            mode: match options.mode {
                wit_fs::WriteMode::CreateOrReplace => fs::WriteMode::CreateOrReplace,
                wit_fs::WriteMode::CreateNew => fs::WriteMode::CreateNew,
                wit_fs::WriteMode::ReplaceExisting => fs::WriteMode::ReplaceExisting,
            },
            expected_digest: options.expected_digest,
        };
        FsContext::write(self, &path, &data, &options)
            .map(|w| wit_fs::WriteResult {
                size: w.size,
                digest: w.digest,
            })
            .map_err(to_wit_error)
    }

    fn stat(&mut self, path: String) -> Result<wit_fs::Metadata, wit_fs::FsError> {
        FsContext::stat(self, &path)
            .map(|m| wit_fs::Metadata {
                kind: to_wit_kind(m.kind),
                size: m.size,
            })
            .map_err(to_wit_error)
    }
}

impl wit_log::Host for LogSink {
    fn log(&mut self, level: wit_log::Level, message: String) {
        let level = match level {
            wit_log::Level::Trace => LogLevel::Trace,
            wit_log::Level::Debug => LogLevel::Debug,
            wit_log::Level::Info => LogLevel::Info,
            wit_log::Level::Warn => LogLevel::Warn,
            wit_log::Level::Error => LogLevel::Error,
        };
        self.push(level, &message);
    }
}

fn to_wit_kind(kind: HostEntryKind) -> wit_fs::EntryKind {
    match kind {
        HostEntryKind::File => wit_fs::EntryKind::File,
        HostEntryKind::Directory => wit_fs::EntryKind::Directory,
        HostEntryKind::Symlink => wit_fs::EntryKind::Symlink,
        HostEntryKind::Other => wit_fs::EntryKind::Other,
    }
}

fn to_wit_error(err: HostFsError) -> wit_fs::FsError {
    let code = match err.code {
        FsErrorCode::Denied => wit_fs::ErrorCode::Denied,
        FsErrorCode::NotFound => wit_fs::ErrorCode::NotFound,
        FsErrorCode::InvalidPath => wit_fs::ErrorCode::InvalidPath,
        FsErrorCode::TooLarge => wit_fs::ErrorCode::TooLarge,
        FsErrorCode::NotAFile => wit_fs::ErrorCode::NotAFile,
        FsErrorCode::NotADirectory => wit_fs::ErrorCode::NotADirectory,
        FsErrorCode::AlreadyExists => wit_fs::ErrorCode::AlreadyExists,
        FsErrorCode::Conflict => wit_fs::ErrorCode::Conflict,
        FsErrorCode::Symlink => wit_fs::ErrorCode::Symlink,
        FsErrorCode::LimitExceeded => wit_fs::ErrorCode::LimitExceeded,
        FsErrorCode::Io => wit_fs::ErrorCode::Io,
    };
    wit_fs::FsError {
        code,
        message: err.message,
    }
}
