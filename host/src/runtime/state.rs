//! The per-call store data: the views each host API sees, plus the WASI
//! context and the limiter. Everything here lives for one call and is
//! dropped with its store.

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::limiter::Limiter;
use crate::abi::HostViews;
use crate::deadline::CallControl;
use crate::fs::FsContext;
use crate::log::LogSink;

/// Store data of one call: small views, composed. The `fs` binding sees
/// only `fs`, the `log` binding only `log`, WASI only `wasi` + `table`.
pub(crate) struct CallState {
    pub control: CallControl,
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub fs: FsContext,
    pub log: LogSink,
    pub limiter: Limiter,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl HostViews for CallState {
    fn fs(&mut self) -> &mut FsContext {
        &mut self.fs
    }

    fn log(&mut self) -> &mut LogSink {
        &mut self.log
    }
}
