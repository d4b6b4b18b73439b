//! Rows (a) and (b): a warm call of `notes.read` of a 64-byte file through
//! our host, against the floor harness and against the seed system's way
//! (a new engine, compile, instantiate and call, every call).

use std::hint::black_box;
use std::sync::Arc;

use serde_json::json;
use yoi_e2e_tests::{Sandbox, component, grants, load};
use yoi_plugin_host::{CallLimits, GrantSet, GrantSpec, Operation, Plugin, PluginHost, PluginName};

use crate::floor::Floor;
use crate::report::{Goal, Measure, Row};
use crate::stats::{Stats, median, timed};

/// The input every warm call sends.
pub const READ_INPUT: &str = r#"{"path":"m/small.txt"}"#;

/// The warm-call fixture: a sandbox with a 64-byte file, `notes` loaded in
/// our host with a read grant on it, and the same component in the floor.
pub struct Fixture {
    pub sandbox: Sandbox,
    pub notes: Plugin,
    pub grants: Arc<GrantSet>,
    pub limits: CallLimits,
    pub floor: Floor,
    /// The floor resetting only dirtied pages (`PAGEMAP_SCAN`).
    pub floor_scan: Floor,
}

impl Fixture {
    pub fn new() -> Fixture {
        let sandbox = Sandbox::new();
        sandbox.file("small.txt", &format!("{}\n", "x".repeat(63)));
        let notes = load("notes");
        let grants = grants(
            &notes,
            &[GrantSpec::new("m", &sandbox.mount, &[Operation::Read])],
        );
        let notes_bytes = component("notes");
        let floor = Floor::new(&notes_bytes, sandbox.mount.clone(), 8, false);
        let floor_scan = Floor::new(&notes_bytes, sandbox.mount.clone(), 8, true);
        let fixture = Fixture {
            sandbox,
            notes,
            grants,
            limits: CallLimits::default(),
            floor,
            floor_scan,
        };
        // Both answer the same.
        let ours = fixture.ours();
        let floor: serde_json::Value = serde_json::from_str(&fixture.floor_call()).unwrap();
        assert_eq!(ours, floor, "our host and the floor disagree");
        assert_eq!(ours["text"].as_str().map(str::len), Some(64));
        fixture
    }

    /// One warm call through our host.
    pub fn ours(&self) -> serde_json::Value {
        self.notes
            .call_blocking(self.grants.clone(), "read", READ_INPUT, &self.limits)
            .result
            .unwrap_or_else(|e| panic!("warm call failed: {e}"))
    }

    /// One call through the floor harness.
    pub fn floor_call(&self) -> String {
        self.floor.call("read", READ_INPUT)
    }

    /// One call through the floor harness with `PAGEMAP_SCAN`.
    pub fn floor_scan_call(&self) -> String {
        self.floor_scan.call("read", READ_INPUT)
    }
}

/// Row (a): p50/p99 of ours and the floor, measured in alternating rounds
/// so drift of the machine hits both alike; plus the floor resetting only
/// dirtied pages (context: what wasmtime's reset of kept-resident memory
/// costs). Returns the rows and our p50.
pub fn warm_vs_floor(fx: &Fixture) -> (Vec<Row>, Stats) {
    const ROUNDS: usize = 10;
    const PER_ROUND: usize = 2000;
    let subjects: [&dyn Fn(); 3] = [
        &|| drop(black_box(fx.ours())),
        &|| drop(black_box(fx.floor_call())),
        &|| drop(black_box(fx.floor_scan_call())),
    ];
    for f in subjects {
        timed(1000, f);
    }
    let mut times = [(); 3].map(|()| Vec::new());
    for _ in 0..ROUNDS {
        for (f, times) in subjects.iter().zip(&mut times) {
            times.extend(timed(PER_ROUND, f));
        }
    }
    let [ours, floor, scan] = times.map(Stats::of);
    // Our pool resets only dirtied pages (PAGEMAP_SCAN): like with like.
    let row = Row::new(
        "a",
        "warm call, notes.read 64 B (fresh instance)",
        Measure::micros(ours.p50).with_text(ours.text()),
        "floor: bare wasmtime, pooled + keep-resident + PAGEMAP_SCAN",
        Measure::micros(scan.p50).with_text(scan.text()),
    )
    .goal(Goal::RatioAtMost(1.2))
    .details(json!({"ours": ours.to_json(), "floor": scan.to_json(), "ratio_of": "p50"}));
    let scan_row = Row::new(
        "a+",
        "floor with PAGEMAP_SCAN (resets only dirtied pages)",
        Measure::micros(scan.p50).with_text(scan.text()),
        "floor (memset of all kept-resident memory)",
        Measure::micros(floor.p50).with_text(floor.text()),
    )
    .details(json!({"floor_scan": scan.to_json(), "kernel": crate::machine::kernel()}));
    (vec![row, scan_row], ours)
}

/// Row (b): the seed system's way — a new engine (no pooling), compile,
/// instantiate, call — every call, against the warm call's p50.
pub fn per_call_compile(fx: &Fixture, warm: Stats) -> Row {
    let bytes = component("notes");
    let spec = [GrantSpec::new("m", &fx.sandbox.mount, &[Operation::Read])];
    let cold = median(5, || {
        let host = PluginHost::builder().pooling(false).build().unwrap();
        let plugin =
            Plugin::from_component(&host, PluginName::parse("notes").unwrap(), &bytes).unwrap();
        let outcome = plugin.call_blocking(grants(&plugin, &spec), "read", READ_INPUT, &fx.limits);
        black_box(outcome.result.unwrap());
    });
    Row::new(
        "b",
        "warm call vs per-call compile (speed-up)",
        Measure::micros(warm.p50),
        "new engine + compile + call, each call",
        Measure::micros(cold),
    )
    .inverted()
    .goal(Goal::RatioAtLeast(2500.0))
    .details(json!({"component_bytes": bytes.len()}))
}
