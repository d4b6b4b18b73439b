//! Network grants through the real `yoi-plugin` binary: `--net` and
//! `--secret` on `run`, a planted secret that reaches the server's header
//! and no byte of any output (stdout, stderr, `--json`, `YOI_LOG=trace`),
//! and typed refusals of bad flags. The server is started here, on
//! loopback.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const PLANTED: &str = "cli-planted-SECRET-9d1e";

fn fetch_wasm() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/plugins/fetch.wasm")
}

#[path = "../../tests/tests/support/loopback.rs"]
mod loopback;

fn run(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yoi-plugin"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("YOI_TEST_TOKEN", PLANTED)
        .env("YOI_LOG", "trace")
        .output()
        .expect("run yoi-plugin")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_planted_secret_reaches_the_header_and_no_output() {
    let server = loopback::Server::start();
    let port = server.port;
    let temp = tempfile::tempdir().unwrap();
    let store = temp.path().join("store");
    let wasm = fetch_wasm();
    let wasm = wasm.to_str().unwrap();
    let grant = format!("http://127.0.0.1:{port}/,inject=authorization:bearer:tok");
    let url = format!(r#"{{"url":"http://127.0.0.1:{port}/hello"}}"#);
    let mut outputs = Vec::new();
    for json in [true, false] {
        let mut args = vec![];
        if json {
            args.push("--json");
        }
        args.extend([
            "run",
            wasm,
            "fetch",
            "--input",
            &url,
            "--net",
            &grant,
            "--secret",
            "tok=env:YOI_TEST_TOKEN",
        ]);
        let out = run(&store, &args);
        assert!(out.status.success(), "{}", text(&out));
        outputs.push(text(&out));
    }
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(
            request.headers["authorization"],
            format!("Bearer {PLANTED}")
        );
    }
    // A refused request and a tool error print nothing of it either.
    let denied = run(
        &store,
        &[
            "--json",
            "run",
            wasm,
            "fetch",
            "--input",
            r#"{"url":"http://127.0.0.2:9/"}"#,
            "--net",
            &grant,
            "--secret",
            "tok=env:YOI_TEST_TOKEN",
        ],
    );
    assert!(!denied.status.success());
    let failure: Value = serde_json::from_slice(&denied.stdout).unwrap_or(Value::Null);
    assert!(
        text(&denied).contains("http-request-denied"),
        "{}",
        text(&denied)
    );
    outputs.push(text(&denied));
    outputs.push(failure.to_string());
    let all = outputs.join("\n");
    assert!(
        !all.contains(PLANTED) && !all.contains("9d1e"),
        "the secret leaked"
    );
}

#[test]
fn bad_network_flags_are_refused_with_typed_codes() {
    let temp = tempfile::tempdir().unwrap();
    let store = temp.path().join("store");
    let wasm = fetch_wasm();
    let wasm = wasm.to_str().unwrap();
    let input = r#"{"url":"https://example.com/"}"#;
    for (flags, code) in [
        (vec!["--net", "ftp://example.com"], "invalid-net-grant"),
        (
            vec![
                "--net",
                "https://example.com,inject=authorization:bearer:tok",
            ],
            "secret-not-configured",
        ),
        (
            vec![
                "--net",
                "https://example.com,inject=authorization:bearer:tok",
                "--secret",
                "tok=env:YOI_SURELY_UNSET_VAR",
            ],
            "secret-unavailable",
        ),
        (
            vec!["--secret", "tok=value:inline"],
            "invalid-secret-source",
        ),
        (vec!["--secret", "tok"], "invalid-secret-source"),
        (vec!["--secret", "Bad Name=env:X"], "invalid-secret-name"),
    ] {
        let mut args = vec!["--json", "run", wasm, "fetch", "--input", input];
        args.extend(flags.iter().copied());
        let out = run(&store, &args);
        assert!(!out.status.success(), "{flags:?}");
        assert!(text(&out).contains(code), "{flags:?}: {}", text(&out));
        assert!(!text(&out).contains(PLANTED));
    }
}

#[test]
fn show_lists_requested_and_granted_network_without_secrets() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("fetch");
    std::fs::create_dir(&dir).unwrap();
    let manifest =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../example-plugins/fetch/plugin.toml");
    std::fs::copy(manifest, dir.join("plugin.toml")).unwrap();
    std::fs::copy(fetch_wasm(), dir.join("fetch.wasm")).unwrap();
    let grant = "https://*.example.org/v1,methods=GET+POST,inject=x-api-key:raw:tok";
    let args = |json: bool| {
        let mut a = vec![];
        if json {
            a.push("--json");
        }
        a.extend([
            "show",
            dir.to_str().unwrap(),
            "--net",
            grant,
            "--secret",
            "tok=env:YOI_TEST_TOKEN",
        ]);
        a.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let store = temp.path().join("store");
    let human = run(
        &store,
        &args(false).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(human.status.success(), "{}", text(&human));
    let shown = text(&human);
    assert!(
        shown.contains("requested https://api.example.com/ GET,POST secrets api-token"),
        "{shown}"
    );
    assert!(
        shown.contains("granted   https://*.example.org:443/v1 GET,POST x-api-key<-secret:tok"),
        "{shown}"
    );
    assert!(
        shown.contains("wasi:http/outgoing-handler@0.2.12  (linked; network grants decide)"),
        "{shown}"
    );
    let json = run(
        &store,
        &args(true).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["network"]["requested"][0]["secrets"][0], "api-token");
    assert_eq!(
        value["network"]["granted"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(!shown.contains(PLANTED) && !text(&json).contains(PLANTED));
}
