//! `yoi-plugin mcp` driven by a real MCP client: the official Python SDK
//! (`mcp`, pinned in `tests/mcp/requirements.txt`) runs
//! `tests/mcp/client.py` over both transports, stdio and streamable HTTP.
//!
//! The scenario (in the script): initialize; list tools with their schemas
//! and annotations; a successful call; invalid input; escape attempts that
//! come back as `isError` results with their fs code and no host path; an
//! unknown tool as a protocol error; plugin logs as logging notifications;
//! cancelling a spinning call (the server stops burning CPU and the next
//! call answers at once); `notifications/tools/list_changed` after an
//! install and a removal made with the CLI while connected; over HTTP, a
//! request without the bearer token refused with 401.
//!
//! Setup, all automatic so CI needs nothing but Python >= 3.10 with `venv`
//! and PyPI: a virtualenv in `target/mcp-venv` with the pinned SDK (rebuilt
//! when `requirements.txt` changes; its sha256 is stamped in the venv), the
//! example plugins in `target/plugins` (built with `cargo xtask
//! build-plugins` if missing). A missing `python3` or `venv` fails the test
//! with what to install; it is never skipped.
//!
//! Run alone: `cargo test -p yoi-plugin-host --test mcp -- --nocapture`
//! (prints one line per step).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The yoi-plugin binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_yoi-plugin");
/// Longest a whole client run may take (a cold debug host compiles every
/// plugin before it answers).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(600);
/// Longest the HTTP server may take to print its address.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(300);
/// The example plugins the scenario serves.
const PLUGINS: [&str; 3] = ["notes", "hello", "hostile"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the host crate lives in the workspace")
        .to_path_buf()
}

fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp")
}

fn render(out: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Serialises the one-time setup (venv, plugins) between the tests of
/// this binary; a file lock does the same between processes.
static SETUP: Mutex<()> = Mutex::new(());

/// Runs `f` holding `target/<name>.lock` exclusively.
fn locked<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let _guard = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    let target = root().join("target");
    std::fs::create_dir_all(&target).unwrap();
    let lock = std::fs::File::create(target.join(format!("{name}.lock"))).unwrap();
    lock.lock().expect("lock the setup lock file");
    f()
}

/// Where the compiled example plugins are; builds them if one is missing.
fn plugins_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("YOI_PLUGINS_DIR") {
        return PathBuf::from(dir);
    }
    let dir = root().join("target/plugins");
    let complete = |dir: &Path| {
        PLUGINS
            .iter()
            .all(|p| dir.join(format!("{p}.wasm")).is_file())
    };
    if complete(&dir) {
        return dir;
    }
    locked("plugins", || {
        if !complete(&dir) {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let out = Command::new(cargo)
                .args(["xtask", "build-plugins"])
                .current_dir(root())
                .output()
                .expect("run cargo xtask build-plugins");
            assert!(
                out.status.success(),
                "`cargo xtask build-plugins` failed:\n{}",
                render(&out)
            );
        }
    });
    assert!(
        complete(&dir),
        "`cargo xtask build-plugins` did not produce {PLUGINS:?} in {}",
        dir.display()
    );
    dir
}

