//! The store limiter that enforces [`CallLimits`] on one call and records
//! which limit was hit, so the resulting trap is reported as the right
//! typed error.

use crate::limits::CallLimits;
use crate::runtime::CallError;

/// Which limit stopped a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LimitHit {
    Memory,
    Table,
}

/// Enforces [`CallLimits`] on a store and remembers which limit was hit, so
/// the resulting trap can be reported as the right typed error.
///
/// The byte and element caps are **totals over the call**: every memory
/// and every table of every instance in the store counts, so a component
/// declaring many memories cannot multiply the cap. wasmtime consults the
/// limiter before creating a memory or table (growth from 0) and before
/// every growth; the totals are updated only when growth is allowed.
pub(crate) struct Limiter {
    memory_bytes: usize,
    table_elements: usize,
    instances: usize,
    tables: usize,
    memories: usize,
    memory_total: usize,
    table_total: usize,
    pub hit: Option<LimitHit>,
}

impl Limiter {
    pub fn new(limits: &CallLimits) -> Self {
        Limiter {
            memory_bytes: limits.memory_bytes,
            table_elements: limits.table_elements,
            instances: limits.instances,
            tables: limits.tables,
            memories: limits.memories,
            memory_total: 0,
            table_total: 0,
            hit: None,
        }
    }
}

/// `total - current + desired`, or `None` above `cap` (or on overflow).
fn grown(total: usize, current: usize, desired: usize, cap: usize) -> Option<usize> {
    total
        .checked_sub(current)
        .and_then(|rest| rest.checked_add(desired))
        .filter(|t| *t <= cap)
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        match grown(self.memory_total, current, desired, self.memory_bytes) {
            Some(total) => {
                self.memory_total = total;
                Ok(true)
            }
            None => {
                self.hit = Some(LimitHit::Memory);
                Ok(false)
            }
        }
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        match grown(self.table_total, current, desired, self.table_elements) {
            Some(total) => {
                self.table_total = total;
                Ok(true)
            }
            None => {
                self.hit = Some(LimitHit::Table);
                Ok(false)
            }
        }
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

/// The count limit a wasmtime error reports, as its typed call error.
///
/// wasmtime checks a store's instance, memory and table counts itself (the
/// limiter only answers [`wasmtime::ResourceLimiter::instances`] & co.
/// once) and refuses the N+1th with an error, not a trap, whose text names
/// the count. The texts are the pinned wasmtime's; `tests/tests/limits.rs`
/// checks each kind maps.
pub(crate) fn count_limit(err: &wasmtime::Error, limits: &CallLimits) -> Option<CallError> {
    let text = format!("{err:#}");
    let hit = |needle: &str| text.contains(needle);
    if hit("instance count too high") {
        Some(CallError::InstanceLimit(limits.instances))
    } else if hit("memory count too high") {
        Some(CallError::CountLimit("memories"))
    } else if hit("table count too high") {
        Some(CallError::CountLimit("tables"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use wasmtime::ResourceLimiter;

    use super::*;

    #[test]
    fn memory_and_tables_are_capped_in_total() {
        let limits = CallLimits {
            memory_bytes: 100,
            table_elements: 10,
            ..CallLimits::default()
        };
        let mut l = Limiter::new(&limits);
        // Three memories of 40 bytes: the third crosses the total.
        assert!(l.memory_growing(0, 40, None).unwrap());
        assert!(l.memory_growing(0, 40, None).unwrap());
        assert!(!l.memory_growing(0, 40, None).unwrap());
        assert_eq!(l.hit, Some(LimitHit::Memory));
        // Growing one of them within the total is fine.
        assert!(l.memory_growing(40, 60, None).unwrap());
        assert!(!l.memory_growing(60, 61, None).unwrap());
        let mut l = Limiter::new(&limits);
        assert!(l.table_growing(0, 6, None).unwrap());
        assert!(!l.table_growing(0, 6, None).unwrap());
        assert_eq!(l.hit, Some(LimitHit::Table));
        assert!(!l.memory_growing(0, usize::MAX, None).unwrap());
    }
}
