//! The author's path end to end through the real `yoi-plugin` binary:
//! `new` → `cargo build --target wasm32-wasip2` → `check` → `pack` →
//! `install` → `list` → `show` → `run` → `remove`, with no hand edits.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn cli(store: &Path, args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yoi-plugin"))
        .arg("--store")
        .arg(store)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run yoi-plugin")
}

fn json_ok(out: Output) -> Value {
    assert!(
        out.status.success(),
        "failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json output")
}

#[test]
fn new_build_check_pack_install_run() {
    let temp = tempfile::tempdir().unwrap();
    let work = temp.path();
    let store = work.join("store");
    let created = json_ok(cli(&store, &["--json", "new", "word-count"], work));
    assert_eq!(created["name"], "word-count");
    let plugin = work.join("word-count");
    // Share build artifacts between runs of this test through a `target`
    // symlink; the starter itself is untouched.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/starter-build");
    std::fs::create_dir_all(&shared).unwrap();
    std::os::unix::fs::symlink(&shared, plugin.join("target")).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = Command::new(cargo)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .current_dir(&plugin)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .unwrap();
    assert!(build.success(), "the starter must build as created");

    let checked = json_ok(cli(&store, &["--json", "check", "."], &plugin));
    assert_eq!(checked["package"]["id"], "word-count");
    let packed = json_ok(cli(&store, &["--json", "pack", "."], &plugin));
    let file: PathBuf = plugin.join(packed["file"].as_str().unwrap());
    let installed = json_ok(cli(
        &store,
        &["--json", "install", file.to_str().unwrap()],
        work,
    ));
    assert_eq!(installed["id"], "user:word-count");
    assert_eq!(installed["digest"], packed["digest"]);
    let listed = json_ok(cli(&store, &["--json", "list"], work));
    assert_eq!(listed["plugins"][0]["id"], "user:word-count");

    let data = work.join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("poem.txt"), "one\ntwo\nthree\n").unwrap();
    let grant = format!("data={}:read", data.display());
    let shown = json_ok(cli(
        &store,
        &["--json", "show", "user:word-count", "--grant", &grant],
        work,
    ));
    assert_eq!(shown["mounts"][0]["mount"], "data");
    assert_eq!(shown["mounts"][0]["granted"][0], "read");

    let greeted = json_ok(cli(
        &store,
        &[
            "--json",
            "run",
            "user:word-count",
            "greet",
            "--input",
            r#"{"name":"yoi"}"#,
        ],
        work,
    ));
    assert_eq!(greeted["ok"]["greeting"], "Hello, yoi!");
    // Inputs above the argv limit come from a file or stdin.
    let long_name = "n".repeat(200 * 1024);
    let input_file = work.join("input.json");
    std::fs::write(&input_file, format!(r#"{{"name":"{long_name}"}}"#)).unwrap();
    let from_file = json_ok(cli(
        &store,
        &[
            "--json",
            "run",
            "user:word-count",
            "greet",
            "--input-file",
            input_file.to_str().unwrap(),
        ],
        work,
    ));
    assert_eq!(from_file["ok"]["greeting"], format!("Hello, {long_name}!"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_yoi-plugin"))
        .arg("--store")
        .arg(&store)
        .args([
            "--json",
            "run",
            "user:word-count",
            "greet",
            "--input-file",
            "-",
        ])
        .current_dir(work)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(br#"{"name":"stdin"}"#).unwrap();
    }
    let from_stdin = json_ok(child.wait_with_output().unwrap());
    assert_eq!(from_stdin["ok"]["greeting"], "Hello, stdin!");
    let counted = json_ok(cli(
        &store,
        &[
            "--json",
            "run",
            "user:word-count",
            "count_lines",
            "--input",
            r#"{"path":"data/poem.txt"}"#,
            "--grant",
            &grant,
        ],
        work,
    ));
    assert_eq!(counted["ok"]["lines"], 3);

    // Without the grant the same call fails with a typed error and exit 1.
    let denied = cli(
        &store,
        &[
            "--json",
            "run",
            "user:word-count",
            "count_lines",
            "--input",
            r#"{"path":"data/poem.txt"}"#,
        ],
        work,
    );
    assert_eq!(denied.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&denied.stdout).unwrap();
    assert_eq!(err["error"]["code"], "tool-failed");
    assert!(err["error"]["message"].as_str().unwrap().contains("denied"));
    // Input is validated against the manifest's schema before any call.
    let invalid = cli(
        &store,
        &[
            "--json",
            "run",
            "user:word-count",
            "greet",
            "--input",
            r#"{"nom":1}"#,
        ],
        work,
    );
    assert_eq!(invalid.status.code(), Some(1));
    assert_eq!(
        serde_json::from_slice::<Value>(&invalid.stdout).unwrap()["error"]["code"],
        "invalid-input"
    );

    // A config bundle pinning the installed plugin, verified, then tampered.
    let bundle = work.join("bundle.json");
    let bundle_s = bundle.to_str().unwrap();
    let create = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "bundle",
            "create",
            "--id",
            "team-a",
            "--workspace",
            "ws-1",
            "--profile",
            "count",
        ];
        args.extend([
            "--plugin",
            "user:word-count",
            "--grant",
            "data=read",
            "--declare",
            "mount:data",
        ]);
        args.extend(extra);
        cli(&store, &args, work)
    };
    let created = json_ok(create(&["-o", bundle_s]));
    let verified = json_ok(cli(&store, &["--json", "bundle", "verify", bundle_s], work));
    assert_eq!(verified["digest"], created["digest"]);
    let text = std::fs::read_to_string(&bundle).unwrap();
    assert!(
        text.contains(installed["digest"].as_str().unwrap()),
        "the plugin is pinned by digest"
    );
    std::fs::write(&bundle, text.replace("\"revision\": 1", "\"revision\": 2")).unwrap();
    let tampered = cli(&store, &["--json", "bundle", "verify", bundle_s], work);
    assert_eq!(tampered.status.code(), Some(3));
    assert_eq!(
        serde_json::from_slice::<Value>(&tampered.stdout).unwrap()["error"]["code"],
        "digest-mismatch"
    );
    let secret = create(&["--declare", "secret:password=hunter2"]);
    assert_eq!(secret.status.code(), Some(3));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&secret.stdout),
        String::from_utf8_lossy(&secret.stderr)
    );
    assert!(!said.contains("hunter2"), "{said}");

    json_ok(cli(&store, &["--json", "remove", "user:word-count"], work));
    let gone = cli(
        &store,
        &["--json", "run", "user:word-count", "greet", "--input", "{}"],
        work,
    );
    assert_eq!(gone.status.code(), Some(6));
}

