//! Runaway and hostile guests become typed errors; the host keeps serving.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::{CallError, CallLimits};

fn hello_still_works() {
    let hello = load("hello");
    let g = grants(&hello, &[]);
    assert_eq!(
        call_ok(&hello, &g, "greet", &json!({"name": "yoi"}))["greeting"],
        "Hello, yoi!"
    );
}

fn limits() -> CallLimits {
    CallLimits {
        timeout: Duration::from_millis(500),
        memory_bytes: 32 * 1024 * 1024,
        ..CallLimits::default()
    }
}

#[test]
fn infinite_loops_time_out() {
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    let started = Instant::now();
    let outcome = hostile.call_blocking(g, "spin", "{}", &limits());
    assert_eq!(
        outcome.result.unwrap_err(),
        CallError::Timeout(Duration::from_millis(500))
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    hello_still_works();
}

#[test]
fn memory_bombs_hit_the_limit() {
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    let outcome = hostile.call_blocking(g, "membomb", "{}", &limits());
    assert_eq!(
        outcome.result.unwrap_err(),
        CallError::MemoryLimit(32 * 1024 * 1024)
    );
    hello_still_works();
}

#[test]
fn output_and_input_bounds() {
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    let outcome = hostile.call_blocking(
        g.clone(),
        "output_bomb",
        &json!({"bytes": 2 * 1024 * 1024}).to_string(),
        &limits(),
    );
    assert_eq!(outcome.result.unwrap_err().code(), "output-too-large");
    let big_input = json!({"bytes": 1, "pad": "p".repeat(2 * 1024 * 1024)}).to_string();
    let outcome = hostile.call_blocking(g.clone(), "output_bomb", &big_input, &limits());
    assert_eq!(outcome.result.unwrap_err().code(), "input-too-large");
    let outcome = hostile.call_blocking(g.clone(), "output_bomb", "not json", &limits());
    assert_eq!(outcome.result.unwrap_err().code(), "invalid-input");
    let outcome = hostile.call_blocking(g, "no-such-tool", "{}", &limits());
    assert_eq!(outcome.result.unwrap_err().code(), "unknown-tool");
    hello_still_works();
}

#[test]
fn stdout_and_log_floods_are_bounded() {
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    let outcome = hostile.call_blocking(
        g.clone(),
        "stdout_bomb",
        &json!({"bytes": 4 * 1024 * 1024}).to_string(),
        &limits(),
    );
    assert!(
        outcome.stdout.len() <= limits().max_stdio_bytes,
        "stdout {} bytes",
        outcome.stdout.len()
    );
    let outcome = hostile.call_blocking(
        g,
        "log_bomb",
        &json!({"count": 5000, "bytes": 10_000}).to_string(),
        &limits(),
    );
    outcome.result.unwrap();
    assert_eq!(outcome.logs.len(), limits().max_log_records);
    assert_eq!(outcome.logs_dropped, 5000 - limits().max_log_records);
    assert!(
        outcome
            .logs
            .iter()
            .all(|r| r.message.len() <= limits().max_log_message_bytes)
    );
    hello_still_works();
}

#[test]
fn panics_are_traps() {
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    let outcome = hostile.call_blocking(g, "panic", "{}", &limits());
    assert_eq!(outcome.result.unwrap_err().code(), "trap");
    hello_still_works();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_run_concurrently_and_in_isolation() {
    let hostile = load("hostile");
    let hello = load("hello");
    let hg = grants(&hostile, &[]);
    let g = grants(&hello, &[]);
    let spinner = {
        let (hostile, hg) = (hostile.clone(), hg.clone());
        tokio::spawn(async move { hostile.call(hg, "spin", "{}", limits()).await })
    };
    let mut calls = Vec::new();
    for i in 0..16 {
        let (hello, g) = (hello.clone(), Arc::clone(&g));
        calls.push(tokio::spawn(async move {
            let out = hello
                .call(
                    g,
                    "greet",
                    &json!({"name": format!("n{i}")}).to_string(),
                    CallLimits::default(),
                )
                .await;
            (i, out.result.unwrap())
        }));
    }
    for call in calls {
        let (i, out) = call.await.unwrap();
        assert_eq!(out["greeting"], format!("Hello, n{i}!"));
    }
    assert_eq!(spinner.await.unwrap().result.unwrap_err().code(), "timeout");
}
