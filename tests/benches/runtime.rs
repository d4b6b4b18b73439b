//! Benchmarks of the costs that matter, each printed with a ratio against a
//! baseline measured in the same run:
//!
//! - tool-call latency (fresh store + instance per call) vs. a native call
//!   of the same logic;
//! - first load of a component: compile vs. compile-cache hit;
//! - fs read throughput through a plugin vs. native `std::fs::read`.
//!
//! Run with `cargo xtask bench` (builds the plugins first).

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::runtime::{CallLimits, PluginHost};
use yoi_plugin_host::{GrantSpec, Operation};

/// Median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn report(name: &str, measured: Duration, baseline_name: &str, baseline: Duration) {
    println!(
        "{name:<44} {:>10.3} ms   {baseline_name:<28} {:>10.3} ms   ratio {:>9.3}x",
        measured.as_secs_f64() * 1e3,
        baseline.as_secs_f64() * 1e3,
        measured.as_secs_f64() / baseline.as_secs_f64().max(1e-12)
    );
}

fn main() {
    // `cargo bench` passes --bench; ignore arguments.
    let hello_bytes = component("hello");
    let limits = CallLimits::default();

    // Cold start: compile vs. cache hit, each with a fresh host.
    let cache = tempfile::tempdir().unwrap();
    let compile = median(5, || {
        let host = PluginHost::builder().build().unwrap();
        black_box(
            host.load(
                identity("hello", &hello_bytes),
                "yoi-plugin-wasm-1",
                &hello_bytes,
            )
            .unwrap(),
        );
    });
    {
        let host = PluginHost::builder()
            .cache_dir(cache.path())
            .build()
            .unwrap();
        host.load(
            identity("hello", &hello_bytes),
            "yoi-plugin-wasm-1",
            &hello_bytes,
        )
        .unwrap();
    }
    let cached = median(11, || {
        let host = PluginHost::builder()
            .cache_dir(cache.path())
            .build()
            .unwrap();
        black_box(
            host.load(
                identity("hello", &hello_bytes),
                "yoi-plugin-wasm-1",
                &hello_bytes,
            )
            .unwrap(),
        );
    });
    report(
        "load hello: compile-cache hit",
        cached,
        "baseline: compile",
        compile,
    );

    // Warm call latency: fresh instance per call.
    let hello = load("hello");
    let g = grants(&hello, &[]);
    let input = json!({"name": "bench"}).to_string();
    for _ in 0..20 {
        hello
            .call_blocking(g.clone(), "greet", &input, &limits)
            .result
            .unwrap();
    }
    let call = median(301, || {
        black_box(
            hello
                .call_blocking(g.clone(), "greet", &input, &limits)
                .result
                .unwrap(),
        );
    });
    let native = median(301, || {
        let v: serde_json::Value = serde_json::from_str(black_box(&input)).unwrap();
        black_box(
            json!({"greeting": format!("Hello, {}!", v["name"].as_str().unwrap())}).to_string(),
        );
    });
    report(
        "warm tool call (fresh instance)",
        call,
        "baseline: native same logic",
        native,
    );

    // fs read throughput: 4 MiB through the plugin (1 MiB pages) vs. native.
    let sb = Sandbox::new();
    let data: String = "yoi plugin toolkit\n".repeat(4 * 1024 * 1024 / 19);
    let path = sb.file("big.txt", &data);
    let notes = load("notes");
    let ng = grants(
        &notes,
        &[GrantSpec::new("m", &sb.mount, &[Operation::Read])],
    );
    let read_input = json!({"path": "m/big.txt"}).to_string();
    let via_plugin = median(15, || {
        black_box(
            notes
                .call_blocking(
                    ng.clone(),
                    "read",
                    &read_input,
                    &CallLimits {
                        max_output_bytes: 16 << 20,
                        ..CallLimits::default()
                    },
                )
                .result
                .unwrap(),
        );
    });
    let native_read = median(15, || {
        black_box(std::fs::read(&path).unwrap());
    });
    report(
        &format!(
            "read {:.1} MiB via plugin (call incl.)",
            data.len() as f64 / 1048576.0
        ),
        via_plugin,
        "baseline: std::fs::read",
        native_read,
    );
    let mib = data.len() as f64 / (1024.0 * 1024.0);
    println!(
        "fs throughput: plugin {:.0} MiB/s, native {:.0} MiB/s",
        mib / via_plugin.as_secs_f64(),
        mib / native_read.as_secs_f64()
    );
}
