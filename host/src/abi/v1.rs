//! The binding adapter for `yoi-plugin-wasm-1`: WIT types to host types and
//! back, nothing else. No policy lives here.

use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker};

use crate::fs::error::{FsError as HostFsError, FsErrorCode};
use crate::fs::{self, EntryKind as HostEntryKind};
use crate::runtime::error::CallError;
use crate::runtime::state::{LogLevel, PluginState};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "yoi:plugin/plugin@1.0.0",
    });
}

use bindings::exports::yoi::plugin::tool::ToolError;
use bindings::yoi::plugin::fs as wit_fs;
use bindings::yoi::plugin::log as wit_log;

pub(crate) use bindings::PluginPre;

/// Adds the v1 host interfaces (`fs`, `log`) to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    bindings::Plugin::add_to_linker::<PluginState, HasSelf<PluginState>>(linker, |s| s)
}

/// Instantiates and calls the tool export once. The outer error is a trap
/// or host failure; the inner one the plugin's own tool error.
pub(crate) fn call(
    pre: &PluginPre<PluginState>,
    store: &mut Store<PluginState>,
    tool: &str,
    input: &str,
) -> wasmtime::Result<Result<String, CallError>> {
    let plugin = pre.instantiate(&mut *store)?;
    let result = plugin
        .yoi_plugin_tool()
        .call_call(&mut *store, tool, input)?;
    Ok(result.map_err(|e| match e {
        ToolError::UnknownTool(m) => CallError::UnknownTool(m),
        ToolError::InvalidInput(m) => CallError::InvalidInput(m),
        ToolError::Failed(m) => CallError::ToolFailed(m),
    }))
}

impl wit_fs::Host for PluginState {
    fn read(
        &mut self,
        path: String,
        offset: u64,
        max_len: u32,
    ) -> Result<wit_fs::ReadResult, wit_fs::FsError> {
        self.fs
            .read(&path, offset, max_len)
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
        self.fs
            .list(&path, cursor.as_deref(), max_entries)
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
        self.fs
            .write(&path, &data, &options)
            .map(|w| wit_fs::WriteResult {
                size: w.size,
                digest: w.digest,
            })
            .map_err(to_wit_error)
    }

    fn stat(&mut self, path: String) -> Result<wit_fs::Metadata, wit_fs::FsError> {
        self.fs
            .stat(&path)
            .map(|m| wit_fs::Metadata {
                kind: to_wit_kind(m.kind),
                size: m.size,
            })
            .map_err(to_wit_error)
    }
}

impl wit_log::Host for PluginState {
    fn log(&mut self, level: wit_log::Level, message: String) {
        let level = match level {
            wit_log::Level::Trace => LogLevel::Trace,
            wit_log::Level::Debug => LogLevel::Debug,
            wit_log::Level::Info => LogLevel::Info,
            wit_log::Level::Warn => LogLevel::Warn,
            wit_log::Level::Error => LogLevel::Error,
        };
        self.log.push(&self.plugin, level, &message);
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
