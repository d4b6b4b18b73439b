//! Diagnostics never contain file content, host absolute paths, or
//! secret-like data — in errors returned to the guest, in call errors
//! returned to the integrator, or in the host's tracing output.

use std::os::unix::fs::symlink;

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::{GrantSpec, Operation::*};

const GRANTED: &str = "GRANTED-FILE-CONTENT-51c2";

#[test]
fn no_diagnostic_leaks_content_host_paths_or_secrets() {
    capture_logs();
    let sb = Sandbox::new();
    sb.file("readable.txt", GRANTED);
    sb.file("private/key.pem", SECRET);
    symlink(sb.outside.join("secret.txt"), sb.mount.join("link")).unwrap();
    let hostile = load("hostile");
    let spec = GrantSpec::new("m", &sb.mount, &[Read, List, Write, Stat]).exclude("private/**");
    let g = grants(&hostile, &[spec]);

    let mut messages = Vec::new();
    // A successful read: the content reaches the guest, never a diagnostic.
    assert_eq!(
        probe(
            &hostile,
            &g,
            json!({"op": "read", "path": "m/readable.txt"})
        )
        .unwrap()["text"],
        GRANTED
    );
    let host_root = sb.temp.path().to_string_lossy().into_owned();
    let attempts = [
        json!({"op": "read", "path": "m/../outside/secret.txt"}),
        json!({"op": "read", "path": "m/link"}),
        json!({"op": "read", "path": "m/private/key.pem"}),
        json!({"op": "read", "path": format!("m/{host_root}/outside/secret.txt")}),
        json!({"op": "read", "path": host_root}),
        json!({"op": "read", "path": "m/password=hunter2/x"}),
        json!({"op": "read", "path": "m/token/ghp_abcdefghijklmnopqrstuvwxyz0123456789"}),
        json!({"op": "write", "path": "m/readable.txt", "text": "new", "expected_digest": "0".repeat(64)}),
        json!({"op": "write", "path": "m/readable.txt", "fill_bytes": 8 * 1024 * 1024}),
        json!({"op": "list", "path": "m/readable.txt"}),
        json!({"op": "read", "path": format!("m/{}", "y".repeat(2000))}),
    ];
    for input in attempts {
        let (code, message) = probe(&hostile, &g, input.clone()).expect_err("must fail");
        assert!(!code.is_empty());
        assert!(
            message.len() <= yoi_plugin_host::limits::MAX_DIAGNOSTIC_BYTES,
            "{message}"
        );
        messages.push(message);
    }
    // A tool failure carrying an fs error up to the integrator.
    let notes = load("notes");
    let notes_grants = grants(
        &notes,
        &[GrantSpec::new("m", &sb.mount, &[Read]).exclude("private/**")],
    );
    let failed = call(
        &notes,
        &notes_grants,
        "read",
        &json!({"path": "m/private/key.pem"}),
    );
    messages.push(failed.result.unwrap_err().to_string());

    // Guest log text reaches the integrator in the outcome, never the host's logs.
    let flood = hostile.call_blocking(
        g.clone(),
        "log_bomb",
        &json!({"count": 3, "bytes": 300}).to_string(),
        &Default::default(),
    );
    assert_eq!(flood.logs.len(), 3);
    assert_eq!(flood.logs[0].message, "l".repeat(300));

    let logs = captured_logs();
    assert!(
        !logs.contains(&"l".repeat(300)),
        "guest log text was copied into host logs"
    );
    assert!(
        logs.contains("decision=\"denied\"") || logs.contains("decision=denied"),
        "fs decisions are traced"
    );
    assert!(
        logs.contains("component:hostile#"),
        "decisions carry the plugin identity"
    );
    for haystack in messages.iter().map(String::as_str).chain([logs.as_str()]) {
        for needle in [
            SECRET,
            GRANTED,
            host_root.as_str(),
            "hunter2",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        ] {
            assert!(
                !haystack.contains(needle),
                "diagnostic leaked {needle:?}: {}",
                &haystack[..haystack.len().min(400)]
            );
        }
    }
}
