//! Tests of the host policy: parsing, validation, and that effective
//! grants never widen a request.
use super::*;
use crate::error::ErrorCode;

const POLICY: &str = r#"
[runtime]
secrets = true
capabilities = ["capability:fs"]

[mounts.notes]
dir = "/srv/notes"
ops = ["read", "list", "stat"]
exclude = ["**/*.key"]
bounds = { read_bytes = 4096 }

[mounts.journal]
dir = "/srv/journal"
ops = ["read", "write"]
include = ["journal/**", "todo.md"]

[secrets.github-token]
env = "GITHUB_TOKEN"
"#;

fn policy() -> HostPolicy {
    HostPolicy::from_toml_str(POLICY).unwrap()
}

fn request(mount: &str, ops: &[Operation], include: &[&str], exclude: &[&str]) -> GrantRequest {
    let mut r = GrantRequest::new(mount, ops);
    r.include = include.iter().map(|s| s.to_string()).collect();
    r.exclude = exclude.iter().map(|s| s.to_string()).collect();
    r
}

fn code(result: Result<Vec<GrantSpec>, PolicyError>) -> &'static str {
    result.map_or_else(|e| e.code(), |_| "ok")
}

#[test]
fn effective_grant_is_the_intersection() {
    use Operation::*;
    let p = policy();
    let req = request("notes", &[Read, Write, List], &["a/**"], &["**/*.tmp"]);
    let specs = p.effective_grants(&[req]).unwrap();
    let s = &specs[0];
    assert_eq!(s.dir, PathBuf::from("/srv/notes"));
    assert_eq!(s.ops, [Read, List], "write is dropped");
    assert_eq!(s.include, ["a/**"]);
    assert_eq!(s.exclude, ["**/*.key", "**/*.tmp"]);
    assert_eq!(s.bounds.read_bytes, Some(4096));
    assert_eq!(s.bounds.write_bytes, Some(FsBounds::HOST_MAX.write_bytes));
    assert!(s.open().is_err(), "the directory does not exist here");
}

#[test]
fn intersection_never_widens() {
    use Operation::*;
    let p = policy();
    let grant = |include: &[&str]| {
        p.effective_grants(&[request("journal", &[Read, Write, List, Stat], include, &[])])
    };
    // No request include: the host's apply.
    assert_eq!(grant(&[]).unwrap()[0].include, ["journal/**", "todo.md"]);
    assert_eq!(grant(&[]).unwrap()[0].ops, [Read, Write]);
    // Narrower request patterns are kept, wider ones narrowed to the host's.
    assert_eq!(
        grant(&["journal/2026/**"]).unwrap()[0].include,
        ["journal/2026/**"]
    );
    assert_eq!(
        grant(&["**"]).unwrap()[0].include,
        ["journal/**", "todo.md"]
    );
    assert_eq!(grant(&["*.md"]).unwrap()[0].include, ["todo.md"]);
    assert_eq!(
        grant(&["journal/*.md", "other/**"]).unwrap()[0].include,
        ["journal/*.md"]
    );
    // Nothing in common: denied, not "everything".
    assert_eq!(code(grant(&["other/**"])), "capability-denied");
    assert_eq!(code(grant(&["*.txt"])), "capability-denied");
    // Every effective spec is within both sides.
    for include in [
        &[][..],
        &["journal/**"],
        &["journal/a/**", "todo.md"],
        &["**/*.md"],
    ] {
        let Ok(specs) = grant(include) else { continue };
        let s = &specs[0];
        assert!(s.ops.iter().all(|op| p.mounts["journal"].ops.contains(op)));
        assert!(!s.include.is_empty());
        for pat in &s.include {
            assert!(
                p.mounts["journal"].include.iter().any(|h| covers(h, pat)),
                "{pat}"
            );
            assert!(
                include.is_empty() || include.iter().any(|r| covers(r, pat)),
                "{pat}"
            );
        }
    }
}

#[test]
fn unknown_mount_dropped_ops_and_empty_intersection() {
    use Operation::*;
    let p = policy();
    let r = p.effective_grants(&[request("photos", &[Read], &[], &[])]);
    let err = r.unwrap_err();
    assert_eq!(err.code(), "mount-not-available");
    assert!(err.to_string().contains("photos"));
    let r = p.effective_grants(&[request("notes", &[Write], &[], &[])]);
    assert_eq!(code(r), "capability-denied");
    let r = p.effective_grants(&[
        request("notes", &[Read], &[], &[]),
        request("notes", &[List], &[], &[]),
    ]);
    assert_eq!(code(r), "duplicate-mount");
    let r = p.effective_grants(&[request("Notes", &[Read], &[], &[])]);
    assert_eq!(code(r), "invalid-field");
    let r = p.effective_grants(&[request("notes", &[Read], &["/etc/**"], &[])]);
    assert_eq!(code(r), "path-like-value");
    assert_eq!(p.effective_grants(&[]).unwrap(), []);
}