#[test]
fn usage_errors_name_the_fix() {
    let temp = tempfile::tempdir().unwrap();
    let out = cli(temp.path(), &["new", "Bad Name"], temp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fix"));
    let out = cli(
        temp.path(),
        &["run", "user:x", "t", "--grant", "nonsense"],
        temp.path(),
    );
    assert_eq!(out.status.code(), Some(4));
    let out = cli(
        temp.path(),
        &["check", temp.path().to_str().unwrap()],
        temp.path(),
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing-manifest"));
}

/// Usage errors are typed and name what is wrong, before anything loads.
#[test]
fn misleading_inputs_get_precise_errors() {
    let temp = tempfile::tempdir().unwrap();
    let (store, work) = (temp.path().join("store"), temp.path());
    let code = |out: Output| -> (Option<i32>, String) {
        let v: Value = serde_json::from_slice(&out.stdout).expect("--json error");
        (
            out.status.code(),
            v["error"]["code"].as_str().unwrap().to_owned(),
        )
    };
    // A .wasm path that does not exist is not-found, not invalid-id.
    let missing = cli(&store, &["--json", "run", "missing.wasm", "greet"], work);
    assert_eq!(code(missing), (Some(6), "not-found".to_owned()));
    // An absurd timeout is refused instead of spinning a core.
    let huge = cli(
        &store,
        &[
            "--json",
            "run",
            "x.wasm",
            "t",
            "--timeout-ms",
            "18446744073709551615",
        ],
        work,
    );
    assert_eq!(code(huge), (Some(2), "invalid-timeout".to_owned()));
    // A grant that cannot be opened is an error, not a silently dropped section.
    let bad_grant = cli(
        &store,
        &[
            "--json",
            "show",
            "user:x",
            "--grant",
            "m=/nonexistent/yoi:read",
        ],
        work,
    );
    assert_eq!(code(bad_grant), (Some(4), "invalid-grant".to_owned()));
}

/// `yoi-plugin show X | head -1`: a reader that goes away early is not a
/// panic (Rust ignores SIGPIPE, so a plain `println!` would panic).
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let temp = tempfile::tempdir().unwrap();
    let component = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugins/hello.wasm");
    if !component.is_file() {
        panic!("run `cargo xtask build-plugins` first");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_yoi-plugin"))
        .arg("--store")
        .arg(temp.path())
        .arg("show")
        .arg(&component)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before any output
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{:?} {stderr}", out.status);
}

/// `new --lang js` and `new --lang python` → the build command `new`
/// prints → `check` → `pack` → `install` → `run`, with no hand edits. The
/// builds reuse the toolchains `cargo xtask build-plugins` installed under
/// target/toolchains (`YOI_TOOLCHAINS`), so nothing is downloaded.
#[test]
fn new_js_and_python_build_check_pack_install_run() {
    let toolchains = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/toolchains")
        .canonicalize()
        .ok()
        .filter(|t| t.join("js/node_modules").is_dir() && t.join("py/pyvenv.cfg").is_file())
        .unwrap_or_else(|| panic!("run `cargo xtask build-plugins` first (target/toolchains)"));
    let temp = tempfile::tempdir().unwrap();
    let work = temp.path();
    let store = work.join("store");
    // Side by side: the builds are mostly single-threaded.
    std::thread::scope(|scope| {
        for (lang, name, app) in [
            ("js", "greeter-js", "app.js"),
            ("python", "greeter-py", "app.py"),
        ] {
            let (store, toolchains) = (&store, &toolchains);
            scope.spawn(move || {
                let created = json_ok(cli(store, &["--json", "new", "--lang", lang, name], work));
                assert_eq!(created["name"], name);
                assert_eq!(created["lang"], lang);
                let plugin = work.join(name);
                let sources = |plugin: &Path| {
                    ["plugin.toml", app].map(|f| std::fs::read_to_string(plugin.join(f)).unwrap())
                };
                let before = sources(&plugin);

                // The one documented build command, as `new` printed it.
                let build = created["build"].as_str().unwrap();
                let mut words = build.split_whitespace();
                let status = Command::new(words.next().unwrap())
                    .args(words)
                    .current_dir(&plugin)
                    .env("YOI_TOOLCHAINS", toolchains)
                    .status()
                    .unwrap();
                assert!(
                    status.success(),
                    "{lang}: `{build}` must build the starter as created"
                );
                assert_eq!(
                    sources(&plugin),
                    before,
                    "{lang}: the build edits no source"
                );

                let checked = json_ok(cli(store, &["--json", "check", "."], &plugin));
                assert_eq!(checked["package"]["id"], name);
                assert_eq!(checked["package"]["tools"][0]["name"], "greet");
                assert_eq!(
                    checked["package"]["requested"]["host_apis"],
                    serde_json::json!(["log"])
                );
                let packed = json_ok(cli(store, &["--json", "pack", "."], &plugin));
                let file = plugin.join(packed["file"].as_str().unwrap());
                let installed = json_ok(cli(
                    store,
                    &["--json", "install", file.to_str().unwrap()],
                    work,
                ));
                let id = format!("user:{name}");
                assert_eq!(installed["id"], id.as_str());
                assert_eq!(installed["digest"], packed["digest"]);
                let greeted = json_ok(cli(
                    store,
                    &[
                        "--json",
                        "run",
                        &id,
                        "greet",
                        "--input",
                        r#"{"name":"yoi"}"#,
                    ],
                    work,
                ));
                assert_eq!(greeted["ok"]["greeting"], "Hello, yoi!", "{lang}");
                assert_eq!(greeted["logs"][0]["level"], "debug", "{lang}");
            });
        }
    });
}
