//! `hostile`: a deliberately misbehaving plugin for adversarial conformance
//! tests. Never grant it anything real.
//!
//! Each tool plays one attack; a test drives it with JSON and checks that
//! the host contains it. Optional input fields may be omitted.
//!
//! * `fs` — a raw probe of the host `fs` API: exactly one host call, with
//!   whatever path and arguments the test chooses (traversal, absolute
//!   paths, symlinks, oversize writes, bogus cursors, forged digests, ...).
//!   Input:
//!   `{"op": "read"|"list"|"write"|"stat", "path": "...", "offset": 0,
//!   "max_len": 4294967295, "cursor": null, "max_entries": 4294967295,
//!   "text": "", "fill_bytes": null, "mode": "create-or-replace",
//!   "expected_digest": null, "max_text": null}` (shown with the defaults;
//!   `max_text` caps the `text` a read returns; `fill_bytes` writes
//!   that many `x` bytes instead of `text`; `mode` is also `create-new` or
//!   `replace-existing`). The tool itself always succeeds with either
//!   `{"ok": RESULT}` or `{"error": {"code": "<kebab-case WIT code, e.g.
//!   invalid-path>", "message": "..."}}`, where RESULT is
//!   * read: `{"text": "<data as lossy UTF-8>", "size": n, "truncated": b,
//!     "len": <bytes returned>}`
//!   * list: `{"entries": [{"name", "kind", "size"}], "next_cursor": s|null}`
//!   * write: `{"size": n, "digest": "<sha-256 hex>"}`
//!   * stat: `{"kind": "file"|"directory"|"symlink"|"other", "size": n}`
//! * `ops` — `{"ops": [FS-INPUT, ...]}`: runs each `fs` probe input in
//!   order inside one invocation (so per-invocation budgets span them) and
//!   returns `{"results": [OUTCOME, ...]}`, each as `fs` returns it. The
//!   conformance runner (`conformance/`) drives every case through it.
//! * `read_loop` — `{"path", "iterations": n}`: n raw reads (offset 0, 4096
//!   bytes) of one path, for symlink-swap races: returns
//!   `{"contents": {"<text>": count, ...}, "errors": {"<code>": count, ...}}`.
//! * `write_loop` — `{"path", "iterations": n, "text_a", "text_b"}`: n
//!   create-or-replace writes alternating the two texts, for races against
//!   readers and swaps: returns `{"ok": count, "errors": {"<code>": count}}`.
//! * `spin` — `{}`: burns CPU forever (fuel / epoch deadline test).
//! * `membomb` — `{}`: allocates and fills 1 MiB chunks forever (memory
//!   limit test).
//! * `output_bomb` — `{"bytes": n}`: returns a JSON string of n bytes
//!   (output size bound test).
//! * `stdout_bomb` — `{"bytes": n}`: prints n bytes to stdout with `print!`
//!   in 64 KiB chunks, then returns `{}` (bounded stdio capture test; if the
//!   host makes stdout fail, `print!` panics and the call traps).
//! * `log_bomb` — `{"count": n, "bytes": m}`: logs n messages of m bytes each,
//!   then returns `{}` (log bound test).
//! * `env` — `{}`: returns `{"vars": [[name, value], ...], "args": [...]}` as
//!   the component sees them (empty environment / no args test).
//! * `panic` — `{}`: panics (the call must fail as a trap, and the host must
//!   survive it).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::Write;

use serde::{Deserialize, Serialize};
use yoi_plugin_sdk::fs::{self, FsError, WriteMode, WriteOptions};
use yoi_plugin_sdk::log::{self, Level};
use yoi_plugin_sdk::serde_json::{Value, json};
use yoi_plugin_sdk::{Empty, Plugin, ToolError, Tools, export_plugin};

fn all_u32() -> u32 {
    u32::MAX
}

/// Which raw fs call `fs` makes.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Op {
    Read,
    List,
    Write,
    Stat,
}

/// Input of `fs`.
#[derive(Deserialize)]
struct FsIn {
    op: Op,
    path: String,
    #[serde(default)]
    offset: u64,
    #[serde(default = "all_u32")]
    max_len: u32,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default = "all_u32")]
    max_entries: u32,
    #[serde(default)]
    text: String,
    #[serde(default)]
    fill_bytes: Option<u64>,
    #[serde(default = "default_mode")]
    mode: WriteMode,
    #[serde(default)]
    expected_digest: Option<String>,
    /// read: return at most this many bytes of the data as `text` (`len`
    /// still counts all), so a 1 MiB read fits the output bound.
    #[serde(default)]
    max_text: Option<usize>,
}

