//! The call pool and the pooled instance allocator: a fresh instance per
//! call even when slots are reused, the host ceiling caps every call,
//! components beyond the ceiling are refused at load with a typed error,
//! and a saturated host answers `busy` instead of queueing without bound.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::{CallError, CallLimits, ErrorCode, Plugin, PluginHost, PluginName};

use crate::support::handmade;
use handmade::{component_from_core, core_with};

fn cache() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/yoi-test-cache")
}

fn small_host(concurrent: usize, queued: usize) -> PluginHost {
    PluginHost::builder()
        .cache_dir(cache())
        .max_concurrent_calls(concurrent)
        .max_queued_calls(queued)
        .build()
        .expect("build host")
}

fn load_into(host: &PluginHost, name: &str) -> Plugin {
    Plugin::from_component(host, PluginName::parse(name).unwrap(), &component(name))
        .unwrap_or_else(|e| panic!("load {name}: {e}"))
}

fn sleep_input(ms: u64) -> String {
    json!({ "ms": ms }).to_string()
}

/// A guest that checks whether memory, a global or a table slot still
/// holds what an earlier call left there (it traps with "integer divide
/// by zero" if so), then leaves its marks and traps with `unreachable`.
fn snooper() -> Vec<u8> {
    component_from_core(
        r#"(module
            (memory (export "memory") 1)
            (global $g (mut i32) (i32.const 0))
            (table $t 1 funcref)
            (func $mark)
            (elem declare func $mark)
            (func (export "yoi:plugin/tool@1.0.0#call")
                (param i32 i32 i32 i32) (result i32)
                (if (i32.or
                        (i32.or (i32.load (i32.const 4096)) (global.get $g))
                        (i32.eqz (ref.is_null (table.get $t (i32.const 0)))))
                    (then (drop (i32.div_u (i32.const 1) (i32.const 0)))))
                (i32.store (i32.const 4096) (i32.const 0x5ec2e7))
                (global.set $g (i32.const 1))
                (table.set $t (i32.const 0) (ref.func $mark))
                unreachable)
            (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
                i32.const 1024))"#,
    )
}

#[test]
fn reused_pool_slots_never_show_an_earlier_calls_state() {
    // One slot: every call reuses the same memory, table and instance slot.
    let host = small_host(1, 4);
    let plugin = Plugin::from_component(&host, PluginName::parse("snooper").unwrap(), &snooper())
        .expect("loads");
    for _ in 0..5 {
        let g = grants(&plugin, &[]);
        let err = plugin
            .call_blocking(g, "x", "{}", &CallLimits::default())
            .result
            .unwrap_err();
        let CallError::Trap(text) = &err else {
            panic!("expected a trap, got {err:?}");
        };
        assert!(
            text.contains("unreachable"),
            "state leaked between calls: {text}"
        );
    }
}

#[test]
fn components_beyond_the_host_ceiling_are_refused_at_load() {
    let cases = [
        // The reviewed 854-byte attack: 31 memories.
        (0..31)
            .map(|i| format!("(memory $m{i} 1)\n"))
            .collect::<String>(),
        (0..80)
            .map(|i| format!("(table $t{i} 1 funcref)\n"))
            .collect(),
        // One memory whose initial size (9000 pages, 562 MiB) is above the
        // 512 MiB ceiling.
        "(memory $big 9000)".to_owned(),
        // One table whose initial size is above the element ceiling.
        "(table $big 200000 funcref)".to_owned(),
    ];
    for extra in cases {
        let bytes = component_from_core(&core_with(&extra));
        let err = Plugin::from_component(host(), PluginName::parse("greedy").unwrap(), &bytes)
            .expect_err("refused");
        assert_eq!(err.code(), "resource-limit", "{err}");
    }
}

