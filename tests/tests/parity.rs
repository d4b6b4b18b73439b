//! One scenario, run against the embedded runtime and against the same
//! runtime served over REST on loopback: the transcripts must be identical.
//! The scenario covers every acceptance item of the config-bundle ticket:
//! store / list / check, typed errors, fallback vs synced-bundle workers,
//! effective grants, tool invocation.

use std::sync::Arc;

use serde_json::{Value, json};
use yoi_e2e_tests::runtime_env::RuntimeEnv;
use yoi_plugin_host::bundle::{ConfigBundle, Declaration, DeclarationKind, Profile};
use yoi_plugin_host::grant::Operation;
use yoi_plugin_host::rest::client::RemoteRuntime;
use yoi_plugin_host::rest::server::{ServerConfig, serve};
use yoi_plugin_host::workers::{CreateWorkerRequest, InvokeRequest, ProfileSelector, Runtime};

/// Records each step's result as JSON (`{"ok": …}` or `{"err": {code, message}}`),
/// with worker ids replaced by their creation index.
struct Transcript {
    steps: Vec<(String, Value)>,
    workers: Vec<String>,
}

impl Transcript {
    fn record<T: serde::Serialize>(
        &mut self,
        step: &str,
        result: Result<T, yoi_plugin_host::workers::RuntimeError>,
    ) -> Option<Value> {
        let value = match result {
            Ok(v) => json!({ "ok": serde_json::to_value(v).unwrap() }),
            Err(e) => json!({ "err": { "code": e.code.as_str(), "message": e.message } }),
        };
        // A newly created worker: remember its id in creation order.
        if let Some(id) = value["ok"]["id"].as_str().filter(|id| id.starts_with("w-"))
            && !self.workers.iter().any(|w| w == id)
        {
            self.workers.push(id.to_owned());
        }
        let mut text = value.to_string();
        for (i, id) in self.workers.iter().enumerate() {
            text = text.replace(id, &format!("<worker-{i}>"));
        }
        let value: Value = serde_json::from_str(&text).unwrap();
        self.steps.push((step.to_owned(), value.clone()));
        value.get("ok").cloned()
    }
}

fn create(
    intent: &str,
    profile: ProfileSelector,
    bundle: Option<&ConfigBundle>,
    capabilities: &[&str],
) -> CreateWorkerRequest {
    CreateWorkerRequest {
        intent: intent.into(),
        profile,
        bundle: bundle.map(ConfigBundle::bundle_ref),
        capabilities: capabilities.iter().map(|s| s.to_string()).collect(),
    }
}

