//! Limits cover every path: a deadline covers host calls (WASI clock waits),
//! cancellation stops a call, memory and table caps are totals over all of
//! a call's memories and tables (hand-written multi-memory components),
//! stack overflows, oversize tool errors and invalid JSON are typed.

use std::time::{Duration, Instant};

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::deadline::CallControl;
use yoi_plugin_host::{CallError, CallLimits, Plugin, PluginName};

use crate::support::handmade;
use handmade::{component_from_core, core_with};

fn limits(timeout_ms: u64) -> CallLimits {
    CallLimits {
        timeout: Duration::from_millis(timeout_ms),
        ..CallLimits::default()
    }
}

#[test]
fn the_deadline_covers_host_sleeps() {
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    let started = Instant::now();
    let outcome =
        hostile.call_blocking(g, "sleep", &json!({"ms": 15_000}).to_string(), &limits(300));
    assert_eq!(
        outcome.result.unwrap_err(),
        CallError::Timeout(Duration::from_millis(300))
    );
    // Without the deadline-aware clock the guest slept the full 15 s.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_cancelled_call_stops_in_a_host_sleep_and_in_wasm() {
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    for (tool, input) in [("sleep", json!({"ms": 60_000})), ("spin", json!({}))] {
        let control = CallControl::new(Duration::from_secs(60));
        let canceller = {
            let control = control.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                control.cancel();
            })
        };
        let started = Instant::now();
        let outcome = hostile.call_controlled(
            g.clone(),
            tool,
            &input.to_string(),
            &limits(60_000),
            &control,
        );
        canceller.join().unwrap();
        assert_eq!(outcome.result.unwrap_err(), CallError::Cancelled, "{tool}");
        assert!(started.elapsed() < Duration::from_secs(10), "{tool}");
    }
}

