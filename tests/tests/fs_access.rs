//! Allowed read / list / write through real plugins, denial without a
//! grant, no inherited authority, and include/exclude policies.

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::runtime::CallError;
use yoi_plugin_host::{GrantSpec, Operation::*};

#[test]
fn granted_plugin_reads_an_allowed_file() {
    let sb = Sandbox::new();
    sb.file("journal.md", "line one\nline two\n");
    let notes = load("notes");
    let g = grants(&notes, &[GrantSpec::new("m", &sb.mount, &[Read])]);
    let out = call_ok(&notes, &g, "read", &json!({"path": "m/journal.md"}));
    assert_eq!(out["text"], "line one\nline two\n");
}

#[test]
fn granted_plugin_lists_an_allowed_directory() {
    let sb = Sandbox::new();
    sb.file("b.md", "bb");
    sb.file("a.md", "a");
    sb.file("sub/c.md", "c");
    let notes = load("notes");
    let g = grants(&notes, &[GrantSpec::new("m", &sb.mount, &[List])]);
    let out = call_ok(&notes, &g, "list", &json!({"path": "m"}));
    let entries = out["entries"].as_array().unwrap();
    let names: Vec<_> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.md", "b.md", "sub"], "sorted bytewise");
    assert_eq!(entries[1]["size"], 2);
    assert_eq!(entries[2]["kind"], "directory");
}

#[test]
fn granted_plugin_writes_an_allowed_file() {
    let sb = Sandbox::new();
    let path = sb.file("journal.md", "first\n");
    let notes = load("notes");
    let g = grants(&notes, &[GrantSpec::new("m", &sb.mount, &[Read, Write])]);
    call_ok(
        &notes,
        &g,
        "append",
        &json!({"path": "m/journal.md", "text": "second"}),
    );
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert!(
        on_disk.starts_with("first\n") && on_disk.contains("second"),
        "{on_disk:?}"
    );

    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Write])]);
    let ok = probe(
        &hostile,
        &g,
        json!({"op": "write", "path": "m/new.txt", "text": "hello", "mode": "create-new"}),
    )
    .unwrap();
    assert_eq!(ok["size"], 5);
    assert_eq!(
        std::fs::read_to_string(sb.mount.join("new.txt")).unwrap(),
        "hello"
    );
    let code = probe_code(
        &hostile,
        &g,
        json!({"op": "write", "path": "m/new.txt", "text": "again", "mode": "create-new"}),
    );
    assert_eq!(code, "already-exists");
    let code = probe_code(
        &hostile,
        &g,
        json!({"op": "write", "path": "m/missing.txt", "text": "x", "mode": "replace-existing"}),
    );
    assert_eq!(code, "not-found");
    assert!(!sb.mount.join("missing.txt").exists());
}

#[test]
fn read_and_list_page_with_offsets_and_cursors() {
    let sb = Sandbox::new();
    sb.file("f.txt", "0123456789");
    for i in 0..7 {
        sb.file(&format!("d/e{i}"), "x");
    }
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Read, List])]);
    let page = probe(
        &hostile,
        &g,
        json!({"op": "read", "path": "m/f.txt", "offset": 3, "max_len": 4}),
    )
    .unwrap();
    assert_eq!(
        (
            page["text"].as_str(),
            page["size"].as_u64(),
            page["truncated"].as_bool()
        ),
        (Some("3456"), Some(10), Some(true))
    );
    let tail = probe(
        &hostile,
        &g,
        json!({"op": "read", "path": "m/f.txt", "offset": 7, "max_len": 100}),
    )
    .unwrap();
    assert_eq!(
        (tail["text"].as_str(), tail["truncated"].as_bool()),
        (Some("789"), Some(false))
    );
    let past = probe(
        &hostile,
        &g,
        json!({"op": "read", "path": "m/f.txt", "offset": 50, "max_len": 10}),
    )
    .unwrap();
    assert_eq!(past["len"], 0);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut input = json!({"op": "list", "path": "m/d", "max_entries": 3});
        if let Some(c) = &cursor {
            input["cursor"] = json!(c);
        }
        let page = probe(&hostile, &g, input).unwrap();
        let entries = page["entries"].as_array().unwrap();
        assert!(entries.len() <= 3);
        seen.extend(
            entries
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let expected: Vec<_> = (0..7).map(|i| format!("e{i}")).collect();
    assert_eq!(seen, expected, "every entry exactly once, in order");
}

#[test]
fn no_grant_means_every_operation_is_denied() {
    let sb = Sandbox::new();
    sb.file("a.txt", "content");
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    for input in [
        json!({"op": "read", "path": "m/a.txt"}),
        json!({"op": "list", "path": "m"}),
        json!({"op": "stat", "path": "m/a.txt"}),
        json!({"op": "write", "path": "m/b.txt", "text": "x"}),
    ] {
        assert_eq!(probe_code(&hostile, &g, input.clone()), "denied", "{input}");
    }
    assert!(!sb.mount.join("b.txt").exists());
}

