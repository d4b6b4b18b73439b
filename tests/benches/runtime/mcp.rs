//! Rows (issue 10): `tools/call` latency through `yoi-plugin mcp` over
//! stdio and over streamable HTTP on loopback, against the in-process call
//! of the same tool (`notes.read` of the 64-byte file of the warm
//! fixture). The release CLI serves; a minimal JSON-RPC client in this
//! file drives it (one request at a time, so the numbers are latencies).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yoi_e2e_tests::plugins_dir;

use crate::report::{Measure, Row};
use crate::stats::{Stats, timed};
use crate::warm::{Fixture, READ_INPUT};

const CALLS: usize = 400;
const PROTOCOL: &str = "2025-11-25";

fn initialize(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL, "capabilities": {},
        "clientInfo": {"name": "yoi-bench", "version": "0"}}})
}

fn initialized() -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
}

fn call(id: u64) -> Value {
    let arguments: Value = serde_json::from_str(READ_INPUT).unwrap();
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": "notes.read", "arguments": arguments}})
}

/// Checks a `tools/call` response: a result without `isError`.
fn expect_ok(response: &Value) {
    let result = &response["result"];
    assert!(
        result.is_object() && result["isError"] != json!(true),
        "tools/call failed: {response}"
    );
}

/// The server's arguments: the notes component, a read grant on the
/// fixture's sandbox.
fn server(bin: &Path, fixture: &Fixture, store: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("--store")
        .arg(store)
        .arg("mcp")
        .arg("--component")
        .arg(format!(
            "notes={}",
            plugins_dir().join("notes.wasm").display()
        ))
        .arg("--grant")
        .arg(format!("m={}:read", fixture.sandbox.mount.display()))
        .stderr(Stdio::null());
    cmd
}

struct Stdio2 {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Stdio2 {
    fn send(&mut self, message: &Value) {
        writeln!(self.stdin, "{message}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next message with an `id` (notifications are skipped).
    fn response(&mut self) -> Value {
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "server closed stdout"
            );
            let message: Value = serde_json::from_str(&line).unwrap();
            if message.get("id").is_some() {
                return message;
            }
        }
    }
}

fn stdio_latencies(bin: &Path, fixture: &Fixture, store: &Path) -> Vec<Duration> {
    let mut child = server(bin, fixture, store)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn yoi-plugin mcp");
    let mut s = Stdio2 {
        stdin: child.stdin.take().unwrap(),
        stdout: BufReader::new(child.stdout.take().unwrap()),
        child,
    };
    s.send(&initialize(0));
    s.response();
    s.send(&initialized());
    let mut id = 1;
    let mut one = || {
        s.send(&call(id));
        expect_ok(&s.response());
        id += 1;
    };
    for _ in 0..50 {
        one();
    }
    let times = timed(CALLS, one);
    let _ = s.child.kill();
    let _ = s.child.wait();
    times
}

/// The JSON-RPC message in an SSE (or plain JSON) response body.
fn sse_message(body: &str) -> Value {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return v;
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|v| v.get("id").is_some())
        .unwrap_or_else(|| panic!("no JSON-RPC response in: {body}"))
}

fn http_latencies(
    bin: &Path,
    fixture: &Fixture,
    store: &Path,
    tokio: &tokio::runtime::Runtime,
) -> Vec<Duration> {
    let token = "bench-token-0123456789";
    let token_file = store.join("token");
    std::fs::create_dir_all(store).unwrap();
    std::fs::write(&token_file, token).unwrap();
    let mut child = server(bin, fixture, store)
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--token-file")
        .arg(&token_file)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn yoi-plugin mcp --listen");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = serde_json::from_str::<Value>(&line).unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let times = tokio.block_on(async {
        let client = reqwest::Client::new();
        let post = |body: Value, session: Option<&str>| {
            let mut request = client
                .post(&url)
                .bearer_auth(token)
                .header("accept", "application/json, text/event-stream")
                .header("content-type", "application/json")
                .header("mcp-protocol-version", PROTOCOL)
                .body(body.to_string());
            if let Some(session) = session {
                request = request.header("mcp-session-id", session);
            }
            request.send()
        };
        let response = post(initialize(0), None).await.unwrap();
        let session = response
            .headers()
            .get("mcp-session-id")
            .map(|v| v.to_str().unwrap().to_owned());
        response.text().await.unwrap();
        post(initialized(), session.as_deref()).await.unwrap();
        let mut times = Vec::with_capacity(CALLS);
        for id in 1..=(CALLS as u64 + 50) {
            let start = Instant::now();
            let body = post(call(id), session.as_deref())
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let elapsed = start.elapsed();
            expect_ok(&sse_message(&body));
            if id > 50 {
                times.push(elapsed);
            }
        }
        times
    });
    let _ = child.kill();
    let _ = child.wait();
    times
}

/// The two MCP rows.
pub fn mcp(bin: &Path, fixture: &Fixture, tokio: &tokio::runtime::Runtime) -> Vec<Row> {
    let temp = tempfile::tempdir().unwrap();
    let inproc = Stats::of(timed(CALLS, || {
        fixture.ours();
    }));
    let stdio = Stats::of(stdio_latencies(bin, fixture, &temp.path().join("stdio")));
    let http = Stats::of(http_latencies(
        bin,
        fixture,
        &temp.path().join("http"),
        tokio,
    ));
    let row = |name: &str, stats: Stats| {
        Row::new(
            "-",
            name.to_owned(),
            Measure::micros(stats.p50).with_text(stats.text()),
            "in-process call, same tool",
            Measure::micros(inproc.p50).with_text(inproc.text()),
        )
        .details(json!({"measured": stats.to_json(), "baseline": inproc.to_json()}))
    };
    vec![
        row("MCP tools/call over stdio (notes.read 64 B)", stdio),
        row("MCP tools/call over streamable HTTP (loopback)", http),
    ]
}
