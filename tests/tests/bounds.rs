//! Read / write / list bounds and per-invocation totals, with their
//! explicit truncate-or-fail policies.

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::CallLimits;
use yoi_plugin_host::limits::{BoundOverrides, FsBounds, InvocationBudget};
use yoi_plugin_host::{GrantSpec, Operation::*};

#[test]
fn reads_truncate_at_the_bound_and_report_the_size() {
    let sb = Sandbox::new();
    let content: String = (0..10_240)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    sb.file("big.txt", &content);
    let hostile = load("hostile");
    let spec = GrantSpec::new("m", &sb.mount, &[Read]).bounds(BoundOverrides {
        read_bytes: Some(1024),
        ..Default::default()
    });
    let g = grants(&hostile, &[spec]);
    let page = probe(
        &hostile,
        &g,
        json!({"op": "read", "path": "m/big.txt", "max_len": 1_000_000}),
    )
    .unwrap();
    assert_eq!(
        (
            page["len"].as_u64(),
            page["size"].as_u64(),
            page["truncated"].as_bool()
        ),
        (Some(1024), Some(10_240), Some(true))
    );
    // The SDK pages through the whole file within the same bound.
    let notes = load("notes");
    let g = grants(
        &notes,
        &[
            GrantSpec::new("m", &sb.mount, &[Read]).bounds(BoundOverrides {
                read_bytes: Some(1000),
                ..Default::default()
            }),
        ],
    );
    assert_eq!(
        call_ok(&notes, &g, "read", &json!({"path": "m/big.txt"}))["text"],
        content
    );
}

#[test]
fn overrides_never_exceed_host_maxima() {
    let huge = BoundOverrides {
        read_bytes: Some(u32::MAX),
        write_bytes: Some(u32::MAX),
        list_entries: Some(u32::MAX),
        dir_scan_entries: Some(u32::MAX),
    };
    assert_eq!(FsBounds::HOST_MAX.lowered_by(&huge), FsBounds::HOST_MAX);
    let sb = Sandbox::new();
    let grant = GrantSpec::new("m", &sb.mount, &[Read])
        .bounds(huge)
        .open()
        .unwrap();
    assert_eq!(grant.bounds(), FsBounds::HOST_MAX);
}

#[test]
fn oversize_writes_fail_closed_and_leave_the_file_untouched() {
    let sb = Sandbox::new();
    let file = sb.file("f.txt", "original");
    let hostile = load("hostile");
    let spec = GrantSpec::new("m", &sb.mount, &[Write]).bounds(BoundOverrides {
        write_bytes: Some(1000),
        ..Default::default()
    });
    let g = grants(&hostile, &[spec]);
    assert_eq!(
        probe_code(
            &hostile,
            &g,
            json!({"op": "write", "path": "m/f.txt", "fill_bytes": 1001})
        ),
        "too-large"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "original");
    assert_eq!(
        probe_code(
            &hostile,
            &g,
            json!({"op": "write", "path": "m/new.txt", "fill_bytes": 5000})
        ),
        "too-large"
    );
    assert!(!sb.mount.join("new.txt").exists());
    probe(
        &hostile,
        &g,
        json!({"op": "write", "path": "m/f.txt", "fill_bytes": 1000}),
    )
    .unwrap();
    assert_eq!(std::fs::read(&file).unwrap().len(), 1000);
    // The host maximum applies without overrides (4 MiB).
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Write])]);
    assert_eq!(
        probe_code(
            &hostile,
            &g,
            json!({"op": "write", "path": "m/f.txt", "fill_bytes": 4 * 1024 * 1024 + 1})
        ),
        "too-large"
    );
    assert_eq!(std::fs::read(&file).unwrap().len(), 1000);
}

#[test]
fn listings_page_at_the_bound_and_huge_directories_fail_closed() {
    let sb = Sandbox::new();
    for i in 0..600 {
        sb.file(&format!("d/f{i:04}"), "");
    }
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[List])]);
    let page = probe(
        &hostile,
        &g,
        json!({"op": "list", "path": "m/d", "max_entries": 100_000}),
    )
    .unwrap();
    assert_eq!(page["entries"].as_array().unwrap().len(), 256, "host bound");
    assert_eq!(page["next_cursor"], "f0255");
    // The notes plugin's list follows cursors through all 600.
    let notes = load("notes");
    let g = grants(
        &notes,
        &[
            GrantSpec::new("m", &sb.mount, &[List]).bounds(BoundOverrides {
                list_entries: Some(7),
                ..Default::default()
            }),
        ],
    );
    let all = call_ok(&notes, &g, "list", &json!({"path": "m/d"}));
    assert_eq!(all["entries"].as_array().unwrap().len(), 600);
    // A directory above the scan bound is refused.
    let g = grants(
        &hostile,
        &[
            GrantSpec::new("m", &sb.mount, &[List]).bounds(BoundOverrides {
                dir_scan_entries: Some(500),
                ..Default::default()
            }),
        ],
    );
    assert_eq!(
        probe_code(&hostile, &g, json!({"op": "list", "path": "m/d"})),
        "too-large"
    );
}

#[test]
fn per_invocation_totals_are_enforced() {
    let sb = Sandbox::new();
    sb.file("f.txt", &"x".repeat(1000));
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Read])]);
    let limits = CallLimits {
        fs_budget: InvocationBudget::new(u64::MAX, u64::MAX, 10),
        ..CallLimits::default()
    };
    let out = hostile.call_blocking(
        g.clone(),
        "read_loop",
        &json!({"path": "m/f.txt", "iterations": 25}).to_string(),
        &limits,
    );
    let out: serde_json::Value = out.result.unwrap();
    assert_eq!(out["errors"]["limit-exceeded"], 15, "{out}");
    let limits = CallLimits {
        fs_budget: InvocationBudget::new(2500, u64::MAX, u64::MAX),
        ..CallLimits::default()
    };
    let out = hostile.call_blocking(
        g,
        "read_loop",
        &json!({"path": "m/f.txt", "iterations": 5}).to_string(),
        &limits,
    );
    let out: serde_json::Value = out.result.unwrap();
    // 1000 + 1000 + 500 bytes, then nothing left.
    assert_eq!(out["errors"]["limit-exceeded"], 2, "{out}");
}
