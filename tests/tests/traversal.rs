//! Path traversal in every spelling is rejected before the disk is touched,
//! and encoded forms are literal names that cannot escape.

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::{GrantSpec, Operation::*};

#[test]
fn traversal_encodings_are_rejected() {
    let sb = Sandbox::new();
    sb.file("inner/a.txt", "inside");
    let hostile = load("hostile");
    let g = grants(
        &hostile,
        &[GrantSpec::new("m", &sb.mount, &[Read, List, Write, Stat])],
    );
    let outside = sb.outside.join("secret.txt");
    let absolute = outside.to_string_lossy().into_owned();
    let cases = [
        "m/../outside/secret.txt",
        "..",
        "../outside/secret.txt",
        "m/inner/../../outside/secret.txt",
        "m/a/../..",
        "./../outside/secret.txt",
        "m/./inner/a.txt",
        "m/inner/.",
        ".",
        "m//inner/a.txt",
        "m/inner/",
        "/etc/passwd",
        absolute.as_str(),
        "m\\..\\outside\\secret.txt",
        "m/inner\\a.txt",
        "C:/Windows/win.ini",
        "c:m/a.txt",
        "m/inner/a.txt\0.png",
        "m/\n/../secret",
        "m/\u{1b}[31m",
        "",
    ];
    for path in cases {
        for op in ["read", "list", "stat", "write"] {
            let code = probe_code(&hostile, &g, json!({"op": op, "path": path, "text": "x"}));
            assert_eq!(code, "invalid-path", "{op} {path:?}");
        }
    }
    let overlong = format!("m/{}", "a/".repeat(600));
    assert_eq!(
        probe_code(&hostile, &g, json!({"op": "read", "path": overlong})),
        "invalid-path"
    );
    assert_eq!(std::fs::read_to_string(outside).unwrap(), SECRET);
}

#[test]
fn encoded_dots_are_literal_names() {
    let sb = Sandbox::new();
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Read, Write])]);
    for path in [
        "m/%2e%2e/outside/secret.txt",
        "m/%2E%2E%2Foutside%2Fsecret.txt",
        "m/..%2fsecret.txt",
        "m/%252e%252e/secret.txt",
        "m/\u{ff0e}\u{ff0e}/secret.txt",
        "m/..../secret.txt",
    ] {
        let code = probe_code(&hostile, &g, json!({"op": "read", "path": path}));
        assert_eq!(code, "not-found", "{path}");
    }
    // Writing one creates a file with that literal name inside the mount.
    probe(
        &hostile,
        &g,
        json!({"op": "write", "path": "m/%2e%2e", "text": "literal"}),
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(sb.mount.join("%2e%2e")).unwrap(),
        "literal"
    );
    assert_eq!(
        std::fs::read_to_string(sb.outside.join("secret.txt")).unwrap(),
        SECRET
    );
}

#[test]
fn paths_outside_every_grant_are_denied() {
    let sb = Sandbox::new();
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Read])]);
    for path in ["outside/secret.txt", "mm/x", "M/x", "etc/passwd", "tmp"] {
        assert_eq!(
            probe_code(&hostile, &g, json!({"op": "read", "path": path})),
            "denied",
            "{path}"
        );
    }
}

/// The Unicode policy: one spelling per file, no look-alike names. Bidi
/// controls, a BOM, zero-width and no-break spaces, a leading combining mark
/// and NFD spellings are refused for every op; names the host created that
/// break the policy are not listed (a guest could not address them).
#[test]
fn lookalike_and_non_nfc_names_are_refused_and_unlisted() {
    let sb = Sandbox::new();
    sb.file("dir/plain.txt", "ok");
    sb.file("dir/gnp.\u{202E}txt", "rtlo");
    sb.file("dir/e\u{0301}te.txt", "nfd");
    let hostile = load("hostile");
    let g = grants(
        &hostile,
        &[GrantSpec::new("m", &sb.mount, &[Read, List, Write, Stat])],
    );
    for name in [
        "gnp.\u{202E}txt",
        "\u{FEFF}a.txt",
        "zero\u{200B}width",
        "no\u{A0}break",
        "\u{0301}lead",
        "e\u{0301}te.txt",
        "\u{2066}..\u{2069}",
    ] {
        for op in [
            json!({"op": "read", "path": format!("m/dir/{name}")}),
            json!({"op": "stat", "path": format!("m/dir/{name}")}),
            json!({"op": "write", "path": format!("m/dir/{name}"), "text": "x"}),
        ] {
            assert_eq!(probe_code(&hostile, &g, op.clone()), "invalid-path", "{op}");
        }
    }
    let listed = probe(&hostile, &g, json!({"op": "list", "path": "m/dir"})).unwrap();
    let names: Vec<&str> = listed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["plain.txt"]);
    // The NFC spelling is a normal name.
    probe(
        &hostile,
        &g,
        json!({"op": "write", "path": "m/dir/\u{e9}te.txt", "text": "nfc"}),
    )
    .unwrap();
}
