//! The authority-free WASI subset a `wasm32-wasip2` guest may import.
//!
//! Rust's std for `wasm32-wasip2` and stock JS/Python toolchains import
//! parts of WASI even when a plugin never uses them. This module links
//! exactly the parts that carry no authority — `wasi:cli`
//! stdio/environment/exit/terminal, `wasi:io`, `wasi:clocks`,
//! `wasi:random` — plus two **inert** ones: `wasi:filesystem` with no
//! preopened directory (a guest can never obtain a descriptor, so every
//! file operation fails) and `wasi:sockets` with TCP, UDP and name lookup
//! refused. With the `http` feature, `wasi:http/types` and
//! `outgoing-handler` are linked too, gated by network grants
//! (`net::send`). Nothing else is in the linker, so even a
//! component that slipped past static inspection could not instantiate with
//! it. The context has an empty environment, no arguments, no preopened
//! directories, no network, empty stdin, and stdout/stderr captured into
//! bounded in-memory pipes.
//!
//! The static check of the same rule is `abi/inspect.rs`
//! ([`crate::abi::inspect::ALLOWED_WASI_INTERFACES`]).
//!
//! The one blocking host call in this subset is a wait on a clock
//! (`monotonic-clock.subscribe-*` + `poll`). It is linked through
//! [`DeadlineClockView`]: wasmtime-wasi's clock, except that every wait
//! ends at the call's deadline or on its cancellation, whichever comes
//! first ([`crate::deadline`]), so a sleeping guest cannot outlive its call.

use std::time::{Duration, Instant};

use wasmtime::component::{HasData, Linker, Resource, ResourceTable};
use wasmtime_wasi::cli::{WasiCli, WasiCliView as _};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksCtxView, WasiClocksView as _};
use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView as _};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::bindings::{cli, clocks, filesystem, random, sockets, sync};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::p2::{DynPollable, Pollable, subscribe};
use wasmtime_wasi::random::WasiRandom;
use wasmtime_wasi::sockets::{WasiSockets, WasiSocketsView as _};
use wasmtime_wasi::{WasiCtx, WasiView};

use super::state::CallState;
use crate::deadline::CallControl;

struct HasIo;

impl HasData for HasIo {
    type Data<'a> = &'a mut ResourceTable;
}

/// `HasData` view for `wasi:clocks/monotonic-clock`.
struct DeadlineClock;

impl HasData for DeadlineClock {
    type Data<'a> = DeadlineClockView<'a>;
}

/// wasmtime-wasi's monotonic clock, with every wait bounded by the call's
/// [`CallControl`].
pub(crate) struct DeadlineClockView<'a> {
    clocks: WasiClocksCtxView<'a>,
    control: &'a CallControl,
}

fn deadline_clock(state: &mut CallState) -> DeadlineClockView<'_> {
    DeadlineClockView {
        clocks: WasiClocksCtxView {
            ctx: state.wasi.clocks(),
            table: &mut state.table,
        },
        control: &state.control,
    }
}

impl DeadlineClockView<'_> {
    fn wait(&mut self, duration: Duration) -> wasmtime::Result<Resource<DynPollable>> {
        let now = Instant::now();
        let until = now
            .checked_add(duration)
            .unwrap_or(now + Duration::from_secs(86_400));
        let wait = self.clocks.table.push(ClockWait {
            until,
            control: self.control.clone(),
        })?;
        subscribe(self.clocks.table, wait)
    }
}

impl monotonic_clock::Host for DeadlineClockView<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Instant> {
        monotonic_clock::Host::now(&mut self.clocks)
    }

    fn resolution(&mut self) -> wasmtime::Result<monotonic_clock::Duration> {
        monotonic_clock::Host::resolution(&mut self.clocks)
    }

    fn subscribe_instant(
        &mut self,
        when: monotonic_clock::Instant,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        let now = monotonic_clock::Host::now(&mut self.clocks)?;
        self.wait(Duration::from_nanos(when.saturating_sub(now)))
    }

    fn subscribe_duration(
        &mut self,
        duration: monotonic_clock::Duration,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        self.wait(Duration::from_nanos(duration))
    }
}

/// A clock wait that ends at `until`, the call's deadline, or on
/// cancellation.
struct ClockWait {
    until: Instant,
    control: CallControl,
}

#[async_trait::async_trait]
impl Pollable for ClockWait {
    async fn ready(&mut self) {
        self.control.sleep_until(self.until).await;
    }
}

/// Adds the authority-free WASI subset (and only it) to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    type T = CallState;
    let l = linker;
    clocks::wall_clock::add_to_linker::<T, WasiClocks>(l, T::clocks)?;
    monotonic_clock::add_to_linker::<T, DeadlineClock>(l, deadline_clock)?;
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
    // Inert: no preopens in the context, so no descriptor ever exists.
    filesystem::preopens::add_to_linker::<T, WasiFilesystem>(l, T::filesystem)?;
    sync::filesystem::types::add_to_linker::<T, WasiFilesystem>(l, T::filesystem)?;
    // Inert: the context refuses TCP, UDP and name lookup.
    let network = sockets::network::LinkOptions::default();
    sockets::network::add_to_linker::<T, WasiSockets>(l, &network, T::sockets)?;
    sockets::instance_network::add_to_linker::<T, WasiSockets>(l, T::sockets)?;
    sockets::tcp_create_socket::add_to_linker::<T, WasiSockets>(l, T::sockets)?;
    sockets::ip_name_lookup::add_to_linker::<T, WasiSockets>(l, T::sockets)?;
    sync::sockets::tcp::add_to_linker::<T, WasiSockets>(l, T::sockets)?;
    sync::sockets::udp::add_to_linker::<T, WasiSockets>(l, T::sockets)?;
    sync::sockets::udp_create_socket::add_to_linker::<T, WasiSockets>(l, T::sockets)?;
    // Grant-gated: every request goes through `net::send` (grant check,
    // pinned address, bounds, deadline); no grant, no request.
    #[cfg(feature = "http")]
    wasmtime_wasi_http::p2::add_only_http_to_linker_sync(l)?;
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