#[test]
fn declarations_and_capabilities() {
    let p = policy();
    assert!(p.supports(DeclarationKind::Secret));
    assert!(p.supports(DeclarationKind::Mount));
    for kind in [
        DeclarationKind::Shell,
        DeclarationKind::Network,
        DeclarationKind::Git,
    ] {
        assert!(!p.supports(kind));
        let err = p
            .check_declaration(&Declaration::new(kind, "x"))
            .unwrap_err();
        assert_eq!(err.code(), "unsupported-declaration", "{err}");
    }
    assert!(p.allows_capability("capability:fs"));
    assert!(!p.allows_capability("capability:net"));
    let ok = |kind, token| p.check_declaration(&Declaration::new(kind, token));
    assert_eq!(ok(DeclarationKind::Mount, "notes"), Ok(()));
    assert_eq!(ok(DeclarationKind::Secret, "github-token"), Ok(()));
    // A secret reference is satisfiable only when [secrets] defines it.
    assert_eq!(
        ok(DeclarationKind::Secret, "other-token")
            .unwrap_err()
            .code(),
        "capability-denied"
    );
    assert_eq!(ok(DeclarationKind::Capability, "fs"), Ok(()));
    assert_eq!(
        ok(DeclarationKind::Mount, "photos").unwrap_err().code(),
        "mount-not-available"
    );
    assert_eq!(
        ok(DeclarationKind::Capability, "net").unwrap_err().code(),
        "capability-denied"
    );
    assert_eq!(
        ok(DeclarationKind::Secret, ".cache/yoi")
            .unwrap_err()
            .code(),
        "path-like-value"
    );
    let empty = HostPolicy::from_toml_str("").unwrap();
    assert!(!empty.supports(DeclarationKind::Secret));
    assert!(!empty.allows_capability("capability:fs"));
    assert_eq!(
        code(empty.effective_grants(&[request("notes", &[Operation::Read], &[], &[])])),
        "mount-not-available"
    );
}

#[test]
fn parse_errors_name_the_field() {
    let cases = [
        (
            "[mounts.notes]\ndir = \"/srv/n\"\nops = [\"read\"]\ndirr = 1\n",
            4,
            "mounts.notes.dirr",
            "dirr",
        ),
        (
            "[mounts.notes]\ndir = \"/srv/n\"\nops = [\"delete\"]\n",
            3,
            "mounts.notes.ops",
            "delete",
        ),
        (
            "[runtime]\nshell = \"/bin/sh\"\n",
            2,
            "runtime.shell",
            "expected",
        ),
        ("[runtime]\nsudo = true\n", 2, "runtime.sudo", "sudo"),
        (
            "[mounts.notes]\nops = [\"read\"]\n",
            1,
            "mounts.notes",
            "dir",
        ),
    ];
    for (text, line, field, mentions) in cases {
        let err = HostPolicy::from_toml_str(text).unwrap_err();
        let PolicyError::Parse {
            line: l,
            field: f,
            message,
        } = &err
        else {
            panic!("{err}");
        };
        assert_eq!((*l, f.as_deref()), (Some(line), Some(field)), "{err}");
        assert!(message.contains(mentions), "{err}");
        assert!(!err.to_string().contains("/bin/sh"), "{err}");
        assert_eq!(err.code(), "policy-parse");
    }
    let err = HostPolicy::from_toml_str("[mounts.notes\n").unwrap_err();
    assert_eq!(err.code(), "policy-parse");
}

#[test]
fn validation_errors() {
    let check = |text: &str| HostPolicy::from_toml_str(text).map_or_else(|e| e.code(), |_| "ok");
    assert_eq!(
        check("[mounts.\".x\"]\ndir = \"/a\"\nops = [\"read\"]"),
        "invalid-mount"
    );
    assert_eq!(
        check("[mounts.Notes]\ndir = \"/a\"\nops = [\"read\"]"),
        "invalid-mount"
    );
    assert_eq!(
        check("[mounts.n]\ndir = \"rel/dir\"\nops = [\"read\"]"),
        "invalid-dir"
    );
    assert_eq!(
        check("[mounts.n]\ndir = \"/a/../b\"\nops = [\"read\"]"),
        "invalid-dir"
    );
    assert_eq!(check("[mounts.n]\ndir = \"/a\"\nops = []"), "no-operations");
    assert_eq!(
        check("[mounts.n]\ndir = \"/a\"\nops = [\"read\"]\ninclude = [\"a/[\"]"),
        "invalid-pattern"
    );
    assert_eq!(
        check("[runtime]\ncapabilities = [\"fs\"]"),
        "invalid-capability"
    );
    let err = HostPolicy::from_toml_str("[mounts.n]\ndir = \"rel/secret-dir\"\nops = [\"read\"]")
        .unwrap_err();
    assert!(!err.to_string().contains("secret-dir"), "{err}");
    assert!(!format!("{:?}", policy()).contains("/srv"));
}

