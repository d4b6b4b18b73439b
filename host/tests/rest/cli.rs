//! The `yoi-plugin serve` command: announces its address, serves the
//! real embedded runtime, stops on SIGTERM; refuses a missing or empty
//! token and a non-loopback address.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use yoi_plugin_host::bundle::StoreOutcome;
use yoi_plugin_host::rest::RemoteRuntime;
use yoi_plugin_host::workers::Runtime;

use crate::support::{BOUND, TOKEN, answer, bundle, http};

fn yoi(args: &[&str], temp: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yoi-plugin"));
    command
        .arg("--store")
        .arg(temp.join("plugins"))
        .arg("serve")
        .arg("--state-dir")
        .arg(temp.join("state"))
        .args(args)
        .env_remove("YOI_RUNTIME_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The address from the first stdout line, read within the bound.
fn listening(child: &mut Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(BOUND).expect("serve announces itself");
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned()
}

#[tokio::test]
async fn serve_answers_until_sigterm() {
    let temp = tempfile::tempdir().unwrap();
    let token_file = temp.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let mut command = yoi(
        &[
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            token_file.to_str().unwrap(),
        ],
        temp.path(),
    );
    let mut child = command.spawn().unwrap();
    let base = listening(&mut child);
    let client = http();
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(answer(health).await, (200, json!({ "status": "ok" })));
    let remote = RemoteRuntime::new(&base, TOKEN).unwrap();
    assert_eq!(remote.list_workers().await.unwrap(), Vec::new());
    assert_eq!(
        remote.store_bundle(bundle("team-a", 1)).await.unwrap(),
        StoreOutcome::Stored
    );
    let denied = client
        .get(format!("{base}/v1/workers"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status().as_u16(), 401);

    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let mut status = None;
    for _ in 0..200 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Some(status) = status else {
        let _ = child.kill();
        panic!("serve did not stop on SIGTERM");
    };
    assert!(status.success(), "{status}");
}

#[test]
fn serve_refuses_no_token_and_non_loopback() {
    let temp = tempfile::tempdir().unwrap();
    let out = yoi(&["--listen", "127.0.0.1:0"], temp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-token"));
    let empty = temp.path().join("empty");
    std::fs::write(&empty, " \n").unwrap();
    let out = yoi(
        &[
            "--listen",
            "127.0.0.1:0",
            "--token-file",
            empty.to_str().unwrap(),
        ],
        temp.path(),
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty-token"));
    let mut public = yoi(&["--listen", "0.0.0.0:0"], temp.path());
    let out = public.env("YOI_RUNTIME_TOKEN", TOKEN).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("non-loopback-listen"));
}
