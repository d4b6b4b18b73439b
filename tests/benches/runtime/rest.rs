//! Row (f): tool invocation over the REST service on loopback (the server
//! in this process on 127.0.0.1:0, one `RemoteRuntime` client per
//! concurrent caller) against the same runtime invoked in-process, at 1, 8
//! and 64 concurrent callers; then the `busy` behaviour above the call
//! pool's cap: a runtime whose policy runs 2 calls and queues 2, and 64
//! clients invoking a slow tool (`notes.digest` of 16 MiB) at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::runtime::Runtime as Tokio;
use tokio::sync::{Barrier, oneshot};
use yoi_e2e_tests::example_package;
use yoi_plugin_host::policy::HostPolicy;
use yoi_plugin_host::rest::{RemoteRuntime, ServerConfig, serve};
use yoi_plugin_host::store::{PluginStore, Source};
use yoi_plugin_host::workers::{
    CreateWorkerRequest, EmbeddedRuntime, InvokeRequest, ProfileSelector, Runtime, RuntimeConfig,
    RuntimeErrorCode,
};

use crate::report::{Goal, Measure, Row};
use crate::stats::Stats;

const TOKEN: &str = "bench-token";
/// How long each load level runs, per transport.
const WINDOW: Duration = Duration::from_millis(1500);

/// A served runtime: the embedded runtime, a worker on it, and the REST
/// server in front of it.
struct Served {
    _temp: tempfile::TempDir,
    runtime: Arc<EmbeddedRuntime>,
    worker: String,
    url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    /// `notes` installed, mount `notes` on a directory holding a 64-byte
    /// `small.txt` and a 16 MiB `big.bin`, a builtin profile `bench`
    /// granting it read, and `runtime_table` as the policy's `[runtime]`.
    async fn start(runtime_table: &str) -> Served {
        let temp = tempfile::tempdir().unwrap();
        let state = temp.path().join("state");
        let data = temp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("small.txt"), format!("{}\n", "x".repeat(63))).unwrap();
        std::fs::write(data.join("big.bin"), vec![0x5au8; 16 << 20]).unwrap();
        let notes = example_package("notes");
        PluginStore::open(state.join("plugins"))
            .unwrap()
            .install(&notes, Source::User)
            .unwrap();
        let policy = format!(
            r#"
[runtime]
{runtime_table}

[mounts.notes]
dir = "{dir}"
ops = ["read"]

[profiles.bench]
plugins = [{{ id = "user:notes", version = "{version}", digest = "{digest}", grants = [{{ mount = "notes", ops = ["read"] }}] }}]
"#,
            dir = data.display(),
            version = notes.manifest.version,
            digest = notes.digest,
        );
        let runtime = Arc::new(
            EmbeddedRuntime::open(RuntimeConfig {
                state_dir: state,
                plugin_store: None,
                policy: HostPolicy::from_toml_str(&policy).unwrap(),
            })
            .unwrap(),
        );
        let worker = runtime
            .create_worker(CreateWorkerRequest {
                intent: "bench".into(),
                profile: ProfileSelector::Builtin("bench".into()),
                bundle: None,
                capabilities: vec![],
            })
            .await
            .unwrap()
            .id;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let config = ServerConfig {
            token: TOKEN.into(),
            ..ServerConfig::default()
        };
        let task = tokio::spawn(serve(listener, runtime.clone(), config, async move {
            let _ = stopped.await;
        }));
        Served {
            _temp: temp,
            runtime,
            worker,
            url,
            stop,
            task,
        }
    }

    /// `n` callers: the runtime itself, or one REST client each.
    fn callers(&self, n: usize, rest: bool) -> Vec<Arc<dyn Runtime>> {
        (0..n)
            .map(|_| -> Arc<dyn Runtime> {
                match rest {
                    true => Arc::new(RemoteRuntime::new(&self.url, TOKEN).unwrap()),
                    false => self.runtime.clone(),
                }
            })
            .collect()
    }

    async fn shutdown(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

fn request(path: &str) -> InvokeRequest {
    InvokeRequest {
        plugin: None,
        input: json!({ "path": path }),
    }
}

/// Every caller invokes `notes.read` of the small file in a loop for
/// [`WINDOW`]; the latencies and the calls per second.
async fn load(callers: Vec<Arc<dyn Runtime>>, worker: &str) -> (Stats, f64) {
    let barrier = Arc::new(Barrier::new(callers.len()));
    let tasks: Vec<_> = callers
        .into_iter()
        .map(|rt| {
            let (barrier, worker) = (barrier.clone(), worker.to_owned());
            tokio::spawn(async move {
                barrier.wait().await;
                let end = Instant::now() + WINDOW;
                let mut times = Vec::new();
                while Instant::now() < end {
                    let start = Instant::now();
                    let out = rt
                        .invoke(&worker, "read", request("notes/small.txt"))
                        .await
                        .unwrap_or_else(|e| panic!("invoke failed: {e:?}"));
                    assert!(out.output.is_some(), "read failed: {:?}", out.error);
                    times.push(start.elapsed());
                }
                times
            })
        })
        .collect();
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.unwrap());
    }
    let rate = times.len() as f64 / WINDOW.as_secs_f64();
    (Stats::of(times), rate)
}