fn default_mode() -> WriteMode {
    WriteMode::CreateOrReplace
}

/// `{"ok": ...}` or `{"error": {"code", "message"}}`.
#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    Ok(Value),
    Error(FsError),
}

impl<T: Serialize> From<Result<T, FsError>> for Outcome {
    fn from(result: Result<T, FsError>) -> Self {
        match result {
            Ok(value) => Outcome::Ok(json!(value)),
            Err(err) => Outcome::Error(err),
        }
    }
}

fn fs_probe(input: FsIn) -> Result<Outcome, ToolError> {
    let outcome = match input.op {
        Op::Read => fs::read(&input.path, input.offset, input.max_len)
            .map(|r| {
                let shown = input.max_text.unwrap_or(usize::MAX).min(r.data.len());
                json!({
                    "text": String::from_utf8_lossy(&r.data[..shown]),
                    "size": r.size,
                    "truncated": r.truncated,
                    "len": r.data.len(),
                })
            })
            .into(),
        Op::List => fs::list_page(&input.path, input.cursor.as_deref(), input.max_entries)
            .map(|page| json!({"entries": page.entries, "next_cursor": page.next_cursor}))
            .into(),
        Op::Write => {
            let data = match input.fill_bytes {
                Some(n) => {
                    let n = usize::try_from(n)
                        .map_err(|_| ToolError::invalid_input("fill_bytes is too large"))?;
                    vec![b'x'; n]
                }
                None => input.text.into_bytes(),
            };
            let options = WriteOptions {
                mode: input.mode,
                expected_digest: input.expected_digest,
            };
            fs::write_with(&input.path, data, &options).into()
        }
        Op::Stat => fs::stat(&input.path).into(),
    };
    Ok(outcome)
}

/// Input of `ops`.
#[derive(Deserialize)]
struct OpsIn {
    ops: Vec<FsIn>,
}

/// Output of `ops`.
#[derive(Serialize)]
struct OpsOut {
    results: Vec<Outcome>,
}

fn ops(input: OpsIn) -> Result<OpsOut, ToolError> {
    let results = input
        .ops
        .into_iter()
        .map(fs_probe)
        .collect::<Result<_, _>>()?;
    Ok(OpsOut { results })
}

/// Input of `read_loop`.
#[derive(Deserialize)]
struct ReadLoopIn {
    path: String,
    iterations: u64,
}

/// Output of `read_loop`.
#[derive(Serialize, Default)]
struct ReadLoopOut {
    contents: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
}

fn read_loop(input: ReadLoopIn) -> Result<ReadLoopOut, ToolError> {
    let mut out = ReadLoopOut::default();
    for _ in 0..input.iterations {
        match fs::read(&input.path, 0, 4096) {
            Ok(r) => {
                let text = String::from_utf8_lossy(&r.data).into_owned();
                *out.contents.entry(text).or_default() += 1;
            }
            Err(e) => *out.errors.entry(e.code.to_string()).or_default() += 1,
        }
    }
    Ok(out)
}

/// Input of `write_loop`.
#[derive(Deserialize)]
struct WriteLoopIn {
    path: String,
    iterations: u64,
    text_a: String,
    text_b: String,
}

/// Output of `write_loop`.
#[derive(Serialize, Default)]
struct WriteLoopOut {
    ok: u64,
    errors: BTreeMap<String, u64>,
}

fn write_loop(input: WriteLoopIn) -> Result<WriteLoopOut, ToolError> {
    let mut out = WriteLoopOut::default();
    for i in 0..input.iterations {
        let text = if i % 2 == 0 {
            &input.text_a
        } else {
            &input.text_b
        };
        match fs::write(&input.path, text) {
            Ok(_) => out.ok += 1,
            Err(e) => *out.errors.entry(e.code.to_string()).or_default() += 1,
        }
    }
    Ok(out)
}

fn spin(_: Empty) -> Result<Empty, ToolError> {
    let mut n = 0u64;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

fn membomb(_: Empty) -> Result<Empty, ToolError> {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        // Filled with a non-zero byte so every page is really written.
        hoard.push(black_box(vec![0xA5u8; 1 << 20]));
        black_box(&mut hoard);
    }
}

