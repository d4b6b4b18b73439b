//! The authority-free WASI subset a `wasm32-wasip2` guest may import.
//!
//! Rust's std for `wasm32-wasip2` imports parts of WASI even when a plugin
//! never uses them. This module links exactly the parts that carry no
//! authority — `wasi:cli` stdio/environment/exit/terminal, `wasi:io`,
//! `wasi:clocks`, `wasi:random` — and nothing else: `wasi:filesystem`,
//! `wasi:sockets` and `wasi:http` are not in the linker at all, so even a
//! component that slipped past static inspection could not instantiate with
//! them. The context has an empty environment, no arguments, no preopened
//! directories, no network, empty stdin, and stdout/stderr captured into
//! bounded in-memory pipes.
//!
//! The static check of the same rule is `abi/inspect.rs`
//! ([`crate::abi::inspect::ALLOWED_WASI_INTERFACES`]).

use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView as _};
use wasmtime_wasi::p2::bindings::{cli, clocks, random, sync};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::random::WasiRandom;
use wasmtime_wasi::{WasiCtx, WasiView};

struct HasIo;

impl HasData for HasIo {
    type Data<'a> = &'a mut ResourceTable;
}

/// Adds the authority-free WASI subset (and only it) to `linker`.
pub(crate) fn add_to_linker<T: WasiView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    let l = linker;
    clocks::wall_clock::add_to_linker::<T, WasiClocks>(l, T::clocks)?;
    clocks::monotonic_clock::add_to_linker::<T, WasiClocks>(l, T::clocks)?;
    random::random::add_to_linker::<T, WasiRandom>(l, |t| t.ctx().ctx.random())?;
    random::insecure::add_to_linker::<T, WasiRandom>(l, |t| t.ctx().ctx.random())?;
    random::insecure_seed::add_to_linker::<T, WasiRandom>(l, |t| t.ctx().ctx.random())?;
    cli::exit::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::environment::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::stdin::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::stdout::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::stderr::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_input::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_output::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_stdin::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_stdout::add_to_linker::<T, WasiCli>(l, T::cli)?;
    cli::terminal_stderr::add_to_linker::<T, WasiCli>(l, T::cli)?;
    sync::io::error::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    sync::io::poll::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    sync::io::streams::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    Ok(())
}

/// Captured guest stdout/stderr, each bounded.
#[derive(Clone)]
pub(crate) struct Stdio {
    pub stdout: MemoryOutputPipe,
    pub stderr: MemoryOutputPipe,
}

/// A WASI context with no authority: empty env and args, no preopens, no
/// network, empty stdin, bounded captured stdio.
pub(crate) fn context(max_stdio_bytes: usize) -> (WasiCtx, Stdio) {
    let stdio = Stdio {
        stdout: MemoryOutputPipe::new(max_stdio_bytes),
        stderr: MemoryOutputPipe::new(max_stdio_bytes),
    };
    let ctx = WasiCtx::builder()
        .stdout(stdio.stdout.clone())
        .stderr(stdio.stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build();
    (ctx, stdio)
}