/// Row (f): REST vs in-process at 1, 8 and 64 callers, and the busy run.
pub fn rest(tokio: &Tokio) -> Vec<Row> {
    tokio.block_on(async {
        let mut rows = Vec::new();
        let served = Served::start("").await;
        for clients in [1usize, 8, 64] {
            let (local, local_rate) = load(served.callers(clients, false), &served.worker).await;
            let (remote, remote_rate) = load(served.callers(clients, true), &served.worker).await;
            rows.push(
                Row::new(
                    "f",
                    format!("REST invoke notes.read, {clients} client(s), throughput"),
                    Measure::rate(remote_rate)
                        .with_text(format!("{} {}", Measure::rate(remote_rate).text, remote.text())),
                    "in-process invoke, same callers",
                    Measure::rate(local_rate)
                        .with_text(format!("{} {}", Measure::rate(local_rate).text, local.text())),
                )
                .details(json!({"clients": clients, "rest": remote.to_json(), "in_process": local.to_json()})),
            );
        }
        served.shutdown().await;
        rows.push(busy().await);
        rows
    })
}

/// 64 clients at once against 2 running + 2 queued calls of a slow tool.
async fn busy() -> Row {
    const CLIENTS: usize = 64;
    let served = Served::start("max_concurrent_calls = 2\nmax_queued_calls = 2").await;
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let tasks: Vec<_> = served
        .callers(CLIENTS, true)
        .into_iter()
        .map(|rt| {
            let (barrier, worker) = (barrier.clone(), served.worker.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let start = Instant::now();
                let result = rt.invoke(&worker, "digest", request("notes/big.bin")).await;
                (result, start.elapsed())
            })
        })
        .collect();
    let (mut ok, mut busy, mut other) = (0u64, 0u64, Vec::<Value>::new());
    let (mut ok_times, mut busy_times) = (Vec::new(), Vec::new());
    for task in tasks {
        match task.await.unwrap() {
            (Ok(out), t) if out.output.is_some() => {
                ok += 1;
                ok_times.push(t);
            }
            (Err(e), t) if e.code == RuntimeErrorCode::Busy => {
                busy += 1;
                busy_times.push(t);
            }
            (Ok(out), _) => other.push(json!(out.error)),
            (Err(e), _) => other.push(json!(e.code.as_str())),
        }
    }
    served.shutdown().await;
    let slowest = |t: &[Duration]| t.iter().max().map_or(0.0, |d| d.as_secs_f64() * 1e3);
    Row::new(
        "f",
        format!("{CLIENTS} clients at once, cap 2 running + 2 queued (slow tool)"),
        Measure::count(ok, "ok")
            .with_text(format!("{ok} ok, {busy} busy (503), {} other", other.len())),
        "slots + queue",
        Measure::count(4, "calls"),
    )
    .without_ratio()
    .goal(Goal::Check(
        "busy past the cap, nothing else fails",
        busy > 0 && ok >= 2 && other.is_empty(),
    ))
    .details(json!({
        "ok": ok,
        "busy": busy,
        "other": other,
        "slowest_ok_ms": slowest(&ok_times),
        "slowest_busy_ms": slowest(&busy_times),
    }))
}
