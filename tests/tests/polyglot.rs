//! Plugins written in JavaScript (componentize-js) and Python
//! (componentize-py, stock: no `--stub-wasi`) run on the same call path as
//! Rust ones, under the same grants: a granted read works, an escape is
//! refused with its fs code, a write without a write grant is denied, and
//! the Python component's inert `wasi:filesystem`/`wasi:sockets` imports
//! reach nothing. `cargo xtask build-plugins` builds both examples.

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::{CallError, CallLimits, GrantSpec, Operation};

fn failed_text(err: CallError) -> String {
    match err {
        CallError::ToolFailed(m) | CallError::InvalidInput(m) => m,
        other => panic!("expected a tool error, got {other:?}"),
    }
}

#[test]
fn javascript_hello_greets() {
    let hello = load("hello-js");
    assert!(
        hello
            .info()
            .imports
            .iter()
            .all(|i| i.starts_with("yoi:plugin/")),
        "the JS example imports no WASI: {:?}",
        hello.info().imports
    );
    let g = grants(&hello, &[]);
    let out = call_ok(&hello, &g, "greet", &json!({"name": "js"}));
    assert_eq!(out["greeting"], "Hello, js!");
    // A bad input is a typed tool error, not a trap.
    let err = call(&hello, &g, "greet", &json!({"nom": 1}))
        .result
        .unwrap_err();
    assert_eq!(err.code(), "invalid-input", "{err}");
}

#[test]
fn python_notes_reads_within_its_grant_only() {
    let notes = load("notes-py");
    assert!(
        notes
            .info()
            .imports
            .iter()
            .any(|i| i.starts_with("wasi:filesystem/")),
        "stock componentize-py imports wasi:filesystem (linked inert)"
    );
    let sb = Sandbox::new();
    sb.file("todo.md", "buy milk\n");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "top secret").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), sb.mount.join("link")).unwrap();
    let read_only = grants(
        &notes,
        &[GrantSpec::new("notes", &sb.mount, &[Operation::Read])],
    );
    let out = call_ok(
        &notes,
        &read_only,
        "read",
        &json!({"path": "notes/todo.md"}),
    );
    assert!(out.to_string().contains("buy milk"), "{out}");
    let limits = CallLimits::default();
    for (path, code) in [
        ("notes/../../etc/passwd", "invalid-path"),
        ("/etc/passwd", "invalid-path"),
        ("notes/link", "symlink"),
        ("other/x", "denied"),
    ] {
        let input = json!({ "path": path }).to_string();
        let err = notes
            .call_blocking(read_only.clone(), "read", &input, &limits)
            .result
            .unwrap_err();
        let text = failed_text(err);
        assert!(text.contains(code), "{path}: {text}");
        assert!(!text.contains("top secret") && !text.contains(&*outside.path().to_string_lossy()));
    }
    // Append needs a write grant.
    let input = json!({"path": "notes/todo.md", "text": "and eggs"}).to_string();
    let err = notes
        .call_blocking(read_only, "append", &input, &limits)
        .result
        .unwrap_err();
    assert!(failed_text(err).contains("denied"));
    assert_eq!(
        std::fs::read_to_string(sb.mount.join("todo.md")).unwrap(),
        "buy milk\n"
    );
    let writable = grants(
        &notes,
        &[GrantSpec::new(
            "notes",
            &sb.mount,
            &[Operation::Read, Operation::Write],
        )],
    );
    let input = json!({"path": "notes/todo.md", "text": "and eggs"});
    call_ok(&notes, &writable, "append", &input);
    let text = std::fs::read_to_string(sb.mount.join("todo.md")).unwrap();
    assert!(
        text.starts_with("buy milk\n") && text.contains("and eggs"),
        "{text}"
    );
}

/// A JS component records no tool list: packing the directory probes it
/// (no grants) and records the manifest's tools; a manifest tool the
/// component does not have is `tool-not-exported`, as for Rust.
#[test]
fn packing_probes_and_records_the_tools_of_any_language() {
    use yoi_plugin_host::ErrorCode;
    use yoi_plugin_host::package::Package;
    let component = plugins_dir().join("hello-js.wasm");
    let package = Package::from_dir_declaring(&example_dir("hello-js"), Some(&component), host())
        .unwrap_or_else(|e| panic!("[{}] {e}", e.code()));
    assert_eq!(package.info.declared_tools, Some(vec!["greet".to_owned()]));
    // Without probing, the same directory has no tool list to check.
    let err = Package::from_dir(&example_dir("hello-js"), Some(&component)).unwrap_err();
    assert_eq!(err.code(), "tools-not-declared");
    // A declared tool the component lacks.
    let dir = tempfile::tempdir().unwrap();
    let manifest = std::fs::read_to_string(example_dir("hello-js").join("plugin.toml")).unwrap();
    let extra = "\n[[tools]]\nname = \"shout\"\ndescription = \"not there\"\ninput_schema = { type = \"object\" }\n";
    let manifest = manifest.replace("\n[permissions]", &format!("{extra}\n[permissions]"));
    std::fs::write(dir.path().join("plugin.toml"), manifest).unwrap();
    let err = Package::from_dir_declaring(dir.path(), Some(&component), host()).unwrap_err();
    assert_eq!(err.code(), "tool-not-exported", "{err}");
}

