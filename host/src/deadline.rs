//! The deadline and cancellation of one call: the one clock every limit of
//! time consults.
//!
//! A [`CallControl`] is created per call with the call's timeout. Three
//! places observe it, so a deadline covers host calls and not only wasm:
//!
//! - the runtime's epoch callback traps the guest's wasm code once the
//!   control has expired (`runtime/component.rs`);
//! - every WASI clock wait (`monotonic-clock.subscribe-*` + `poll`) wakes
//!   at the deadline or on cancellation, whichever comes first
//!   (`runtime/wasi.rs`);
//! - every `fs` host call is refused once the control has expired, and long
//!   host-side work inside one (the compare-and-swap hash) checks it as it
//!   goes (`fs/`).
//!
//! Cancellation (a client that went away, an MCP cancel) sets a flag and
//! wakes every waiter; the call then ends as soon as the guest is back in
//! wasm (at most one epoch tick later).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// The deadline and cancellation flag of one call. Cheap to clone; all
/// clones share one state.
#[derive(Debug, Clone)]
pub struct CallControl {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    deadline: Instant,
    cancelled: AtomicBool,
    wake: Notify,
}

/// Why a call's time is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// The deadline passed.
    Deadline,
    /// The call was cancelled.
    Cancelled,
}

impl CallControl {
    /// A control whose deadline is `timeout` from now (saturating far in
    /// the future for absurd values).
    pub fn new(timeout: Duration) -> CallControl {
        let now = Instant::now();
        let deadline = now
            .checked_add(timeout)
            .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600));
        CallControl {
            inner: Arc::new(Inner {
                deadline,
                cancelled: AtomicBool::new(false),
                wake: Notify::new(),
            }),
        }
    }

    /// Cancels the call: every waiter wakes, fs calls are refused, the
    /// guest traps at its next epoch check.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        self.inner.wake.notify_waiters();
    }

    /// Whether [`CallControl::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Why the call's time is over, if it is.
    pub fn expired(&self) -> Option<Expiry> {
        if self.is_cancelled() {
            Some(Expiry::Cancelled)
        } else if Instant::now() >= self.inner.deadline {
            Some(Expiry::Deadline)
        } else {
            None
        }
    }

    /// The call's deadline.
    pub fn deadline(&self) -> Instant {
        self.inner.deadline
    }

    /// Waits until `until`, the deadline, or cancellation, whichever comes
    /// first.
    pub async fn sleep_until(&self, until: Instant) {
        let until = until.min(self.inner.deadline);
        let woken = self.inner.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if self.is_cancelled() || Instant::now() >= until {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep_until(until.into()) => {}
            () = woken => {}
        }
    }

    /// A guard that cancels this call when dropped (unless disarmed): the
    /// async call path holds one, so dropping the caller's future cancels.
    pub fn cancel_on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(Some(self.clone()))
    }
}

/// Cancels its [`CallControl`] when dropped, unless [`CancelOnDrop::disarm`]
/// was called first.
#[derive(Debug)]
pub struct CancelOnDrop(Option<CallControl>);

impl CancelOnDrop {
    /// The call finished: dropping the guard no longer cancels.
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(control) = self.0.take() {
            control.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sleeps_end_at_the_deadline_or_on_cancel() {
        let control = CallControl::new(Duration::from_millis(30));
        let started = Instant::now();
        control
            .sleep_until(Instant::now() + Duration::from_secs(60))
            .await;
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(control.expired(), Some(Expiry::Deadline));

        let control = CallControl::new(Duration::from_secs(60));
        let waiter = {
            let control = control.clone();
            tokio::spawn(async move {
                control
                    .sleep_until(Instant::now() + Duration::from_secs(60))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(control.cancel_on_drop());
        tokio::time::timeout(Duration::from_secs(30), waiter)
            .await
            .expect("a cancelled sleep wakes")
            .unwrap();
        assert_eq!(control.expired(), Some(Expiry::Cancelled));
    }

    #[test]
    fn absurd_timeouts_do_not_overflow() {
        let control = CallControl::new(Duration::MAX);
        assert_eq!(control.expired(), None);
        let guard = control.cancel_on_drop();
        guard.disarm();
        assert!(!control.is_cancelled());
    }
}
