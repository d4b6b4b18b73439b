//! Rows (l): each language's hello (issue 13, item 7) — the Rust `hello`
//! (wasm32-wasip2), `hello-wasip1` (a core module the host adapts),
//! `hello-js` (componentize-js) and `notes-py` (componentize-py): the warm
//! call p50 against Rust's, and the first load on a fresh host with the
//! compile cache hit against compiling (what the cache saves matters most
//! for the 12–19 MB JS and Python components).

use std::hint::black_box;
use std::sync::Arc;

use serde_json::json;
use yoi_e2e_tests::{Sandbox, component};
use yoi_plugin_host::package::adapt;
use yoi_plugin_host::{CallLimits, GrantSet, GrantSpec, Operation, Plugin, PluginHost, PluginName};

use crate::report::{Measure, Row};
use crate::stats::{Stats, median, timed};

/// One language's hello: the example, its tool and input.
struct Hello {
    lang: &'static str,
    example: &'static str,
    tool: &'static str,
    input: &'static str,
}

const HELLOS: [Hello; 4] = [
    Hello {
        lang: "Rust",
        example: "hello",
        tool: "greet",
        input: r#"{"name":"bench"}"#,
    },
    Hello {
        lang: "Rust wasip1",
        example: "hello-wasip1",
        tool: "greet",
        input: r#"{"name":"bench"}"#,
    },
    Hello {
        lang: "JavaScript",
        example: "hello-js",
        tool: "greet",
        input: r#"{"name":"bench"}"#,
    },
    Hello {
        lang: "Python",
        example: "notes-py",
        tool: "read",
        input: r#"{"path":"m/small.txt"}"#,
    },
];

/// Warm calls measured per language (after as many warm-up calls).
const WARM_CALLS: usize = 300;

/// The (l) rows: a warm-call row and a load row per language.
pub fn languages() -> Vec<Row> {
    let sandbox = Sandbox::new();
    sandbox.file("small.txt", &format!("{}\n", "x".repeat(63)));
    let spec = [GrantSpec::new("m", &sandbox.mount, &[Operation::Read])];
    let host = PluginHost::builder().build().expect("host");
    let mut warm = Vec::new();
    let mut rows = Vec::new();
    for hello in &HELLOS {
        let bytes = adapt::to_component(component(hello.example)).expect("a component");
        let name = || PluginName::parse(hello.example).unwrap();
        let plugin = Plugin::from_component(&host, name(), &bytes).expect("loads");
        let grants = Arc::new(GrantSet::open(plugin.identity().clone(), &spec).unwrap());
        let limits = CallLimits::default();
        let call = || {
            let outcome = plugin.call_blocking(grants.clone(), hello.tool, hello.input, &limits);
            black_box(outcome.result.expect("the warm call succeeds"));
        };
        timed(WARM_CALLS, call);
        let stats = Stats::of(timed(WARM_CALLS, call));
        warm.push((hello, stats));
        rows.push(load_row(hello, &bytes));
    }
    let rust = warm[0].1.p50;
    let mut warm_rows: Vec<Row> = warm
        .into_iter()
        .map(|(hello, stats)| {
            Row::new(
                "l",
                format!(
                    "warm call, {} ({}.{})",
                    hello.lang, hello.example, hello.tool
                ),
                Measure::micros(stats.p50).with_text(stats.text()),
                "Rust hello.greet",
                Measure::micros(rust),
            )
            .details(json!({"stats": stats.to_json()}))
        })
        .collect();
    warm_rows.extend(rows);
    warm_rows
}

/// First load of `bytes` on a fresh host: compile-cache hit vs compile
/// (both include building the host).
fn load_row(hello: &Hello, bytes: &[u8]) -> Row {
    let name = || PluginName::parse(hello.example).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let fresh = || {
        PluginHost::builder()
            .cache_dir(cache.path())
            .build()
            .unwrap()
    };
    // Compiling a 12–19 MB component takes seconds: fewer runs for those.
    let runs = if bytes.len() > 4 << 20 { 1 } else { 5 };
    let compile = median(runs, || {
        let host = PluginHost::builder().build().unwrap();
        black_box(Plugin::from_component(&host, name(), bytes).unwrap());
    });
    Plugin::from_component(&fresh(), name(), bytes).unwrap();
    let cached = median(5, || {
        black_box(Plugin::from_component(&fresh(), name(), bytes).unwrap());
    });
    Row::new(
        "l+",
        format!("first load, {}: compile-cache hit", hello.lang),
        Measure::millis(cached),
        "compile",
        Measure::millis(compile),
    )
    .inverted()
    .details(json!({
        "component_bytes": bytes.len(),
        "compile_runs": runs,
        "includes": "building the host (pooled, default cap)",
    }))
}
