//! The `[limits]` table and the `[runtime]` call-pool settings: each
//! value within its allowed range, or `invalid-limit` naming the field.

use super::{HostPolicy, PolicyError};
use crate::limits::{CallLimits, HttpBounds};

/// Most calls a policy may let run at once.
pub const MAX_CONCURRENT_CALLS: usize = 4096;
/// Most calls a policy may let wait.
pub const MAX_QUEUED_CALLS: usize = 65_536;

pub(super) fn validate(policy: &HostPolicy) -> Result<(), PolicyError> {
    let bad = |field: &'static str, reason: &'static str| {
        Err(PolicyError::InvalidLimit { field, reason })
    };
    let concurrent = policy.runtime.max_concurrent_calls();
    if concurrent == 0 || concurrent > MAX_CONCURRENT_CALLS {
        return bad("runtime.max_concurrent_calls", "must be 1..=4096");
    }
    if policy.runtime.max_queued_calls() > MAX_QUEUED_CALLS {
        return bad("runtime.max_queued_calls", "must be at most 65536");
    }
    let Some(limits) = &policy.limits else {
        return Ok(());
    };
    let ceiling = CallLimits::ceiling();
    if limits.timeout.is_zero() || limits.timeout > crate::limits::MAX_CALL_TIMEOUT {
        return bad("limits.timeout", "must be 1..=600000 milliseconds");
    }
    if limits.memory_bytes < 64 * 1024 || limits.memory_bytes > 4 * 1024 * 1024 * 1024 {
        return bad("limits.memory_bytes", "must be 64 KiB..=4 GiB");
    }
    let counts = [
        ("limits.instances", limits.instances, ceiling.instances),
        ("limits.memories", limits.memories, ceiling.memories),
        ("limits.tables", limits.tables, ceiling.tables),
    ];
    for (field, value, max) in counts {
        if value == 0 || value > max * 4 {
            return bad(field, "must be 1..=4 x the built-in ceiling");
        }
    }
    let (read, write, calls) = limits.fs_budget.totals();
    let (max_read, max_write, max_calls) = ceiling.fs_budget.totals();
    let budget = [
        ("limits.fs_budget.read_bytes", read, max_read),
        ("limits.fs_budget.write_bytes", write, max_write),
        ("limits.fs_budget.calls", calls, max_calls),
    ];
    for (field, value, max) in budget {
        if value > max.saturating_mul(4) {
            return bad(
                field,
                "must be at most 4 x the built-in per-invocation total",
            );
        }
    }
    validate_http(&limits.http)
}

/// The `http` bounds of `[limits]`: each at least 1 and at most 4 x the
/// built-in ceiling; the connect timeout 1..=600000 milliseconds.
fn validate_http(http: &HttpBounds) -> Result<(), PolicyError> {
    let ceiling = HttpBounds::ceiling();
    let bounds = [
        (
            "limits.http.max_in_flight",
            http.max_in_flight,
            ceiling.max_in_flight,
        ),
        (
            "limits.http.max_request_body_bytes",
            http.max_request_body_bytes,
            ceiling.max_request_body_bytes,
        ),
        (
            "limits.http.max_response_body_bytes",
            http.max_response_body_bytes,
            ceiling.max_response_body_bytes,
        ),
        (
            "limits.http.max_headers",
            http.max_headers,
            ceiling.max_headers,
        ),
    ];
    for (field, value, max) in bounds {
        if value == 0 || value > max.saturating_mul(4) {
            return Err(PolicyError::InvalidLimit {
                field,
                reason: "must be 1..=4 x the built-in ceiling",
            });
        }
    }
    if http.connect_timeout.is_zero() || http.connect_timeout > crate::limits::MAX_CALL_TIMEOUT {
        return Err(PolicyError::InvalidLimit {
            field: "limits.http.connect_timeout",
            reason: "must be 1..=600000 milliseconds",
        });
    }
    Ok(())
}
