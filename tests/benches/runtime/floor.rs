//! The floor harness: what a bare wasmtime embedder gets for the same call.
//!
//! The same wasmtime version as the host, the pooling allocator with the
//! same keep-resident sizes, one `InstancePre` and a fresh store + instance
//! per call — and nothing else of ours: the `fs` host API just opens the
//! file under a directory and reads it (no grant, no path rules, no
//! budgets), `log` does nothing, WASI is wasmtime-wasi's p2 sync linker
//! with a default context, no epoch deadline, no limiter, no call pool,
//! and the output string is returned as is (not parsed).

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use wasmtime::component::{Component, HasData, Linker, ResourceTable};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use yoi_plugin_host::runtime::pool::{MEMORY_KEEP_RESIDENT, TABLE_KEEP_RESIDENT};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/v1",
        world: "yoi:plugin/plugin@1.0.0",
    });
}

use bindings::PluginPre;
use bindings::yoi::plugin::{fs, log};

/// The host read bound (one page), as in the host.
const MAX_READ: u32 = 1024 * 1024;

/// The minimal `fs` and `log`: files under `root`, path = `<mount>/<rest>`.
struct FloorFs {
    root: Arc<PathBuf>,
}

struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    fs: FloorFs,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

struct FsView;

impl HasData for FsView {
    type Data<'a> = &'a mut FloorFs;
}

fn io_error(message: impl ToString) -> fs::FsError {
    fs::FsError {
        code: fs::ErrorCode::Io,
        message: message.to_string(),
    }
}

impl fs::Host for FloorFs {
    fn read(
        &mut self,
        path: String,
        offset: u64,
        max_len: u32,
    ) -> Result<fs::ReadResult, fs::FsError> {
        let rest = path.split_once('/').map_or("", |(_, rest)| rest);
        let mut file = std::fs::File::open(self.root.join(rest)).map_err(io_error)?;
        let size = file.metadata().map_err(io_error)?.len();
        file.seek(SeekFrom::Start(offset)).map_err(io_error)?;
        let want = u64::from(max_len.min(MAX_READ)).min(size.saturating_sub(offset));
        let mut data = Vec::with_capacity(want as usize);
        file.take(want).read_to_end(&mut data).map_err(io_error)?;
        let truncated = offset + (data.len() as u64) < size;
        Ok(fs::ReadResult {
            data,
            size,
            truncated,
        })
    }

    fn list(&mut self, _: String, _: Option<String>, _: u32) -> Result<fs::ListPage, fs::FsError> {
        Err(io_error("not in the floor harness"))
    }

    fn write(
        &mut self,
        _: String,
        _: Vec<u8>,
        _: fs::WriteOptions,
    ) -> Result<fs::WriteResult, fs::FsError> {
        Err(io_error("not in the floor harness"))
    }

    fn stat(&mut self, _: String) -> Result<fs::Metadata, fs::FsError> {
        Err(io_error("not in the floor harness"))
    }
}

impl log::Host for FloorFs {
    fn log(&mut self, _: log::Level, _: String) {}
}

/// A compiled, pre-linked component on a bare pooled engine. Cheap to
/// clone; calls may run concurrently.
#[derive(Clone)]
pub struct Floor {
    engine: Engine,
    pre: PluginPre<State>,
    root: Arc<PathBuf>,
}

impl Floor {
    /// Compiles `component` on a pooled engine sized for `max_concurrent`
    /// calls; `fs` reads resolve under `root`. With `pagemap_scan`, a freed
    /// slot's kept-resident memory is reset page by page where the guest
    /// dirtied it (Linux `PAGEMAP_SCAN`, 6.7+, used when available) instead
    /// of `memset` over all of it (wasmtime's default).
    pub fn new(component: &[u8], root: PathBuf, max_concurrent: u32, pagemap_scan: bool) -> Floor {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(max_concurrent)
            .total_core_instances(max_concurrent * 16)
            .total_memories(max_concurrent * 4)
            .total_tables(max_concurrent * 16)
            .max_memory_size(64 << 20)
            .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
            .table_keep_resident(TABLE_KEEP_RESIDENT)
            .pagemap_scan(if pagemap_scan {
                Enabled::Auto
            } else {
                Enabled::No
            });
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).expect("floor engine");
        let component = Component::new(&engine, component).expect("floor compile");
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("link wasi");
        fs::add_to_linker::<State, FsView>(&mut linker, |s| &mut s.fs).expect("link fs");
        log::add_to_linker::<State, FsView>(&mut linker, |s| &mut s.fs).expect("link log");
        let pre = linker.instantiate_pre(&component).expect("floor pre-link");
        Floor {
            engine,
            pre: PluginPre::new(pre).expect("floor exports"),
            root: Arc::new(root),
        }
    }

    /// One call on a fresh store and instance; the tool's raw output.
    pub fn call(&self, tool: &str, input: &str) -> String {
        let state = State {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            fs: FloorFs {
                root: self.root.clone(),
            },
        };
        let mut store = Store::new(&self.engine, state);
        let plugin = self.pre.instantiate(&mut store).expect("floor instantiate");
        plugin
            .yoi_plugin_tool()
            .call_call(&mut store, tool, input)
            .expect("floor call")
            .unwrap_or_else(|e| panic!("floor tool error: {e:?}"))
    }
}