/// Input of `output_bomb` and `stdout_bomb`.
#[derive(Deserialize)]
struct BytesIn {
    bytes: u64,
}

fn size(n: u64) -> Result<usize, ToolError> {
    usize::try_from(n).map_err(|_| ToolError::invalid_input("bytes is too large"))
}

fn output_bomb(input: BytesIn) -> Result<String, ToolError> {
    Ok("x".repeat(size(input.bytes)?))
}

fn stdout_bomb(input: BytesIn) -> Result<Empty, ToolError> {
    const CHUNK: usize = 64 * 1024;
    let chunk = "o".repeat(CHUNK);
    let mut left = size(input.bytes)?;
    while left > 0 {
        let n = left.min(CHUNK);
        print!("{}", &chunk[..n]);
        left -= n;
    }
    std::io::stdout().flush().map_err(ToolError::failed)?;
    Ok(Empty)
}

/// Input of `log_bomb`.
#[derive(Deserialize)]
struct LogBombIn {
    count: u64,
    bytes: u64,
}

fn log_bomb(input: LogBombIn) -> Result<Empty, ToolError> {
    let message = "l".repeat(size(input.bytes)?);
    for _ in 0..input.count {
        log::log(Level::Info, &message);
    }
    Ok(Empty)
}

/// Output of `env`.
#[derive(Serialize)]
struct EnvOut {
    vars: Vec<(String, String)>,
    args: Vec<String>,
}

fn env(_: Empty) -> Result<EnvOut, ToolError> {
    Ok(EnvOut {
        vars: std::env::vars_os()
            .map(|(k, v)| (k.to_string_lossy().into(), v.to_string_lossy().into()))
            .collect(),
        args: std::env::args_os()
            .map(|a| a.to_string_lossy().into())
            .collect(),
    })
}

fn panic(_: Empty) -> Result<Empty, ToolError> {
    panic!("hostile plugin: deliberate panic");
}

/// Input of `sleep`.
#[derive(Deserialize)]
struct SleepIn {
    ms: u64,
}

/// Sleeps in the host (WASI monotonic-clock subscribe + poll), not in wasm.
fn sleep(input: SleepIn) -> Result<Empty, ToolError> {
    std::thread::sleep(std::time::Duration::from_millis(input.ms));
    Ok(Empty)
}

/// Unbounded recursion: exhausts the wasm call stack.
fn recurse(_: Empty) -> Result<Empty, ToolError> {
    #[allow(unconditional_recursion)] // the point: exhaust the stack
    fn deeper(n: u64) -> u64 {
        black_box(deeper(black_box(n + 1)) + 1)
    }
    black_box(deeper(0));
    Ok(Empty)
}

/// Output JSON text with a lone surrogate escape (valid UTF-8, invalid JSON
/// text for any strict parser).
fn lone_surrogate(_: &str) -> Result<String, ToolError> {
    Ok(r#"{"text":"\ud800"}"#.to_owned())
}

/// A tool error of `bytes` bytes, with terminal escapes in it.
fn error_bomb(input: BytesIn) -> Result<Empty, ToolError> {
    let mut message = String::from("\u{1b}]0;pwned\u{7}\u{1b}[2J");
    message.push_str(&"e".repeat(size(input.bytes)?));
    Err(ToolError::failed(message))
}

struct Hostile;

impl Plugin for Hostile {
    fn tools() -> Tools {
        Tools::new()
            .tool("fs", fs_probe)
            .tool("ops", ops)
            .tool("read_loop", read_loop)
            .tool("write_loop", write_loop)
            .tool("spin", spin)
            .tool("membomb", membomb)
            .tool("output_bomb", output_bomb)
            .tool("stdout_bomb", stdout_bomb)
            .tool("log_bomb", log_bomb)
            .tool("env", env)
            .tool("panic", panic)
            .tool("sleep", sleep)
            .tool("recurse", recurse)
            .raw_tool("lone_surrogate", lone_surrogate)
            .tool("error_bomb", error_bomb)
    }
}

export_plugin!(
    Hostile,
    tools = [
        "fs",
        "ops",
        "read_loop",
        "write_loop",
        "spin",
        "membomb",
        "output_bomb",
        "stdout_bomb",
        "log_bomb",
        "env",
        "panic",
        "sleep",
        "recurse",
        "lone_surrogate",
        "error_bomb"
    ]
);