/// The base interpreter: `$YOI_TEST_PYTHON`, else `python3`. Fails (never
/// skips) when it is missing or too old.
fn base_python() -> String {
    let python = std::env::var("YOI_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let version = Command::new(&python)
        .args([
            "-c",
            "import sys; print('%d.%d' % sys.version_info[:2]); assert sys.version_info >= (3, 10)",
        ])
        .output();
    match version {
        Err(e) => panic!(
            "the MCP client tests need Python >= 3.10 with the venv module, and `{python}` \
             cannot run ({e}). Install it (e.g. `apt-get install python3 python3-venv`) or point \
             YOI_TEST_PYTHON at an interpreter."
        ),
        Ok(out) if !out.status.success() => panic!(
            "the MCP client tests need Python >= 3.10 (the `mcp` SDK's minimum); `{python}` is \
             {}. Install a newer python3 or point YOI_TEST_PYTHON at one.\n{}",
            String::from_utf8_lossy(&out.stdout).trim(),
            render(&out)
        ),
        Ok(_) => python,
    }
}

/// The venv's interpreter with the pinned SDK installed, created or
/// refreshed as needed (module docs).
fn venv_python() -> PathBuf {
    let requirements = script_dir().join("requirements.txt");
    let pinned = std::fs::read(&requirements).expect("read tests/mcp/requirements.txt");
    let stamp_value = hex::encode(Sha256::digest(&pinned));
    let venv = root().join("target/mcp-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("yoi-requirements.sha256");
    let usable = || {
        std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == stamp_value)
            && Command::new(&python)
                .args(["-c", "import mcp.client.session, httpx2"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
    };
    if usable() {
        return python;
    }
    locked("mcp-venv", || {
        if usable() {
            return;
        }
        let base = base_python();
        if venv.exists() {
            std::fs::remove_dir_all(&venv).expect("remove the stale target/mcp-venv");
        }
        let out = Command::new(&base)
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .output()
            .expect("run python3 -m venv");
        assert!(
            out.status.success(),
            "`{base} -m venv {}` failed: the MCP client tests need Python's venv module \
             (e.g. `apt-get install python3-venv`).\n{}",
            venv.display(),
            render(&out)
        );
        let out = Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
            .arg(&requirements)
            .stdin(Stdio::null())
            .output()
            .expect("run pip");
        assert!(
            out.status.success(),
            "installing the MCP client SDK from PyPI into {} failed (pip install -r {}).\n{}",
            venv.display(),
            requirements.display(),
            render(&out)
        );
        std::fs::write(&stamp, format!("{stamp_value}\n")).unwrap();
    });
    assert!(usable(), "the venv at {} is unusable", venv.display());
    python
}

/// Runs the CLI; it must succeed.
fn cli(store: &Path, args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .arg("--json")
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .expect("run yoi-plugin");
    assert!(
        out.status.success(),
        "yoi-plugin {args:?}: {}",
        render(&out)
    );
    serde_json::from_slice(&out.stdout).expect("--json output")
}

/// One scenario's world: a store with `notes` installed, a granted notes
/// directory, a secret outside it (also reachable through a symlink), and
/// the `hello` package ready to install mid-session.
struct World {
    temp: tempfile::TempDir,
    store: PathBuf,
    notes: PathBuf,
    plugins: PathBuf,
    hello_package: PathBuf,
    secret: String,
}

const JOURNAL: &str = "# journal\nfirst entry\n";

impl World {
    fn new() -> World {
        let plugins = plugins_dir();
        let temp = tempfile::tempdir().unwrap();
        let base = temp.path();
        let store = base.join("store");
        let notes = base.join("data/notes");
        let outside = base.join("data/outside");
        std::fs::create_dir_all(&notes).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(notes.join("journal.md"), JOURNAL).unwrap();
        let secret = format!(
            "yoi-secret-{}",
            hex::encode(Sha256::digest(base.as_os_str().as_encoded_bytes()))
        );
        std::fs::write(outside.join("secret.txt"), &secret).unwrap();
        std::os::unix::fs::symlink("../outside", notes.join("link")).unwrap();

        let pack = |name: &str| -> PathBuf {
            let file = base.join(format!("{name}.yoi-plugin"));
            let dir = root().join("example-plugins").join(name);
            let component = plugins.join(format!("{name}.wasm"));
            cli(
                &store,
                &[
                    "pack",
                    dir.to_str().unwrap(),
                    "--component",
                    component.to_str().unwrap(),
                    "-o",
                    file.to_str().unwrap(),
                ],
            );
            file
        };
        let notes_package = pack("notes");
        let installed = cli(&store, &["install", notes_package.to_str().unwrap()]);
        assert_eq!(installed["id"], "user:notes");
        let hello_package = pack("hello");
        World {
            temp,
            store,
            notes,
            plugins,
            hello_package,
            secret,
        }
    }

    /// `yoi-plugin` arguments serving this world: read + list on notes,
    /// and a policy with a single call slot, so a cancelled call that kept
    /// its slot would hold up the next one.
    fn server_args(&self, extra: &[&str]) -> Vec<String> {
        let policy = self.temp.path().join("policy.toml");
        std::fs::write(
            &policy,
            "[runtime]\nmax_concurrent_calls = 1\nmax_queued_calls = 8\n",
        )
        .unwrap();
        let mut args: Vec<String> = vec![
            "--store".into(),
            self.store.display().to_string(),
            "mcp".into(),
            "--policy".into(),
            policy.display().to_string(),
            "--grant".into(),
            format!("notes={}:read,list", self.notes.display()),
            "--component".into(),
            format!("hostile={}", self.plugins.join("hostile.wasm").display()),
            "--cache-dir".into(),
            root().join("target/mcp-test-cache").display().to_string(),
            "--watch-ms".into(),
            "200".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// The script's config, before the transport-specific fields.
    fn config(&self, transport: &str) -> Value {
        let store = self.store.display().to_string();
        json!({
            "transport": transport,
            "install": [BIN, "--store", store, "install", self.hello_package.display().to_string()],
            "remove": [BIN, "--store", store, "remove", "user:hello"],
            "notes_text": JOURNAL,
            "forbidden": [
                self.temp.path().display().to_string(),
                root().display().to_string(),
                self.secret,
            ],
            "deadline_s": SCRIPT_TIMEOUT.as_secs() - 30,
        })
    }

    /// Runs the client script with `config`; it must exit 0.
    fn run_client(&self, config: Value) {
        let python = venv_python();
        let file = self.temp.path().join("client-config.json");
        std::fs::write(&file, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
        let mut child = Command::new(&python)
            .arg(script_dir().join("client.py"))
            .arg(&file)
            .current_dir(self.temp.path())
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env_remove("PYTHONPATH")
            .env_remove("PYTHONHOME")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the MCP client script");
        let stdout = drain(child.stdout.take().unwrap(), true);
        let stderr = drain(child.stderr.take().unwrap(), false);
        let status = wait_for(&mut child, SCRIPT_TIMEOUT);
        let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
        match status {
            Some(status) if status.success() => {}
            status => panic!(
                "the MCP client failed ({}):\n--- stdout\n{stdout}\n--- stderr (client and, over stdio, the server)\n{stderr}",
                status.map_or("timed out".to_string(), |s| s.to_string()),
            ),
        }
    }
}

/// Collects a pipe on a thread; `echo` also prints each line (visible with
/// `--nocapture`).
fn drain(pipe: impl Read + Send + 'static, echo: bool) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if echo {
                println!("{line}");
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    })
}

/// Waits for `child` at most `limit`; kills it past that (`None`).
fn wait_for(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The HTTP server, killed when dropped.
struct Server {
    child: Child,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    fn stderr(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The URL in the server's announcement: `{"listening":"ADDR","url":"…"}`
/// (or a human `listening on http://ADDR…` line).
fn announced_url(line: &str) -> Option<String> {
    if let Ok(v) = serde_json::from_str::<Value>(line) {
        if let Some(url) = v["url"].as_str() {
            return Some(url.to_owned());
        }
        if let Some(addr) = v["listening"].as_str() {
            let addr = addr.trim_start_matches("http://").trim_end_matches('/');
            return Some(format!("http://{addr}/mcp"));
        }
    }
    let at = line.find("127.0.0.1:")?;
    let addr: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect();
    Some(format!("http://{addr}/mcp"))
}

#[test]
fn stdio_with_the_python_sdk() {
    let world = World::new();
    let mut config = world.config("stdio");
    config["server"] = json!({
        "command": BIN,
        "args": world.server_args(&[]),
        "env": {},
        "cwd": world.temp.path().display().to_string(),
    });
    world.run_client(config);
}

#[test]
fn streamable_http_with_the_python_sdk() {
    let world = World::new();
    let token = hex::encode(Sha256::digest(
        format!("{:?}{}", Instant::now(), world.secret).as_bytes(),
    ));
    let token_file = world.temp.path().join("token");
    std::fs::File::create(&token_file)
        .and_then(|mut f| f.write_all(token.as_bytes()))
        .unwrap();
    let args = world.server_args(&[
        "--listen",
        "127.0.0.1:0",
        "--token-file",
        token_file.to_str().unwrap(),
    ]);
    let mut child = Command::new(BIN)
        .args(&args)
        .current_dir(world.temp.path())
        .env_remove("YOI_RUNTIME_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start yoi-plugin mcp --listen");
    let stdout = child.stdout.take().unwrap();
    let stderr = drain(child.stderr.take().unwrap(), false);
    let mut server = Server {
        child,
        stderr: Some(stderr),
    };
    // The first line naming the address; the rest of stdout is drained.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(url) = announced_url(&line) {
                let _ = tx.send(url);
                sent = true;
            }
        }
    });
    let url = match rx.recv_timeout(LISTEN_TIMEOUT) {
        Ok(url) => url,
        Err(_) => panic!(
            "`yoi-plugin {}` announced no address:\n{}",
            args.join(" "),
            server.stderr()
        ),
    };
    let mut config = world.config("http");
    config["url"] = json!(url);
    config["token"] = json!(token);
    config["server_pid"] = json!(server.child.id());
    config["forbidden"]
        .as_array_mut()
        .unwrap()
        .push(json!(token));
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| world.run_client(config)));
    if let Err(panic) = result {
        let stderr = server.stderr();
        eprintln!("--- server stderr\n{stderr}");
        std::panic::resume_unwind(panic);
    }
}

/// `yoi-plugin mcp` over stdio, spoken as raw JSON-RPC lines (no SDK).
struct RawMcp {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: BufReader<std::process::ChildStdout>,
}

impl RawMcp {
    /// Starts the server with `args` and completes the handshake.
    fn start(store: &Path, args: &[&str]) -> RawMcp {
        let mut child = Command::new(BIN)
            .arg("--store")
            .arg(store)
            .arg("mcp")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn yoi-plugin mcp");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut raw = RawMcp {
            child,
            stdin,
            stdout,
        };
        raw.rpc(
            serde_json::json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "raw-test", "version": "0"}}}),
        )
        .unwrap();
        raw.rpc(serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        raw
    }

    /// Sends `message`; for a request, waits for the reply with its id.
    fn rpc(&mut self, message: Value) -> Option<Value> {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
        message.get("id")?;
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "server closed stdout"
            );
            let reply: Value = serde_json::from_str(&line).unwrap();
            if reply.get("id") == message.get("id") {
                return Some(reply);
            }
        }
    }

    /// `tools/list`'s tools.
    fn tools(&mut self) -> Vec<Value> {
        let reply = self
            .rpc(serde_json::json!({"jsonrpc": "2.0", "id": 1000, "method": "tools/list"}))
            .unwrap();
        reply["result"]["tools"].as_array().unwrap().clone()
    }

    /// `tools/call`'s result.
    fn call(&mut self, id: u64, name: &str, arguments: Value) -> Value {
        let reply = self
            .rpc(
                serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                "params": {"name": name, "arguments": arguments}}),
            )
            .unwrap();
        reply["result"].clone()
    }
}

