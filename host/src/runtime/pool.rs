//! The call pool: how many calls run at once, how many may wait, and the
//! pooled instance allocation sized to match.
//!
//! - [`CallSlots`] admits a call: at most `max_concurrent` run, at most
//!   `max_queued` wait for a slot; past that the caller gets `busy` at
//!   once. A queued call also leaves the queue with `busy` when its
//!   deadline passes, or `cancelled` when it is cancelled — before any of
//!   the plugin runs. Admission is a semaphore (atomics on the fast path),
//!   not a lock held during the call.
//! - [`pooling_config`] sizes wasmtime's pooling allocator so every
//!   admitted call finds its instances, memories and tables in the pool:
//!   `max_concurrent` × the per-call ceiling of each. Slots are reset when
//!   an instance is freed (the pages the call dirtied are zeroed or restored
//!   from the image, found with `PAGEMAP_SCAN` where the kernel has it), so
//!   a fresh instance per call stays a security property: no call sees
//!   another's memory (`tests/tests/pool.rs`).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::{Enabled, PoolingAllocationConfig};

use super::EPOCH_TICK;
use super::error::CallError;
use crate::deadline::{CallControl, Expiry};
use crate::limits::CallLimits;
pub use crate::limits::{DEFAULT_MAX_CONCURRENT_CALLS, DEFAULT_MAX_QUEUED_CALLS};

/// Linear-memory bytes kept resident (zeroed, not unmapped) per freed slot;
/// chosen by `cargo xtask bench` (README: keep-resident).
pub const MEMORY_KEEP_RESIDENT: usize = 2 * 1024 * 1024;
/// Table bytes kept resident per freed slot.
pub const TABLE_KEEP_RESIDENT: usize = 64 * 1024;

/// The allocator configuration for `max_concurrent` calls, each within
/// `ceiling` (the per-call maxima of counts and sizes).
pub(crate) fn pooling_config(
    max_concurrent: usize,
    ceiling: &CallLimits,
) -> PoolingAllocationConfig {
    let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    let calls = max_concurrent.max(1);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(n(calls))
        .total_core_instances(n(calls.saturating_mul(ceiling.instances)))
        .total_memories(n(calls.saturating_mul(ceiling.memories)))
        .total_tables(n(calls.saturating_mul(ceiling.tables)))
        .max_core_instances_per_component(n(ceiling.instances))
        .max_memories_per_component(n(ceiling.memories))
        .max_tables_per_component(n(ceiling.tables))
        .max_memories_per_module(n(ceiling.memories))
        .max_tables_per_module(n(ceiling.tables))
        .max_memory_size(ceiling.memory_bytes)
        .table_elements(ceiling.table_elements)
        .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT)
        .table_keep_resident(TABLE_KEEP_RESIDENT)
        // Reset only the pages a call dirtied (Linux >= 6.7; a full reset
        // elsewhere): a third of the warm call's cost (`cargo xtask bench`).
        .pagemap_scan(Enabled::Auto)
        // Calls run synchronously: no async stacks (the default of 1000
        // costs a guard-page `mprotect` each at host build).
        .total_stacks(0);
    pool
}

/// Admission to the call pool (module docs).
#[derive(Debug)]
pub(crate) struct CallSlots {
    slots: Arc<Semaphore>,
    queued: AtomicUsize,
    max_queued: usize,
}