#[test]
fn operations_outside_the_grant_are_denied() {
    let sb = Sandbox::new();
    let file = sb.file("a.txt", "original");
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Read])]);
    assert_eq!(
        probe(&hostile, &g, json!({"op": "read", "path": "m/a.txt"})).unwrap()["text"],
        "original"
    );
    assert_eq!(
        probe_code(
            &hostile,
            &g,
            json!({"op": "write", "path": "m/a.txt", "text": "changed"})
        ),
        "denied"
    );
    assert_eq!(
        probe_code(&hostile, &g, json!({"op": "list", "path": "m"})),
        "denied"
    );
    assert_eq!(
        probe_code(&hostile, &g, json!({"op": "stat", "path": "m/a.txt"})),
        "denied"
    );
    assert_eq!(std::fs::read_to_string(file).unwrap(), "original");
}

/// A worker/workspace (here: the test process and another plugin) holding
/// write authority over a directory gives a plugin nothing.
#[test]
fn workspace_authority_is_not_inherited() {
    let workspace = Sandbox::new();
    workspace.file("src/main.rs", "fn main() {}");
    let notes = load("notes");
    let hostile = load("hostile");
    // The workspace is granted (read+write) to `notes` only.
    let notes_grants = grants(
        &notes,
        &[GrantSpec::new(
            "workspace",
            &workspace.mount,
            &[Read, Write, List],
        )],
    );
    call_ok(
        &notes,
        &notes_grants,
        "read",
        &json!({"path": "workspace/src/main.rs"}),
    );

    // `hostile` has its own, unrelated grant; the workspace mount does not exist for it.
    let other = Sandbox::new();
    let hostile_grants = grants(
        &hostile,
        &[GrantSpec::new("scratch", &other.mount, &[Read, Write])],
    );
    for input in [
        json!({"op": "read", "path": "workspace/src/main.rs"}),
        json!({"op": "write", "path": "workspace/src/main.rs", "text": "pwned"}),
        json!({"op": "read", "path": "Cargo.toml"}),
        json!({"op": "list", "path": "workspace"}),
    ] {
        assert_eq!(
            probe_code(&hostile, &hostile_grants, input.clone()),
            "denied",
            "{input}"
        );
    }
    // Grants issued for one plugin cannot be handed to another.
    let outcome = call(
        &hostile,
        &notes_grants,
        "fs",
        &json!({"op": "read", "path": "workspace/src/main.rs"}),
    );
    assert_eq!(outcome.result.unwrap_err(), CallError::GrantMismatch);
    assert_eq!(
        std::fs::read_to_string(workspace.mount.join("src/main.rs")).unwrap(),
        "fn main() {}"
    );
}

#[test]
fn include_and_exclude_patterns_narrow_a_grant() {
    let sb = Sandbox::new();
    sb.file("notes/a.md", "a");
    sb.file("notes/deep/b.md", "b");
    sb.file("notes/api.key", "k");
    sb.file("secret.txt", "s");
    let hostile = load("hostile");
    let spec = GrantSpec::new("m", &sb.mount, &[Read, List, Write, Stat])
        .include("notes/**")
        .exclude("**/*.key");
    let g = grants(&hostile, &[spec]);
    assert_eq!(
        probe(
            &hostile,
            &g,
            json!({"op": "read", "path": "m/notes/deep/b.md"})
        )
        .unwrap()["text"],
        "b"
    );
    assert_eq!(
        probe_code(&hostile, &g, json!({"op": "read", "path": "m/secret.txt"})),
        "denied"
    );
    assert_eq!(
        probe_code(
            &hostile,
            &g,
            json!({"op": "read", "path": "m/notes/api.key"})
        ),
        "denied"
    );
    assert_eq!(
        probe_code(
            &hostile,
            &g,
            json!({"op": "write", "path": "m/top.txt", "text": "x"})
        ),
        "denied"
    );
    let root = probe(&hostile, &g, json!({"op": "list", "path": "m"})).unwrap();
    let names: Vec<_> = root["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["notes"]);
    let notes = probe(&hostile, &g, json!({"op": "list", "path": "m/notes"})).unwrap();
    let names: Vec<_> = notes["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.md", "deep"]);

    // One-file grant.
    let one = GrantSpec::new("m", &sb.mount, &[Read, Write]).include("notes/a.md");
    let g = grants(&hostile, &[one]);
    assert_eq!(
        probe(&hostile, &g, json!({"op": "read", "path": "m/notes/a.md"})).unwrap()["text"],
        "a"
    );
    assert_eq!(
        probe_code(
            &hostile,
            &g,
            json!({"op": "read", "path": "m/notes/deep/b.md"})
        ),
        "denied"
    );
}
