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
    /// `wasi:http`: this call's network grants, deadline and bounds.
    #[cfg(feature = "http")]
    pub http: HttpState,
}

/// The `wasi:http` part of a call's store data.
#[cfg(feature = "http")]
pub(crate) struct HttpState {
    pub ctx: wasmtime_wasi_http::WasiHttpCtx,
    pub hooks: crate::net::send::HttpHooks,
}

#[cfg(feature = "http")]
impl wasmtime_wasi_http::WasiHttpView for CallState {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        wasmtime_wasi_http::WasiHttpCtxView {
            ctx: &mut self.http.ctx,
            table: &mut self.table,
            hooks: &mut self.http.hooks,
        }
    }
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