/// A running call's place in the pool; dropping it frees the place.
#[derive(Debug)]
pub(crate) struct Slot(#[allow(dead_code)] OwnedSemaphorePermit);

/// Counts one waiter in the queue while it lives.
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl CallSlots {
    pub fn new(max_concurrent: usize, max_queued: usize) -> Self {
        CallSlots {
            slots: Arc::new(Semaphore::new(max_concurrent.max(1))),
            queued: AtomicUsize::new(0),
            max_queued,
        }
    }

    fn try_now(&self) -> Option<Slot> {
        self.slots.clone().try_acquire_owned().ok().map(Slot)
    }

    fn enqueue(&self) -> Result<Queued<'_>, CallError> {
        if self.queued.fetch_add(1, Ordering::AcqRel) >= self.max_queued {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(CallError::Busy);
        }
        Ok(Queued(&self.queued))
    }

    /// Waits (asynchronously) for a slot, within the call's control.
    pub async fn acquire(&self, control: &CallControl) -> Result<Slot, CallError> {
        if let Some(slot) = self.try_now() {
            return Ok(slot);
        }
        let _queued = self.enqueue()?;
        tokio::select! {
            permit = self.slots.clone().acquire_owned() => permit.map(Slot).map_err(|_| CallError::Busy),
            () = control.sleep_until(control.deadline()) => Err(gave_up(control)),
        }
    }

    /// Waits (blocking this thread) for a slot, within the call's control.
    pub fn acquire_blocking(&self, control: &CallControl) -> Result<Slot, CallError> {
        if let Some(slot) = self.try_now() {
            return Ok(slot);
        }
        let _queued = self.enqueue()?;
        match block_on_within(self.slots.clone().acquire_owned(), control) {
            Some(permit) => permit.map(Slot).map_err(|_| CallError::Busy),
            None => Err(gave_up(control)),
        }
    }

    /// Calls running now.
    pub fn running(&self, max_concurrent: usize) -> usize {
        max_concurrent.max(1) - self.slots.available_permits()
    }
}

/// Why a queued call left the queue without a slot.
fn gave_up(control: &CallControl) -> CallError {
    match control.expired() {
        Some(Expiry::Cancelled) => CallError::Cancelled,
        _ => CallError::Busy,
    }
}

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread until it is ready or `control` expires
/// (checked every epoch tick). `tokio::sync` futures need no runtime.
fn block_on_within<F: Future>(future: F, control: &CallControl) -> Option<F::Output> {
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Some(out);
        }
        if control.expired().is_some() {
            return None;
        }
        std::thread::park_timeout(EPOCH_TICK);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_full_queue_is_busy_and_a_freed_slot_admits_the_next() {
        let slots = Arc::new(CallSlots::new(1, 1));
        let control = CallControl::new(Duration::from_secs(5));
        let held = slots.acquire_blocking(&control).unwrap();
        assert_eq!(slots.running(1), 1);
        // One waiter fits the queue; it gets the slot once it frees.
        let waiter = {
            let slots = slots.clone();
            let control = control.clone();
            std::thread::spawn(move || slots.acquire_blocking(&control).map(|_| ()))
        };
        while slots.queued.load(Ordering::Acquire) == 0 {
            std::thread::yield_now();
        }
        // The queue is full: the next caller is busy at once.
        assert_eq!(
            slots.acquire_blocking(&control).unwrap_err(),
            CallError::Busy
        );
        drop(held);
        waiter.join().unwrap().unwrap();
        assert_eq!(slots.queued.load(Ordering::Acquire), 0);
    }

    #[test]
    fn a_queued_call_leaves_at_its_deadline_or_on_cancel() {
        let slots = CallSlots::new(1, 8);
        let _held = slots
            .acquire_blocking(&CallControl::new(Duration::from_secs(5)))
            .unwrap();
        let short = CallControl::new(Duration::from_millis(30));
        assert_eq!(slots.acquire_blocking(&short).unwrap_err(), CallError::Busy);
        let cancelled = CallControl::new(Duration::from_secs(5));
        cancelled.cancel();
        assert_eq!(
            slots.acquire_blocking(&cancelled).unwrap_err(),
            CallError::Cancelled
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let short = CallControl::new(Duration::from_millis(30));
        assert_eq!(
            rt.block_on(slots.acquire(&short)).unwrap_err(),
            CallError::Busy
        );
        assert_eq!(slots.queued.load(Ordering::Acquire), 0);
    }
}