#[test]
fn the_host_ceiling_caps_what_a_call_asks_for() {
    let host = PluginHost::builder()
        .cache_dir(cache())
        .ceiling(CallLimits {
            memory_bytes: 8 * 1024 * 1024,
            timeout: Duration::from_millis(300),
            ..CallLimits::ceiling()
        })
        .build()
        .unwrap();
    let hostile = load_into(&host, "hostile");
    let greedy = CallLimits {
        memory_bytes: 1 << 40,
        timeout: Duration::from_secs(3600),
        ..CallLimits::default()
    };
    let g = grants(&hostile, &[]);
    let outcome = hostile.call_blocking(g.clone(), "membomb", "{}", &greedy);
    assert_eq!(
        outcome.result.unwrap_err(),
        CallError::MemoryLimit(8 * 1024 * 1024)
    );
    let started = Instant::now();
    let outcome = hostile.call_blocking(g, "sleep", &sleep_input(20_000), &greedy);
    assert_eq!(
        outcome.result.unwrap_err(),
        CallError::Timeout(Duration::from_millis(300))
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_saturated_host_is_busy_and_recovers() {
    // One slot, no queue: while a call sleeps, the next is refused at once.
    let host = small_host(1, 0);
    let hostile = load_into(&host, "hostile");
    let sleeper = {
        let hostile = hostile.clone();
        let g = grants(&hostile, &[]);
        std::thread::spawn(move || {
            hostile
                .call_blocking(g, "sleep", &sleep_input(1500), &CallLimits::default())
                .result
        })
    };
    while host.running_calls() == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let g = grants(&hostile, &[]);
    let busy = hostile.call_blocking(g.clone(), "sleep", &sleep_input(1), &CallLimits::default());
    assert_eq!(busy.result.unwrap_err(), CallError::Busy);
    // Refused at once: the answer came while the slot was still held.
    assert_eq!(host.running_calls(), 1, "busy did not wait for the slot");
    sleeper.join().unwrap().expect("the first call completes");
    let after = hostile.call_blocking(g, "sleep", &sleep_input(1), &CallLimits::default());
    after.result.expect("a freed slot admits the next call");
}

#[test]
fn a_burst_above_the_pool_gets_busy_never_a_crash() {
    // 2 slots, 6 queued, 40 callers at once: 8 run (2 at a time), the
    // rest are refused with `busy`; nothing else happens.
    let host = small_host(2, 6);
    let hostile = load_into(&host, "hostile");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (ok, busy) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    rt.block_on(async {
        let mut calls = Vec::new();
        for _ in 0..40 {
            let hostile = hostile.clone();
            let g = grants(&hostile, &[]);
            let (ok, busy) = (ok.clone(), busy.clone());
            calls.push(tokio::spawn(async move {
                let limits = CallLimits::default();
                match hostile
                    .call(g, "sleep", &sleep_input(200), limits)
                    .await
                    .result
                {
                    Ok(_) => ok.fetch_add(1, Ordering::SeqCst),
                    Err(CallError::Busy) => busy.fetch_add(1, Ordering::SeqCst),
                    Err(e) => panic!("unexpected {e:?}"),
                };
            }));
        }
        for call in calls {
            call.await.unwrap();
        }
    });
    let (ok, busy) = (ok.load(Ordering::SeqCst), busy.load(Ordering::SeqCst));
    assert_eq!(ok + busy, 40);
    assert!((2..=8).contains(&ok), "ran {ok}, busy {busy}");
    assert_eq!(host.running_calls(), 0);
}

#[test]
fn a_queued_call_dropped_by_its_caller_frees_its_place() {
    let host = small_host(1, 1);
    let hostile = load_into(&host, "hostile");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let g = grants(&hostile, &[]);
        let first = {
            let (hostile, g) = (hostile.clone(), g.clone());
            tokio::spawn(async move {
                hostile
                    .call(g, "sleep", &sleep_input(400), CallLimits::default())
                    .await
            })
        };
        while host.running_calls() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // A queued caller that gives up leaves the queue...
        let gave_up = tokio::time::timeout(
            Duration::from_millis(50),
            hostile.call(g.clone(), "sleep", &sleep_input(1), CallLimits::default()),
        )
        .await;
        assert!(gave_up.is_err());
        // ...so the one queue place is free for the next caller.
        let next = hostile
            .call(g, "sleep", &sleep_input(1), CallLimits::default())
            .await;
        next.result.expect("queued behind the first call, then ran");
        first.await.unwrap().result.expect("first call");
    });
}