/// A stock componentize-py component instantiates many core instances
/// (14 with componentize-py 0.25.1): a call allowed fewer is
/// `instance-limit` (not `memory-limit` or a bare trap), and the default
/// count runs it.
#[test]
fn python_instances_fit_the_default_count_and_a_low_one_is_instance_limit() {
    let notes = load("notes-py");
    let g = grants(&notes, &[]);
    let input = json!({"path": "notes/x"}).to_string();
    let tight = CallLimits {
        instances: 8,
        ..CallLimits::default()
    };
    let err = notes
        .call_blocking(g.clone(), "read", &input, &tight)
        .result
        .unwrap_err();
    assert_eq!(err, CallError::InstanceLimit(8));
    // With the default count it runs (and the fs call, ungranted, is denied).
    let err = notes
        .call_blocking(g, "read", &input, &CallLimits::default())
        .result
        .unwrap_err();
    assert!(failed_text(err).contains("denied"));
}

/// `hostile-py` tries, from inside a stock componentize-py guest and with
/// Python's own standard library, to open host files, list host
/// directories, connect to a listening loopback socket, resolve a name
/// and read the host's environment. A yoi grant is not a preopen: even
/// with one, every attempt fails, and nothing of the host comes back.
#[test]
fn python_code_reaches_no_host_file_directory_socket_or_environment() {
    use std::io::ErrorKind;
    use std::net::TcpListener;

    let hostile = load("hostile-py");
    let sb = Sandbox::new();
    sb.file("todo.md", "buy milk\n");
    let g = grants(
        &hostile,
        &[GrantSpec::new(
            "notes",
            &sb.mount,
            &[Operation::Read, Operation::List],
        )],
    );
    // Each attempt must fail in the host's WASI layer (the error Python
    // reports for it), not earlier in Python for some other reason.
    let failed = |tool: &str, input: serde_json::Value, expected: &str| {
        let out = call_ok(&hostile, &g, tool, &input);
        assert_eq!(out["ok"], false, "{tool} {input}: {out}");
        let text = out.to_string();
        assert!(!text.contains(SECRET) && !text.contains("root:"), "{text}");
        let error = out["error"].as_str().unwrap_or_default();
        assert!(error.starts_with(expected), "{tool} {input}: {error}");
    };
    let secret = sb.outside.join("secret.txt");
    let todo = sb.mount.join("todo.md");
    for path in [
        "/etc/passwd",
        "/proc/self/environ",
        secret.to_str().unwrap(),
        todo.to_str().unwrap(),
        "notes/todo.md",
        "../../etc/passwd",
        "todo.md",
    ] {
        failed("open", json!({ "path": path }), "FileNotFoundError");
    }
    for path in [
        "/",
        ".",
        "/etc",
        "notes",
        sb.mount.to_str().unwrap(),
        sb.outside.to_str().unwrap(),
    ] {
        failed("listdir", json!({ "path": path }), "FileNotFoundError");
    }

    // A listener on loopback: the guest's connect is refused by the inert
    // wasi:sockets (access-denied, Python's PermissionError) and the
    // listener never sees a connection.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    for host in ["127.0.0.1", "localhost", "::1"] {
        failed(
            "connect",
            json!({ "host": host, "port": port }),
            "PermissionError",
        );
    }
    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the guest reached the listener: {other:?}"),
    }
    for host in ["localhost", "example.com"] {
        failed("resolve", json!({ "host": host }), "gaierror");
    }

    // No host environment variable and no host directory.
    let out = call_ok(&hostile, &g, "environ", &json!({}));
    let names: Vec<&str> = out["names"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    for (host_var, _) in std::env::vars() {
        assert!(
            !names.contains(&host_var.as_str()),
            "host variable {host_var} leaked: {names:?}"
        );
    }
    let cwd = out["cwd"].as_str().unwrap_or_default();
    let here = std::env::current_dir().unwrap();
    assert!(!cwd.contains(here.to_str().unwrap()), "{cwd}");
}