async fn scenario(rt: &dyn Runtime, env: &RuntimeEnv) -> Vec<(String, Value)> {
    let mut t = Transcript {
        steps: Vec::new(),
        workers: Vec::new(),
    };
    let bundle = env.bundle(1);
    t.record("list empty", rt.list_bundles().await);
    t.record(
        "availability before sync",
        rt.bundle_availability("team-a", &bundle.digest).await,
    );
    t.record(
        "availability of a hostile id",
        rt.bundle_availability("bundle/1?x", &bundle.digest).await,
    );

    // Invalid bundles are refused, typed.
    let mut tampered = bundle.clone();
    tampered.revision = 99;
    t.record(
        "store tampered (digest mismatch)",
        rt.store_bundle(tampered).await,
    );
    let secret = env
        .bundle(1)
        .with_declaration(Declaration {
            kind: DeclarationKind::Secret,
            reference: "secret:password=hunter2".into(),
        })
        .seal();
    t.record(
        "store secret-like declaration",
        rt.store_bundle(secret).await,
    );

    t.record("store", rt.store_bundle(bundle.clone()).await);
    t.record("store again", rt.store_bundle(bundle.clone()).await);
    t.record("list", rt.list_bundles().await);
    t.record(
        "availability",
        rt.bundle_availability("team-a", &bundle.digest).await,
    );
    let other = env.bundle(2);
    t.record(
        "availability other digest",
        rt.bundle_availability("team-a", &other.digest).await,
    );

    let unsynced = ConfigBundle::new(
        "team-b",
        1,
        "ws-1",
        "2026-11-26T12:00:00Z",
        bundle.provenance.clone(),
    )
    .with_profile("journal", Profile::default())
    .seal();
    // Fallback workers need no bundle.
    for (step, request) in [
        (
            "create named, bundle missing",
            create(
                "x",
                ProfileSelector::Named("journal".into()),
                Some(&unsynced),
                &[],
            ),
        ),
        (
            "create runtime-default",
            create("chat", ProfileSelector::RuntimeDefault, None, &[]),
        ),
        (
            "create builtin hello",
            create("greet", ProfileSelector::Builtin("hello".into()), None, &[]),
        ),
        (
            "create builtin unknown",
            create("x", ProfileSelector::Builtin("nope".into()), None, &[]),
        ),
        (
            "create named without bundle",
            create("x", ProfileSelector::Named("journal".into()), None, &[]),
        ),
        (
            "create named, bundle not synced",
            create(
                "x",
                ProfileSelector::Named("journal".into()),
                Some(&other),
                &[],
            ),
        ),
        (
            "create named, unknown profile",
            create(
                "x",
                ProfileSelector::Named("nope".into()),
                Some(&bundle),
                &[],
            ),
        ),
        (
            "create named, capability denied",
            create(
                "x",
                ProfileSelector::Named("journal".into()),
                Some(&bundle),
                &["capability:shell-exec"],
            ),
        ),
        (
            "create named journal",
            create(
                "journal work",
                ProfileSelector::Named("journal".into()),
                Some(&bundle),
                &["capability:fs"],
            ),
        ),
    ] {
        t.record(step, rt.create_worker(request).await);
    }
    // A bundle declaring shell: on a runtime without a shell.
    let shell = ConfigBundle::new(
        "team-shell",
        1,
        "ws-1",
        "2026-11-26T12:00:00Z",
        bundle.provenance.clone(),
    )
    .with_profile(
        "build",
        Profile {
            description: None,
            plugins: vec![],
            capabilities: vec![],
        },
    )
    .with_declaration(Declaration::new(DeclarationKind::Shell, "bash"))
    .seal();
    t.record("store shell bundle", rt.store_bundle(shell.clone()).await);
    t.record(
        "create from shell bundle",
        rt.create_worker(create(
            "x",
            ProfileSelector::Named("build".into()),
            Some(&shell),
            &[],
        ))
        .await,
    );
    // A profile asking for more than the host allows on a mount gets the intersection.
    let wide = ConfigBundle::new(
        "team-wide",
        1,
        "ws-1",
        "2026-11-26T12:00:00Z",
        bundle.provenance.clone(),
    )
    .with_profile(
        "all",
        Profile {
            description: None,
            plugins: vec![env.notes_enablement(&Operation::ALL)],
            capabilities: vec![],
        },
    )
    .seal();
    t.record("store wide bundle", rt.store_bundle(wide.clone()).await);
    t.record(
        "create wide",
        rt.create_worker(create(
            "x",
            ProfileSelector::Named("all".into()),
            Some(&wide),
            &[],
        ))
        .await,
    );

    let hello = t.workers[1].clone();
    let journal = t.workers[2].clone();
    assert_eq!(t.workers.len(), 4, "runtime-default, hello, journal, wide");
    let invoke = |input: Value| InvokeRequest {
        plugin: None,
        input,
    };
    t.record(
        "invoke greet",
        rt.invoke(&hello, "greet", invoke(json!({"name": "parity"})))
            .await,
    );
    t.record(
        "invoke greet, bad input",
        rt.invoke(&hello, "greet", invoke(json!({"nom": 1}))).await,
    );
    t.record(
        "invoke unknown tool",
        rt.invoke(&hello, "read", invoke(json!({}))).await,
    );
    t.record(
        "invoke read",
        rt.invoke(
            &journal,
            "read",
            invoke(json!({"path": "notes/journal/today.md"})),
        )
        .await,
    );
    t.record(
        "invoke append",
        rt.invoke(
            &journal,
            "append",
            invoke(json!({"path": "notes/journal/today.md", "text": "- appended"})),
        )
        .await,
    );
    t.record(
        "invoke read back",
        rt.invoke(
            &journal,
            "read",
            invoke(json!({"path": "notes/journal/today.md"})),
        )
        .await,
    );
    t.record(
        "invoke read outside host include",
        rt.invoke(
            &journal,
            "read",
            invoke(json!({"path": "notes/secret.txt"})),
        )
        .await,
    );
    t.record(
        "invoke on a missing worker",
        rt.invoke("w-0000000000000000", "greet", invoke(json!({})))
            .await,
    );
    t.record(
        "list workers",
        rt.list_workers().await.map(|mut w| {
            w.sort_by_key(|w| w.intent.clone());
            w
        }),
    );
    t.record("get worker", rt.get_worker(&journal).await);
    t.record("delete worker", rt.delete_worker(&journal).await);
    t.record("get deleted worker", rt.get_worker(&journal).await);
    t.steps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_and_remote_runtimes_give_identical_results() {
    let embedded_env = RuntimeEnv::new();
    let embedded = embedded_env.open();
    let local = scenario(&embedded, &embedded_env).await;

    let served_env = RuntimeEnv::new();
    let served = Arc::new(served_env.open());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(
        listener,
        served,
        ServerConfig {
            token: "parity-token".into(),
            ..ServerConfig::default()
        },
        async move {
            let _ = stopped.await;
        },
    ));
    let remote = RemoteRuntime::new(&format!("http://{addr}"), "parity-token").unwrap();
    let over_rest = scenario(&remote, &served_env).await;
    let _ = stop.send(());
    server.await.unwrap().unwrap();

    assert_eq!(local.len(), over_rest.len());
    for ((step, a), (_, b)) in local.iter().zip(&over_rest) {
        assert_eq!(a, b, "step '{step}' differs between embedded and remote");
    }
    // Spot-check that the scenario really exercised what it claims.
    let get = |name: &str| local.iter().find(|(s, _)| s == name).unwrap().1.clone();
    assert_eq!(get("availability before sync")["ok"]["status"], "missing");
    assert_eq!(get("store")["ok"], "stored");
    assert_eq!(get("store again")["ok"], "already-present");
    assert_eq!(
        get("availability other digest")["ok"]["status"],
        "digest-mismatch"
    );
    assert_eq!(get("create runtime-default")["ok"]["mode"], "fallback");
    assert_eq!(
        get("create builtin hello")["ok"]["plugins"][0]["plugin"]["id"],
        "user:hello"
    );
    assert_eq!(get("create named journal")["ok"]["mode"], "synced-bundle");
    assert_eq!(
        get("create named without bundle")["err"]["code"],
        "invalid-profile"
    );
    assert_eq!(
        get("create named, bundle not synced")["err"]["code"],
        "digest-mismatch"
    );
    assert_eq!(
        get("create named, bundle missing")["err"]["code"],
        "bundle-missing"
    );
    assert_eq!(
        get("create named, unknown profile")["err"]["code"],
        "invalid-profile"
    );
    assert_eq!(
        get("create named, capability denied")["err"]["code"],
        "capability-denied"
    );
    assert_eq!(
        get("create from shell bundle")["err"]["code"],
        "unsupported-declaration"
    );
    assert_eq!(
        get("create wide")["ok"]["plugins"][0]["grants"][0]["ops"],
        json!(["read", "list", "write"])
    );
    assert_eq!(
        get("store secret-like declaration")["err"]["code"],
        "invalid-bundle"
    );
    assert_eq!(
        get("invoke greet")["ok"]["output"]["greeting"],
        "Hello, parity!"
    );
    assert_eq!(
        get("invoke greet, bad input")["err"]["code"],
        "invalid-input"
    );
    assert_eq!(get("invoke unknown tool")["err"]["code"], "tool-not-found");
    assert_eq!(
        get("invoke read back")["ok"]["output"]["text"],
        "- synced a bundle\n- appended\n"
    );
    assert_eq!(
        get("invoke read outside host include")["ok"]["error"]["code"],
        "tool-failed"
    );
    assert_eq!(get("get deleted worker")["err"]["code"], "worker-not-found");
    let transcript = serde_json::to_string(&local).unwrap();
    for leak in [embedded_env.temp.path().to_str().unwrap(), "hunter2"] {
        assert!(!transcript.contains(leak), "a result leaked {leak}");
    }
}