impl Drop for RawMcp {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `mcp --policy F --profile NAME`: the profile's plugins, each with its
/// request ∩ the policy. The profile asks `notes` for read+write; the
/// policy allows only read: the tools are read-only, a write is denied.
/// Spoken as raw JSON-RPC lines over stdio (no SDK needed for this one).
#[test]
fn a_policy_profile_serves_request_intersect_policy() {
    let plugins = plugins_dir();
    let temp = tempfile::tempdir().unwrap();
    let store = temp.path().join("store");
    let notes_dir = temp.path().join("notes");
    std::fs::create_dir_all(&notes_dir).unwrap();
    std::fs::write(notes_dir.join("todo.md"), "buy milk\n").unwrap();
    let package = temp.path().join("notes.yoi-plugin");
    let component = plugins.join("notes.wasm");
    let example = root().join("example-plugins/notes");
    let packed = cli(
        &store,
        &[
            "pack",
            example.to_str().unwrap(),
            "--component",
            component.to_str().unwrap(),
            "-o",
            package.to_str().unwrap(),
        ],
    );
    cli(&store, &["install", package.to_str().unwrap()]);
    let digest = packed["digest"].as_str().unwrap();
    let policy = temp.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[mounts.notes]\ndir = {dir:?}\nops = [\"read\", \"list\"]\n\n\
             [profiles.agent]\nplugins = [{{ id = \"user:notes\", version = \"0.1.0\", digest = \"{digest}\", \
             grants = [{{ mount = \"notes\", ops = [\"read\", \"write\"] }}] }}]\n",
            dir = notes_dir.to_str().unwrap()
        ),
    )
    .unwrap();
    let mut mcp = RawMcp::start(
        &store,
        &["--policy", policy.to_str().unwrap(), "--profile", "agent"],
    );
    let tools = mcp.tools();
    let read = tools
        .iter()
        .find(|t| t["name"] == "notes.read")
        .expect("notes.read");
    assert_eq!(read["annotations"]["readOnlyHint"], true, "{read}");
    assert_eq!(read["annotations"]["destructiveHint"], false, "{read}");
    let ok = mcp.call(
        3,
        "notes.read",
        serde_json::json!({"path": "notes/todo.md"}),
    );
    assert_eq!(ok["isError"], false, "{ok}");
    assert!(ok["structuredContent"].to_string().contains("buy milk"));
    let denied = mcp.call(
        4,
        "notes.append",
        serde_json::json!({"path": "notes/todo.md", "text": "eggs"}),
    );
    assert_eq!(denied["isError"], true, "{denied}");
    let text = denied["content"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("tool-failed:") && text.contains("denied"),
        "{text}"
    );
    assert!(
        !text.contains(notes_dir.to_str().unwrap()),
        "no host path: {text}"
    );
    assert_eq!(
        std::fs::read_to_string(notes_dir.join("todo.md")).unwrap(),
        "buy milk\n"
    );
}