#[test]
fn load_from_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, POLICY).unwrap();
    assert_eq!(HostPolicy::load(&path).unwrap(), policy());
    let err = HostPolicy::load(dir.path().join("missing.toml")).unwrap_err();
    assert_eq!(err.code(), "policy-unreadable");
    assert!(!err.to_string().contains(dir.path().to_str().unwrap()));
}

#[test]
fn limits_and_the_call_pool_come_from_the_policy_within_their_ranges() {
    let policy = HostPolicy::from_toml_str(
        "[runtime]\nmax_concurrent_calls = 4\nmax_queued_calls = 8\n\
         [limits]\ntimeout = 2000\nmemory_bytes = 8388608\n",
    )
    .unwrap();
    assert_eq!(policy.runtime.max_concurrent_calls(), 4);
    assert_eq!(policy.runtime.max_queued_calls(), 8);
    let limits = policy.call_limits();
    assert_eq!(limits.timeout, std::time::Duration::from_millis(2000));
    assert_eq!(limits.memory_bytes, 8 * 1024 * 1024);
    // Fields left out take the per-call defaults; the table is the ceiling.
    assert_eq!(
        limits.max_input_bytes,
        crate::CallLimits::default().max_input_bytes
    );
    assert_eq!(policy.ceiling(), limits);
    // Without a table: defaults under the built-in ceiling.
    let open = HostPolicy::default();
    assert_eq!(open.call_limits(), crate::CallLimits::default());
    assert_eq!(open.ceiling(), crate::CallLimits::ceiling());
    for bad in [
        "[runtime]\nmax_concurrent_calls = 0\n",
        "[runtime]\nmax_queued_calls = 1000000\n",
        "[limits]\ntimeout = 0\n",
        "[limits]\ntimeout = 700000\n",
        "[limits]\nmemory_bytes = 1\n",
        "[limits]\nmemories = 0\n",
        "[limits]\nfs_budget = { calls = 18446744073709551615 }\n",
        "[limits]\nhttp = { max_in_flight = 0 }\n",
        "[limits]\nhttp = { max_response_body_bytes = 1000000000000 }\n",
        "[limits]\nhttp = { connect_timeout = 0 }\n",
    ] {
        let err = HostPolicy::from_toml_str(bad).unwrap_err();
        assert_eq!(err.code(), "invalid-limit", "{bad}: {err}");
    }
    let err = HostPolicy::from_toml_str("[limits]\ntimeout_ms = 5\n").unwrap_err();
    assert_eq!(err.code(), "policy-parse");
    // The per-invocation fs budget: each total optional, the rest default.
    let budget = HostPolicy::from_toml_str("[limits]\nfs_budget = { calls = 3 }\n").unwrap();
    let (read, _, calls) = budget.call_limits().fs_budget.totals();
    let (default_read, _, _) = crate::CallLimits::default().fs_budget.totals();
    assert_eq!((read, calls), (default_read, 3));
    let err = HostPolicy::from_toml_str("[limits]\nfs_budget = { files = 3 }\n").unwrap_err();
    assert_eq!(err.code(), "policy-parse");
    // The HTTP bounds: each optional, the rest default; the table is also
    // the ceiling, so a caller cannot raise them.
    let http = HostPolicy::from_toml_str(
        "[limits]\nhttp = { max_in_flight = 1, connect_timeout = 2500 }\n",
    )
    .unwrap();
    let bounds = http.call_limits().http;
    assert_eq!(bounds.max_in_flight, 1);
    assert_eq!(
        bounds.connect_timeout,
        std::time::Duration::from_millis(2500)
    );
    assert_eq!(
        bounds.max_headers,
        crate::limits::HttpBounds::default().max_headers
    );
    let greedy = crate::CallLimits {
        http: crate::limits::HttpBounds::ceiling(),
        ..crate::CallLimits::default()
    };
    assert_eq!(greedy.capped_by(&http.ceiling()).http.max_in_flight, 1);
    let err = HostPolicy::from_toml_str("[limits]\nhttp = { in_flight = 3 }\n").unwrap_err();
    assert_eq!(err.code(), "policy-parse");
}
