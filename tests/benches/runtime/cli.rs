//! Row (c): one-shot `yoi-plugin run` of an installed plugin (fresh
//! process, warm compile cache) vs. the same with a cold cache; with
//! `YOI_BASELINE_BIN=/path/to/older/yoi-plugin`, the same runs of that
//! binary side by side (before/after comparisons). Plus the in-process
//! load: compile-cache hit vs compile.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use yoi_e2e_tests::{component, example_dir, plugins_dir};
use yoi_plugin_host::{Plugin, PluginHost, PluginHostBuilder, PluginName};

use crate::report::{Goal, Measure, Row};
use crate::stats::{Stats, median, timed};

/// The release `yoi-plugin` binary `cargo xtask bench` builds.
pub fn cli_binary() -> PathBuf {
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
pub fn one_shot(bin: &Path, label: &str) -> Row {
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
    let call = |cache: &Path| {
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
                cache.to_str().unwrap(),
            ],
        )
    };
    let warm_cache = temp.path().join("warm");
    call(&warm_cache);
    let warm = median(21, || call(&warm_cache));
    let mut n = 0;
    let cold = median(5, || {
        n += 1;
        call(&temp.path().join(format!("cold-{n}")));
    });
    Row::new(
        "c",
        format!("one-shot `yoi-plugin run`, warm cache ({label})"),
        Measure::millis(warm),
        "same, cold compile cache",
        Measure::millis(cold),
    )
    .goal(Goal::MeasuredAtMost(5.0))
}

/// Loading `hello` in-process on a fresh host: compile-cache hit vs
/// compile.
pub fn cache_hit() -> Row {
    let bytes = component("hello");
    let name = || PluginName::parse("hello").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let host = || {
        PluginHost::builder()
            .cache_dir(cache.path())
            .build()
            .unwrap()
    };
    let compile = median(5, || {
        let host = PluginHost::builder().build().unwrap();
        black_box(Plugin::from_component(&host, name(), &bytes).unwrap());
    });
    Plugin::from_component(&host(), name(), &bytes).unwrap();
    let cached = median(11, || {
        black_box(Plugin::from_component(&host(), name(), &bytes).unwrap());
    });
    Row::new(
        "c+",
        "load hello on a fresh host: compile-cache hit",
        Measure::millis(cached),
        "compile",
        Measure::millis(compile),
    )
    .details(json!({"includes": "building the host (pooled, default cap)"}))
}

/// Building a host: the pooling allocator sized to the default cap vs
/// allocation on demand (what every fresh process, e.g. a one-shot
/// `yoi-plugin run`, pays before its first call).
pub fn host_build() -> Row {
    let builders: [fn() -> PluginHostBuilder; 3] = [
        PluginHost::builder,
        || PluginHost::builder().max_concurrent_calls(1),
        || PluginHost::builder().pooling(false),
    ];
    // Interleaved, so drift of the machine hits all three alike.
    let mut times = [(); 3].map(|()| Vec::new());
    for _ in 0..21 {
        for (builder, times) in builders.iter().zip(&mut times) {
            times.extend(timed(1, || drop(black_box(builder().build().unwrap()))));
        }
    }
    let [pooled, pooled_one, on_demand] = times.map(|t| Stats::of(t).p50);
    Row::new(
        "c+",
        "build a host: pooled, default cap",
        Measure::millis(pooled),
        "on-demand allocation",
        Measure::millis(on_demand),
    )
    .details(json!({"pooled_cap_1_ms": pooled_one.as_secs_f64() * 1e3}))
}
