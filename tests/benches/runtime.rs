//! Benchmarks of the costs that matter, each printed with a ratio against a
//! baseline measured in the same run:
//!
//! - tool-call latency (fresh store + instance per call) vs. a native call
//!   of the same logic;
//! - first load of a component: compile vs. compile-cache hit;
//! - fs read throughput through a plugin vs. native `std::fs::read`;
//! - one-shot `yoi-plugin run` of an installed plugin (fresh process, warm
//!   compile cache) vs. the same with a cold cache; with
//!   `YOI_BASELINE_BIN=/path/to/older/yoi-plugin`, the same runs of that
//!   binary side by side (before/after comparisons).
//!
//! Run with `cargo xtask bench` (builds the plugins and the release CLI
//! first).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::{CallLimits, GrantSpec, Operation, Plugin, PluginHost, PluginName};

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

/// The release `yoi-plugin` binary `cargo xtask bench` builds.
fn cli_binary() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/yoi-plugin")
}

/// Runs `bin` with `args`, which must succeed.
fn run_cli(bin: &Path, args: &[&str]) {
    let out = Command::new(bin)
        .args(args)
        .output()
        .expect("spawn yoi-plugin");
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One-shot CLI runs: installs hello into a fresh store, then times a
/// fresh process calling it with a warm and with a cold compile cache.
fn one_shot_cli(bin: &Path, label: &str) {
    let temp = tempfile::tempdir().unwrap();
    let store = temp.path().join("store");
    let store = store.to_str().unwrap();
    let pkg = temp.path().join("hello.yoi-plugin");
    let component = plugins_dir().join("hello.wasm");
    run_cli(
        bin,
        &[
            "--store",
            store,
            "pack",
            example_dir("hello").to_str().unwrap(),
            "--component",
            component.to_str().unwrap(),
            "-o",
            pkg.to_str().unwrap(),
        ],
    );
    run_cli(bin, &["--store", store, "install", pkg.to_str().unwrap()]);
    let call = |cache: &str| {
        run_cli(
            bin,
            &[
                "--store",
                store,
                "run",
                "user:hello",
                "greet",
                "--input",
                r#"{"name":"bench"}"#,
                "--cache-dir",
                cache,
            ],
        )
    };
    let warm_cache = temp.path().join("warm");
    call(warm_cache.to_str().unwrap());
    let warm = median(21, || call(warm_cache.to_str().unwrap()));
    let mut n = 0;
    let cold = median(5, || {
        n += 1;
        call(temp.path().join(format!("cold-{n}")).to_str().unwrap());
    });
    report(
        &format!("one-shot run, warm cache ({label})"),
        warm,
        "baseline: cold cache",
        cold,
    );
}

fn main() {
    // `cargo bench` passes --bench; ignore arguments.
    if cli_binary().is_file() {
        one_shot_cli(&cli_binary(), "this build");
        if let Some(baseline) = std::env::var_os("YOI_BASELINE_BIN") {
            one_shot_cli(Path::new(&baseline), "YOI_BASELINE_BIN");
        }
    } else {
        println!("(no release yoi-plugin binary; `cargo xtask bench` builds it)");
    }
    let hello_bytes = component("hello");
    let limits = CallLimits::default();

    // Cold start: compile vs. cache hit, each with a fresh host.
    let cache = tempfile::tempdir().unwrap();
    let compile = median(5, || {
        let host = PluginHost::builder().build().unwrap();
        black_box(
            Plugin::from_component(&host, PluginName::parse("hello").unwrap(), &hello_bytes)
                .unwrap(),
        );
    });
    {
        let host = PluginHost::builder()
            .cache_dir(cache.path())
            .build()
            .unwrap();
        Plugin::from_component(&host, PluginName::parse("hello").unwrap(), &hello_bytes).unwrap();
    }
    let cached = median(11, || {
        let host = PluginHost::builder()
            .cache_dir(cache.path())
            .build()
            .unwrap();
        black_box(
            Plugin::from_component(&host, PluginName::parse("hello").unwrap(), &hello_bytes)
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
