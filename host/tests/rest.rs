//! The REST surface end to end on loopback: auth, limits, JSON errors,
//! percent-encoding, no path leaks, graceful shutdown, the remote client,
//! the registry and the `serve` CLI. Most tests serve an in-memory fake
//! runtime ([`support::Fake`]); the leak test puts the real `BundleStore`
//! behind it.

#[path = "rest/cli.rs"]
mod cli;
#[path = "rest/slow_clients.rs"]
mod slow_clients;
#[path = "rest/support.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yoi_plugin_host::bundle::{Availability, BundleStore, StoreOutcome};
use yoi_plugin_host::registry::RuntimeRegistry;
use yoi_plugin_host::rest::{RemoteRuntime, ServerConfig, serve};
use yoi_plugin_host::workers::{
    CreateWorkerRequest, InvokeRequest, ProfileSelector, Runtime, RuntimeError, RuntimeErrorCode,
};

use support::{BOUND, Fake, Server, TOKEN, answer, bundle, error_code, http};

#[tokio::test]
async fn missing_and_wrong_tokens_get_the_same_401() {
    let config = ServerConfig::new(TOKEN).unwrap().with_max_body_bytes(1024);
    let server = Server::start(Arc::new(Fake::default()), config).await;
    let client = http();
    let url = server.url("/v1/workers");
    let mut bodies = Vec::new();
    for auth in [
        None,
        Some("Bearer wrong-token"),
        Some("Basic cmVzdDp0ZXN0"),
        Some("Bearer "),
        Some(TOKEN),
    ] {
        let mut request = client.get(&url);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let (status, body) = answer(response).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(error_code(&body), "unauthorized");
        bodies.push(body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    // Every authenticated route; the token is checked before the body
    // (here over the 1 KiB cap) is even read.
    let big = "x".repeat(64 * 1024);
    for (method, path) in [
        ("POST", "/v1/config-bundles"),
        ("GET", "/metrics"),
        ("DELETE", "/v1/workers/w-0"),
    ] {
        let request = client
            .request(method.parse().unwrap(), server.url(path))
            .body(big.clone());
        let (status, body) = answer(request.send().await.unwrap()).await;
        assert_eq!((status, &body), (401, &bodies[0]), "{method} {path}");
    }
    let ok = client.get(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(answer(ok).await, (200, json!({ "workers": [] })));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_oversized_body_is_a_413_json_error() {
    let config = ServerConfig::new(TOKEN).unwrap().with_max_body_bytes(1024);
    let server = Server::start(Arc::new(Fake::default()), config).await;
    let client = http();
    let body = json!({ "intent": "x".repeat(2000), "profile": { "kind": "runtime-default" } });
    let request = client
        .post(server.url("/v1/workers"))
        .bearer_auth(TOKEN)
        .json(&body);
    let (status, body) = answer(request.send().await.unwrap()).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&body), "payload-too-large");
    assert!(body["error"]["message"].as_str().unwrap().contains("1024"));

    // Chunked, without a Content-Length, the cap holds too.
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /v1/workers HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut raw = head.into_bytes();
    for _ in 0..4 {
        raw.extend_from_slice(format!("{:x}\r\n{}\r\n", 600, " ".repeat(600)).as_bytes());
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let _ = stream.write_all(&raw).await; // the server may answer and close early
    let mut response = Vec::new();
    let read = stream.read_to_end(&mut response);
    tokio::time::timeout(BOUND, read)
        .await
        .expect("answer in time")
        .ok();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"payload-too-large\""), "{response}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn malformed_or_misshapen_json_is_a_bounded_400() {
    let server = Server::fake(Arc::default()).await;
    let client = http();
    let post = |path: &str, body: String| {
        client
            .post(server.url(path))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(body)
    };
    let cases = [
        ("/v1/workers", "{not json".to_owned(), None),
        ("/v1/workers", String::new(), None),
        (
            "/v1/workers",
            json!({ "intent": "i", "profile": { "kind": "runtime-default" }, "surprise": 1 })
                .to_string(),
            Some("surprise"),
        ),
        (
            "/v1/workers",
            json!({ "intent": 5, "profile": { "kind": "runtime-default" } }).to_string(),
            None,
        ),
        (
            "/v1/workers/w-0/tools/t/invoke",
            json!({ "input": {}, "extra": true }).to_string(),
            Some("extra"),
        ),
        (
            "/v1/config-bundles",
            json!({ "id": "team-a" }).to_string(),
            None,
        ),
    ];
    for (path, body, names) in cases {
        let (status, reply) = answer(post(path, body.clone()).send().await.unwrap()).await;
        assert_eq!(status, 400, "{path} {body}: {reply}");
        assert_eq!(error_code(&reply), "bad-request");
        if let Some(field) = names {
            assert!(
                reply["error"]["message"].as_str().unwrap().contains(field),
                "{reply}"
            );
        }
    }
    // A parse error quoting a huge value echoes at most a bounded excerpt.
    let long = format!("SECRET{}", "y".repeat(10_000));
    let body = json!({ "intent": "i", "profile": { "kind": long } }).to_string();
    let (status, reply) = answer(post("/v1/workers", body).send().await.unwrap()).await;
    assert_eq!(status, 400);
    let message = reply["error"]["message"].as_str().unwrap();
    assert!(message.len() <= 260, "{} bytes: {message}", message.len());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_routes_methods_and_workers_are_json_errors() {
    let server = Server::fake(Arc::default()).await;
    let client = http();
    for path in ["/v1/nope", "/", "/v1/workers/a/b/c", "/v2/config-bundles"] {
        for authed in [false, true] {
            let mut request = client.get(server.url(path));
            if authed {
                request = request.bearer_auth(TOKEN);
            }
            let (status, body) = answer(request.send().await.unwrap()).await;
            assert_eq!(status, 404, "{path}");
            assert_eq!(error_code(&body), "bad-request");
        }
    }
    let request = client
        .get(server.url("/v1/workers/w-404"))
        .bearer_auth(TOKEN);
    let (status, body) = answer(request.send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (404, "worker-not-found"));
    let request = client
        .delete(server.url("/v1/workers/w-404"))
        .bearer_auth(TOKEN);
    let (status, body) = answer(request.send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (404, "worker-not-found"));
    let request = client.put(server.url("/v1/workers")).bearer_auth(TOKEN);
    let (status, body) = answer(request.send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (405, "bad-request"));
    let request = client
        .get(server.url("/v1/config-bundles/team-a/availability"))
        .bearer_auth(TOKEN);
    let (status, body) = answer(request.send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (400, "bad-request"), "{body}");
    // A path segment that does not decode to UTF-8.
    let request = client
        .get(server.url("/v1/workers/%FF%FE"))
        .bearer_auth(TOKEN);
    let (status, body) = answer(request.send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (400, "bad-request"), "{body}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn health_and_readiness_need_no_token_metrics_does() {
    let fake = Arc::new(Fake::default());
    let server = Server::fake(Arc::clone(&fake)).await;
    let client = http();
    assert_eq!(
        answer(client.get(server.url("/healthz")).send().await.unwrap()).await,
        (200, json!({ "status": "ok" }))
    );
    assert_eq!(
        answer(client.get(server.url("/readyz")).send().await.unwrap()).await,
        (200, json!({ "status": "ready" }))
    );
    fake.unready.store(true, Ordering::SeqCst);
    let (status, body) = answer(client.get(server.url("/readyz")).send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (503, "internal"));

    let (status, body) = answer(client.get(server.url("/metrics")).send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (401, "unauthorized"));
    let response = client
        .get(server.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("# TYPE yoi_workers gauge"), "{text}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn ids_round_trip_percent_encoded() {
    let fake = Arc::new(Fake::default());
    let server = Server::fake(Arc::clone(&fake)).await;
    let remote = server.remote();
    let digest = "0".repeat(64);
    let odd_digest = "a&b=c d+e#f%20/?";
    assert_eq!(
        remote
            .bundle_availability("bundle/1?x", &digest)
            .await
            .unwrap(),
        Availability::Missing
    );
    remote.bundle_availability("b", odd_digest).await.unwrap();
    let worker = "w/../1?x=y#z %2F&é";
    assert_eq!(
        remote.get_worker(worker).await.unwrap_err().code,
        RuntimeErrorCode::WorkerNotFound
    );
    let request = InvokeRequest {
        plugin: None,
        input: json!({}),
    };
    remote.invoke("w-0", "to/ol?#", request).await.unwrap_err();
    assert_eq!(
        *fake.seen.lock(),
        vec![
            format!("bundle bundle/1?x {digest}"),
            format!("bundle b {odd_digest}"),
            format!("worker {worker}"),
            "invoke w-0 to/ol?#".to_owned(),
        ]
    );
    // Unaddressable segments are refused before anything is sent.
    for bad in ["", ".", ".."] {
        assert_eq!(
            remote.get_worker(bad).await.unwrap_err().code,
            RuntimeErrorCode::BadRequest
        );
    }
    assert_eq!(fake.seen.lock().len(), 4);
    server.shutdown().await.unwrap();
}

/// One scenario; each step's result as JSON, errors included.
async fn scenario(rt: &dyn Runtime) -> Vec<Value> {
    fn rec<T: serde::Serialize>(r: Result<T, RuntimeError>) -> Value {
        match r {
            Ok(v) => json!({ "ok": v }),
            Err(e) => json!({ "err": e }),
        }
    }
    let b = bundle("team-a", 1);
    let mut tampered = bundle("team-b", 1);
    tampered.revision = 2;
    let named = CreateWorkerRequest {
        intent: "journal".into(),
        profile: ProfileSelector::Named("journal".into()),
        bundle: Some(b.bundle_ref()),
        capabilities: vec!["capability:fs".into()],
    };
    let mut orphan = named.clone();
    orphan.bundle = None;
    let input = InvokeRequest {
        plugin: None,
        input: json!({ "q": [1, "two", null] }),
    };
    vec![
        rec(rt.bundle_availability("team-a", &b.digest).await),
        rec(rt.store_bundle(b.clone()).await),
        rec(rt.store_bundle(b.clone()).await),
        rec(rt.store_bundle(tampered).await),
        rec(rt.list_bundles().await),
        rec(rt.bundle_availability("team-a", &b.digest).await),
        rec(rt.bundle_availability("team-a", &"f".repeat(64)).await),
        rec(rt.create_worker(named).await),
        rec(rt.create_worker(orphan).await),
        rec(rt.list_workers().await),
        rec(rt.get_worker("w-0").await),
        rec(rt.invoke("w-0", "echo", input).await),
        rec(rt.delete_worker("w-0").await),
        rec(rt.get_worker("w-0").await),
        rec(rt.delete_worker("w-0").await),
    ]
}

#[tokio::test]
async fn the_remote_client_gives_the_same_results_as_the_runtime() {
    let direct = scenario(&Fake::default()).await;
    let server = Server::fake(Arc::default()).await;
    let over_rest = scenario(&server.remote()).await;
    assert_eq!(direct, over_rest);
    assert_eq!(direct[1], json!({ "ok": "stored" }));
    assert_eq!(direct[2], json!({ "ok": "already-present" }));
    assert_eq!(direct[3]["err"]["code"], "invalid-bundle");
    assert_eq!(direct[6]["ok"]["status"], "digest-mismatch");
    assert_eq!(direct[8]["err"]["code"], "invalid-profile");
    assert_eq!(direct[13]["err"]["code"], "worker-not-found");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_store_failure_never_shows_the_store_path() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("bundle-store-dir");
    let fake = Fake {
        store: Some(BundleStore::open(&root).unwrap()),
        ..Fake::default()
    };
    // Make the store unusable: its directory becomes a regular file.
    std::fs::remove_dir_all(&root).unwrap();
    std::fs::write(&root, "not a directory").unwrap();
    let server = Server::fake(Arc::new(fake)).await;
    let request = http()
        .post(server.url("/v1/config-bundles"))
        .bearer_auth(TOKEN)
        .json(&bundle("team-a", 1));
    let response = request.send().await.unwrap();
    assert_eq!(response.status().as_u16(), 500);
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error_code(&body), "internal");
    // No path fragment at all ("I/O" is the only slash allowed).
    assert!(!text.replace("I/O", "").contains('/'), "{text}");
    for part in root
        .iter()
        .filter_map(|p| p.to_str())
        .filter(|p| p.len() > 3)
    {
        assert!(!text.contains(part), "'{part}' leaked: {text}");
    }
    let remote = server
        .remote()
        .store_bundle(bundle("team-a", 1))
        .await
        .unwrap_err();
    assert_eq!(remote.code, RuntimeErrorCode::Internal);
    assert_eq!(remote.message, body["error"]["message"].as_str().unwrap());
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_is_graceful() {
    let fake = Arc::new(Fake::default());
    let server = Server::fake(Arc::clone(&fake)).await;
    let remote = server.remote();
    let request = InvokeRequest {
        plugin: None,
        input: json!(1),
    };
    // A slow call is in flight when shutdown is asked for: it completes.
    let in_flight = tokio::spawn(async move { remote.invoke("w-0", "slow", request).await });
    for _ in 0..200 {
        if !fake.seen.lock().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.seen.lock().len(), 1, "the call reached the runtime");
    let addr = server.addr;
    server.shutdown().await.unwrap();
    let outcome = in_flight.await.unwrap().unwrap();
    assert_eq!(outcome.output, Some(json!({ "echo": 1 })));
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn serve_refuses_an_empty_token() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let never = std::future::pending::<()>();
    let started = serve(
        listener,
        Arc::new(Fake::default()),
        ServerConfig::default(),
        never,
    );
    let e = tokio::time::timeout(BOUND, started)
        .await
        .expect("refused at once")
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    // The router alone with an empty token authorizes nobody.
    let app = yoi_plugin_host::rest::router(Arc::new(Fake::default()), ServerConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    let request = http()
        .get(format!("http://{addr}/v1/workers"))
        .header("authorization", "Bearer ");
    assert_eq!(answer(request.send().await.unwrap()).await.0, 401);
    task.abort();
}

#[tokio::test]
async fn the_registry_routes_to_the_runtime_it_names() {
    let (a, b) = (Arc::new(Fake::default()), Arc::new(Fake::default()));
    let server = Server::fake(Arc::clone(&b)).await;
    let mut registry = RuntimeRegistry::new();
    registry.add("local", a.clone()).unwrap();
    registry.add("remote", Arc::new(server.remote())).unwrap();
    registry
        .add(
            "down",
            Arc::new(RemoteRuntime::new("http://127.0.0.1:1", TOKEN).unwrap()),
        )
        .unwrap();
    assert_eq!(
        registry.add("local", a.clone()).unwrap_err().code,
        RuntimeErrorCode::BadRequest
    );
    assert_eq!(
        registry.add("a/b", a.clone()).unwrap_err().code,
        RuntimeErrorCode::BadRequest
    );
    assert_eq!(
        registry.ids().collect::<Vec<_>>(),
        ["down", "local", "remote"]
    );

    let bundle = bundle("team-a", 1);
    let outcomes = registry.sync_bundle_everywhere(&bundle).await;
    assert_eq!(outcomes["local"], Ok(StoreOutcome::Stored));
    assert_eq!(outcomes["remote"], Ok(StoreOutcome::Stored));
    assert_eq!(
        outcomes["down"].as_ref().unwrap_err().code,
        RuntimeErrorCode::Transport
    );
    assert_eq!(
        registry.sync_bundle("remote", bundle.clone()).await,
        Ok(StoreOutcome::AlreadyPresent)
    );
    assert_eq!(
        registry
            .bundle_availability("local", &bundle.id, &bundle.digest)
            .await,
        Ok(Availability::Available)
    );
    let request = CreateWorkerRequest {
        intent: "routed".into(),
        profile: ProfileSelector::RuntimeDefault,
        bundle: None,
        capabilities: Vec::new(),
    };
    registry
        .create_worker("remote", request.clone())
        .await
        .unwrap();
    assert_eq!((a.workers.lock().len(), b.workers.lock().len()), (0, 1));
    let unknown = registry
        .create_worker("nowhere", request.clone())
        .await
        .unwrap_err();
    assert_eq!(unknown.code, RuntimeErrorCode::BadRequest);
    assert!(unknown.message.contains("nowhere"));
    let odd = registry.sync_bundle("../etc", bundle).await.unwrap_err();
    assert!(!odd.message.contains("etc"), "{}", odd.message);
    server.shutdown().await.unwrap();
}