/// Dropping the async call (a client that went away) cancels it: the
/// blocking thread is free again long before the guest's 60 s sleep.
#[test]
fn dropping_the_async_call_cancels_it() {
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let gave_up = runtime.block_on(async {
        tokio::time::timeout(
            Duration::from_millis(300),
            hostile.call(
                g,
                "sleep",
                &json!({"ms": 60_000}).to_string(),
                limits(60_000),
            ),
        )
        .await
    });
    assert!(gave_up.is_err(), "the caller gave up");
    // Dropping a runtime waits for its blocking threads: it returns at once
    // only if the abandoned call was cancelled.
    let started = Instant::now();
    drop(runtime);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn absurd_timeouts_are_capped_and_do_not_overflow() {
    let hello = load("hello");
    let g = grants(&hello, &[]);
    let limits = CallLimits {
        timeout: Duration::MAX,
        ..CallLimits::default()
    };
    let out = hello.call_blocking(g, "greet", &json!({"name": "max"}).to_string(), &limits);
    assert_eq!(out.result.unwrap()["greeting"], "Hello, max!");
}

#[test]
fn stack_overflow_is_typed() {
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    let outcome = hostile.call_blocking(g, "recurse", "{}", &limits(10_000));
    assert_eq!(outcome.result.unwrap_err(), CallError::StackOverflow);
}

#[test]
fn tool_errors_are_bounded_and_carry_no_terminal_escapes() {
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    let outcome = hostile.call_blocking(
        g,
        "error_bomb",
        &json!({"bytes": 8 * 1024 * 1024}).to_string(),
        &limits(10_000),
    );
    let err = outcome.result.unwrap_err();
    assert_eq!(err.code(), "tool-failed");
    let text = err.to_string();
    assert!(text.len() <= 4096 + 64, "{} bytes", text.len());
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'));
}

#[test]
fn lone_surrogates_are_not_json() {
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    let outcome = hostile.call_blocking(g, "lone_surrogate", "{}", &limits(10_000));
    assert_eq!(outcome.result.unwrap_err(), CallError::OutputNotJson);
    let hello = load("hello");
    let g = grants(&hello, &[]);
    let outcome = hello.call_blocking(g, "greet", r#"{"name":"\ud800"}"#, &limits(10_000));
    assert_eq!(outcome.result.unwrap_err().code(), "invalid-input");
}

#[test]
fn the_memory_cap_is_a_total_over_all_memories() {
    // 12 memories of 62.5 MiB each: each fits the 64 MiB cap alone, all
    // together would be 750 MiB.
    let memories: String = (0..12).map(|i| format!("(memory $m{i} 1000)\n")).collect();
    let bytes = component_from_core(&core_with(&memories));
    let plugin = Plugin::from_component(host(), PluginName::parse("multi-memory").unwrap(), &bytes)
        .expect("the component loads");
    let g = grants(&plugin, &[]);
    let outcome = plugin.call_blocking(g, "x", "{}", &CallLimits::default());
    assert_eq!(
        outcome.result.unwrap_err(),
        CallError::MemoryLimit(CallLimits::default().memory_bytes)
    );
}

#[test]
fn the_table_cap_is_a_total_over_all_tables() {
    let tables: String = (0..8)
        .map(|i| format!("(table $t{i} 15000 funcref)\n"))
        .collect();
    let bytes = component_from_core(&core_with(&tables));
    let plugin = Plugin::from_component(host(), PluginName::parse("multi-table").unwrap(), &bytes)
        .expect("the component loads");
    let g = grants(&plugin, &[]);
    let outcome = plugin.call_blocking(g, "x", "{}", &CallLimits::default());
    assert_eq!(outcome.result.unwrap_err(), CallError::TableLimit);
    // One such table alone is within the cap: the module instantiates and
    // reaches its (trapping) tool entry point.
    let bytes = component_from_core(&core_with("(table $t 15000 funcref)"));
    let plugin =
        Plugin::from_component(host(), PluginName::parse("one-table").unwrap(), &bytes).unwrap();
    let g = grants(&plugin, &[]);
    let outcome = plugin.call_blocking(g, "x", "{}", &CallLimits::default());
    assert_eq!(outcome.result.unwrap_err().code(), "trap");
}

#[test]
fn too_many_memories_or_tables_is_a_typed_count_limit() {
    // Within the host ceiling (16 memories, 64 tables), a call's own lower
    // count caps still apply at instantiation.
    let memories: String = (0..12).map(|i| format!("(memory $m{i} 1)\n")).collect();
    let tables: String = (0..20)
        .map(|i| format!("(table $t{i} 1 funcref)\n"))
        .collect();
    let tight = CallLimits {
        memories: 8,
        tables: 10,
        ..CallLimits::default()
    };
    for (extra, what) in [(memories, "memories"), (tables, "tables")] {
        let bytes = component_from_core(&core_with(&extra));
        let plugin =
            Plugin::from_component(host(), PluginName::parse("counts").unwrap(), &bytes).unwrap();
        let g = grants(&plugin, &[]);
        let outcome = plugin.call_blocking(g.clone(), "x", "{}", &tight);
        assert_eq!(outcome.result.unwrap_err(), CallError::CountLimit(what));
        // The default caps let the same component instantiate.
        let outcome = plugin.call_blocking(g, "x", "{}", &CallLimits::default());
        assert_eq!(outcome.result.unwrap_err().code(), "trap");
    }
}

#[test]
fn too_many_instances_is_its_own_instance_limit() {
    // A Rust component instantiates more than one core instance (its
    // module and wit-component's shims); one is not enough.
    let hello = load("hello");
    let g = grants(&hello, &[]);
    let one = CallLimits {
        instances: 1,
        ..CallLimits::default()
    };
    let err = hello
        .call_blocking(g.clone(), "greet", r#"{"name":"x"}"#, &one)
        .result
        .unwrap_err();
    assert_eq!(err, CallError::InstanceLimit(1));
    assert_eq!(err.code(), "instance-limit");
    assert_ne!(err.code(), CallError::MemoryLimit(0).code());
    // The host is unaffected: the default count runs the same call.
    let outcome = hello.call_blocking(g, "greet", r#"{"name":"x"}"#, &CallLimits::default());
    assert_eq!(outcome.result.unwrap()["greeting"], "Hello, x!");
}

/// A bundle (here: a policy profile, the same enablement type) sets count
/// limits for one plugin's calls: notes-py needs 14 core instances, so a
/// profile allowing 8 gets `instance-limit` on every call, the same plugin
/// without limits runs, and a count above the host ceiling refuses the
/// worker instead of being lowered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundle_count_limits_apply_to_a_workers_calls() {
    use yoi_plugin_host::policy::HostPolicy;
    use yoi_plugin_host::store::{PluginStore, Source};
    use yoi_plugin_host::workers::{
        CreateWorkerRequest, EmbeddedRuntime, InvokeRequest, ProfileSelector, Runtime,
        RuntimeConfig,
    };
    let temp = tempfile::tempdir().unwrap();
    let state = temp.path().join("state");
    // A Python component records no tool list: packing probes it.
    let component = plugins_dir().join("notes-py.wasm");
    let package = yoi_plugin_host::package::Package::from_dir_declaring(
        &example_dir("notes-py"),
        Some(&component),
        host(),
    )
    .unwrap();
    PluginStore::open(state.join("plugins"))
        .unwrap()
        .install(&package, Source::User)
        .unwrap();
    let enablement = |limits: &str| {
        format!(
            r#"[{{ id = "user:notes-py", version = "{}", digest = "{}"{limits} }}]"#,
            package.manifest.version, package.digest
        )
    };
    let policy = format!(
        "[profiles.low]\nplugins = {}\n[profiles.default-limits]\nplugins = {}\n[profiles.greedy]\nplugins = {}\n",
        enablement(", limits = { instances = 8 }"),
        enablement(""),
        enablement(", limits = { instances = 100000 }"),
    );
    let rt = EmbeddedRuntime::open(RuntimeConfig {
        state_dir: state,
        plugin_store: None,
        policy: HostPolicy::from_toml_str(&policy).unwrap(),
    })
    .unwrap();
    let worker = |profile: &str| CreateWorkerRequest {
        intent: profile.into(),
        profile: ProfileSelector::Builtin(profile.into()),
        bundle: None,
        capabilities: vec![],
    };
    let read = || InvokeRequest {
        plugin: None,
        input: json!({"path": "notes/a.md"}),
    };
    let low = rt.create_worker(worker("low")).await.unwrap();
    let out = rt.invoke(&low.id, "read", read()).await.unwrap();
    assert_eq!(
        out.error.as_ref().map(|e| e.code.as_str()),
        Some("instance-limit"),
        "{out:?}"
    );
    let default = rt.create_worker(worker("default-limits")).await.unwrap();
    let out = rt.invoke(&default.id, "read", read()).await.unwrap();
    // It runs (and is denied the ungranted mount by its own fs call).
    let code = out.error.as_ref().map(|e| e.code.as_str());
    assert_ne!(code, Some("instance-limit"), "{out:?}");
    let err = rt.create_worker(worker("greedy")).await.unwrap_err();
    assert_eq!(err.code.as_str(), "capability-denied");
    assert!(err.message.contains("ceiling"), "{}", err.message);
}