/// `openWorldHint` follows the network grant: a plugin served with `--net`
/// is marked open-world and its call reaches the granted loopback server;
/// one served without is not. Raw JSON-RPC over stdio.
#[test]
fn open_world_follows_the_network_grant() {
    let plugins = plugins_dir();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nworld",
            );
        }
    });
    let temp = tempfile::tempdir().unwrap();
    let store = temp.path().join("store");
    let fetch = format!("fetch={}", plugins.join("fetch.wasm").display());
    let hello = format!("hello={}", plugins.join("hello.wasm").display());
    let grant = format!("http://127.0.0.1:{port}/");
    let hint = |tools: &[Value], name: &str| {
        tools
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["annotations"]["openWorldHint"].clone())
    };
    let mut open = RawMcp::start(&store, &["--component", &fetch, "--net", &grant]);
    assert_eq!(hint(&open.tools(), "fetch.fetch"), Some(Value::Bool(true)));
    let url = format!("http://127.0.0.1:{port}/x");
    let result = open.call(3, "fetch.fetch", serde_json::json!({ "url": url }));
    assert_eq!(result["isError"], false, "{result}");
    assert!(result["structuredContent"].to_string().contains("world"));
    drop(open);
    let mut closed = RawMcp::start(&store, &["--component", &hello]);
    assert_eq!(
        hint(&closed.tools(), "hello.greet"),
        Some(Value::Bool(false))
    );
}
