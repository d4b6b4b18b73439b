//! Outbound HTTP through `wasi:http`, gated by network grants: allowed
//! requests, the denial matrix, redirects, size and time bounds, secret
//! injection and redaction, and the per-call concurrency bound. Every
//! server is started here, on loopback, and granted explicitly.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yoi_e2e_tests::*;
use yoi_plugin_host::limits::HttpBounds;
use yoi_plugin_host::net::{NetGrantSpec, NetGrants};
use yoi_plugin_host::secrets::{SecretName, SecretSource, SecretSources, SecretValue};
use yoi_plugin_host::{CallLimits, GrantSet, Plugin};

use crate::support::loopback;
use loopback::Server;

/// The packaged plugin: its manifest (network requests included) is
/// validated against the component.
fn fetch_plugin() -> Plugin {
    load_package("fetch")
}

fn net_grants(plugin: &Plugin, specs: &[&str], secrets: &SecretSources) -> Arc<GrantSet> {
    let specs: Vec<_> = specs
        .iter()
        .map(|s| NetGrantSpec::parse_cli(s).unwrap())
        .collect();
    let network = NetGrants::open(&specs, secrets).unwrap();
    Arc::new(GrantSet::new(plugin.identity().clone()).with_network(network))
}

/// The tool's output, or the code of its failure (`code: message`) or of
/// the call error.
fn fetch(plugin: &Plugin, grants: &Arc<GrantSet>, input: Value) -> Result<Value, String> {
    let outcome = call(plugin, grants, "fetch", &input);
    outcome.result.map_err(|e| {
        let text = e.to_string();
        match text.split_once("failed: ") {
            Some((_, rest)) => rest.split(':').next().unwrap_or_default().to_owned(),
            None => e.code().to_owned(),
        }
    })
}

#[test]
fn a_granted_request_works_and_the_rest_is_denied_with_typed_codes() {
    let server = Server::start();
    let other = Server::start();
    let plugin = fetch_plugin();
    let none = SecretSources::default();
    let p = server.port;
    let g = net_grants(
        &plugin,
        &[&format!("http://127.0.0.1:{p}/api,methods=GET+HEAD")],
        &none,
    );
    let ok = fetch(&plugin, &g, json!({"url": server.url("/api/hello")})).unwrap();
    assert_eq!(
        (ok["status"].as_u64(), ok["body"].as_str()),
        (Some(200), Some("hello from loopback"))
    );

    let cases: [(&str, Value, &str); 9] = [
        (
            "host",
            json!({"url": format!("http://127.0.0.2:{p}/api/hello")}),
            "http-request-denied",
        ),
        (
            "port",
            json!({"url": other.url("/api/hello")}),
            "http-request-denied",
        ),
        (
            "scheme",
            json!({"url": format!("https://127.0.0.1:{p}/api/hello")}),
            "http-request-denied",
        ),
        (
            "method",
            json!({"url": server.url("/api/hello"), "method": "POST", "body": "x"}),
            "http-request-denied",
        ),
        (
            "path prefix",
            json!({"url": server.url("/hello")}),
            "http-request-denied",
        ),
        (
            "segment boundary",
            json!({"url": server.url("/apix")}),
            "http-request-denied",
        ),
        (
            "dot segments",
            json!({"url": server.url("/api/../hello")}),
            "http-request-denied",
        ),
        (
            "encoded dots",
            json!({"url": server.url("/api/%2e%2e/hello")}),
            "http-request-denied",
        ),
        (
            "dns name resolving to loopback",
            json!({"url": format!("http://localhost:{p}/api/hello")}),
            "http-request-denied",
        ),
    ];
    for (what, input, code) in cases {
        assert_eq!(fetch(&plugin, &g, input).unwrap_err(), code, "{what}");
    }
    // Only the one granted request reached a server.
    let seen: Vec<_> = server.seen().iter().map(|s| s.path.clone()).collect();
    assert_eq!(seen, ["/api/hello"]);
    assert!(other.seen().is_empty());

    // A DNS name that resolves to loopback: granted by name, but the
    // resolved address is special, so the grant must say `private`.
    let by_name = net_grants(&plugin, &[&format!("http://localhost:{p}/")], &none);
    let err = fetch(
        &plugin,
        &by_name,
        json!({"url": format!("http://localhost:{p}/hello")}),
    );
    assert_eq!(err.unwrap_err(), "destination-ip-prohibited");
    let private = net_grants(&plugin, &[&format!("http://localhost:{p}/,private")], &none);
    let ok = fetch(
        &plugin,
        &private,
        json!({"url": format!("http://localhost:{p}/hello")}),
    );
    assert_eq!(ok.unwrap()["status"], 200);

    // No network grant at all: nothing leaves the host.
    let nothing = Arc::new(GrantSet::new(plugin.identity().clone()));
    let err = fetch(&plugin, &nothing, json!({"url": server.url("/hello")}));
    assert_eq!(err.unwrap_err(), "http-request-denied");
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn redirects_are_not_followed_by_the_host_and_each_hop_is_checked() {
    let server = Server::start();
    let denied = Server::start();
    let plugin = fetch_plugin();
    let g = net_grants(&plugin, &[&server.url("/")], &SecretSources::default());
    let to_denied = server.url(&format!("/redirect?to={}", denied.url("/hello")));
    let plain = fetch(&plugin, &g, json!({"url": to_denied})).unwrap();
    assert_eq!(plain["status"], 302, "the host never follows a redirect");
    let followed = fetch(
        &plugin,
        &g,
        json!({"url": to_denied, "follow_redirects": 2}),
    );
    assert_eq!(followed.unwrap_err(), "http-request-denied");
    assert!(denied.seen().is_empty());
    let to_granted = server.url(&format!("/redirect?to={}", server.url("/hello")));
    let ok = fetch(
        &plugin,
        &g,
        json!({"url": to_granted, "follow_redirects": 1}),
    )
    .unwrap();
    assert_eq!(
        (
            ok["status"].as_u64(),
            ok["redirects"].as_array().map(Vec::len)
        ),
        (Some(200), Some(1))
    );
}

#[test]
fn an_endless_body_is_cut_at_the_bound_and_a_silent_server_at_the_deadline() {
    let server = Server::start();
    let plugin = fetch_plugin();
    let g = net_grants(&plugin, &[&server.url("/")], &SecretSources::default());
    capture_logs();
    // A declared length above the bound: refused before any byte is read.
    let err = fetch(&plugin, &g, json!({"url": server.url("/big")}));
    assert_eq!(err.unwrap_err(), "http-response-body-size");
    // An endless body: cut at the bound. The guest sees the stream fail
    // (wasmtime-wasi-http 48 does not expose a mid-body code); the host
    // traces the code.
    let started = Instant::now();
    let err = fetch(&plugin, &g, json!({"url": server.url("/endless")}));
    assert_eq!(err.unwrap_err(), "http-body");
    assert!(captured_logs().contains("code=\"http-response-body-size\""));
    eprintln!("endless body cut after {:?}", started.elapsed());

    let limits = CallLimits {
        timeout: Duration::from_millis(800),
        ..CallLimits::default()
    };
    let started = Instant::now();
    let outcome = plugin.call_blocking(
        g.clone(),
        "fetch",
        &json!({"url": server.url("/silent")}).to_string(),
        &limits,
    );
    let elapsed = started.elapsed();
    let err = outcome.result.unwrap_err();
    assert_eq!(err.code(), "timeout", "{err}");
    assert!(
        elapsed < Duration::from_secs(5),
        "a silent server held the call for {elapsed:?}"
    );
}

#[test]
fn a_secret_reaches_the_server_header_and_nowhere_else() {
    capture_logs();
    const PLANTED: &str = "yoi-planted-SECRET-7f3a9c";
    let server = Server::start();
    let plugin = fetch_plugin();
    let mut secrets = SecretSources::default();
    secrets.insert(
        SecretName::parse("api-token").unwrap(),
        SecretSource::Literal(SecretValue::new(PLANTED).unwrap()),
    );
    let g = net_grants(
        &plugin,
        &[&format!(
            "{},inject=authorization:bearer:api-token,inject=x-api-key:raw:api-token",
            server.url("/")
        )],
        &secrets,
    );
    // The guest tries to set the header itself: the host's value wins.
    let outcome = call(
        &plugin,
        &g,
        "fetch",
        &json!({"url": server.url("/hello"), "headers": {"authorization": "guest-value"}}),
    );
    let output = outcome.result.as_ref().unwrap().to_string();
    let seen = server.seen();
    assert_eq!(
        seen[0].headers["authorization"],
        format!("Bearer {PLANTED}")
    );
    assert_eq!(seen[0].headers["x-api-key"], PLANTED);
    // Denied requests carry nothing either.
    let denied = call(
        &plugin,
        &g,
        "fetch",
        &json!({"url": "http://127.0.0.2:9/x"}),
    );
    let everything = [
        output,
        format!("{:?}", outcome.logs),
        outcome.stdout.clone(),
        outcome.stderr.clone(),
        format!("{:?}", denied.result),
        format!("{g:?}"),
        format!("{secrets:?}"),
        captured_logs(),
        yoi_plugin_host::metrics::encode(),
    ]
    .join("\n");
    assert!(!everything.contains(PLANTED), "the secret leaked");
    assert!(!everything.contains("7f3a9c"));
}

/// Of a `fetch_many` answer: how many requests got 200, and how many were
/// refused by the in-flight bound.
fn ok_and_limited(out: &Value) -> (usize, usize) {
    let results = out["results"].as_array().unwrap();
    let ok = results.iter().filter(|r| r["status"] == 200).count();
    let limited = results
        .iter()
        .filter(|r| {
            r["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("connection-limit-reached"))
        })
        .count();
    (ok, limited)
}

#[test]
fn concurrent_requests_of_one_call_are_bounded() {
    let server = Server::start();
    let plugin = fetch_plugin();
    let g = net_grants(&plugin, &[&server.url("/")], &SecretSources::default());
    let urls: Vec<String> = (0..8).map(|_| server.url("/hold")).collect();
    let out = call_ok(&plugin, &g, "fetch_many", &json!({"urls": urls}));
    let (ok, limited) = ok_and_limited(&out);
    assert_eq!((ok, limited), (4, 4), "{out}");
}

/// The bounds are the call's (`CallLimits::http`, a policy's `[limits]
/// http = { … }`), not constants: tighter ones apply to the same requests.
#[test]
fn http_bounds_come_from_the_call_limits() {
    let server = Server::start();
    let plugin = fetch_plugin();
    let g = net_grants(&plugin, &[&server.url("/")], &SecretSources::default());
    let with = |http: HttpBounds| CallLimits {
        http,
        ..CallLimits::default()
    };
    let two = with(HttpBounds {
        max_in_flight: 2,
        ..HttpBounds::default()
    });
    let urls: Vec<String> = (0..5).map(|_| server.url("/hold")).collect();
    let input = json!({"urls": urls}).to_string();
    let out = plugin
        .call_blocking(g.clone(), "fetch_many", &input, &two)
        .result
        .unwrap();
    let (ok, limited) = ok_and_limited(&out);
    assert_eq!((ok, limited), (2, 3), "{out}");
    // The 19-byte "hello from loopback" is over an 8-byte bound…
    let small = with(HttpBounds {
        max_response_body_bytes: 8,
        ..HttpBounds::default()
    });
    let input = json!({"url": server.url("/hello")}).to_string();
    let err = plugin
        .call_blocking(g.clone(), "fetch", &input, &small)
        .result
        .unwrap_err();
    assert!(err.to_string().contains("http-response-body-size"), "{err}");
    // …and within the default one.
    let out = fetch(&plugin, &g, json!({"url": server.url("/hello")})).unwrap();
    assert_eq!(out["status"], 200, "{out}");
}

/// The same grants from a host policy: a profile enables `network:local`,
/// the policy maps it to a URL and a secret from a file. The worker lists
/// the reference (never the URL's secret), and the server gets the header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_profile_grants_network_by_reference() {
    use yoi_plugin_host::policy::HostPolicy;
    use yoi_plugin_host::store::{PluginStore, Source};
    use yoi_plugin_host::workers::{
        CreateWorkerRequest, EmbeddedRuntime, InvokeRequest, ProfileSelector, Runtime,
        RuntimeConfig,
    };
    const PLANTED: &str = "policy-planted-SECRET-41c2";
    let server = Server::start();
    let temp = tempfile::tempdir().unwrap();
    let state = temp.path().join("state");
    let secret_file = temp.path().join("token");
    std::fs::write(&secret_file, format!("{PLANTED}\n")).unwrap();
    let package = example_package("fetch");
    PluginStore::open(state.join("plugins"))
        .unwrap()
        .install(&package, Source::User)
        .unwrap();
    let policy = format!(
        r#"
[runtime]
network = true
secrets = true

[network.local]
url = "http://127.0.0.1:{port}/"
inject = [{{ header = "x-api-key", format = "raw", secret = "api-token" }}]

[secrets.api-token]
file = "{file}"

[profiles.web]
plugins = [{{ id = "user:fetch", version = "{version}", digest = "{digest}", network = ["network:local"] }}]
"#,
        port = server.port,
        file = secret_file.display(),
        version = package.manifest.version,
        digest = package.digest,
    );
    let policy = HostPolicy::from_toml_str(&policy).unwrap();
    let rt = EmbeddedRuntime::open(RuntimeConfig {
        state_dir: state,
        plugin_store: None,
        policy,
    })
    .unwrap();
    let worker = rt
        .create_worker(CreateWorkerRequest {
            intent: "web".into(),
            profile: ProfileSelector::Builtin("web".into()),
            bundle: None,
            capabilities: vec![],
        })
        .await
        .unwrap();
    assert_eq!(worker.plugins[0].network, ["network:local"]);
    let out = rt
        .invoke(
            &worker.id,
            "fetch",
            InvokeRequest {
                plugin: None,
                input: json!({"url": server.url("/hello")}),
            },
        )
        .await
        .unwrap();
    assert_eq!(out.output.as_ref().unwrap()["status"], 200, "{out:?}");
    assert_eq!(server.seen()[0].headers["x-api-key"], PLANTED);
    let denied = rt
        .invoke(
            &worker.id,
            "fetch",
            InvokeRequest {
                plugin: None,
                input: json!({"url": "http://127.0.0.2:9/"}),
            },
        )
        .await
        .unwrap();
    assert!(
        denied
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("http-request-denied")
    );
    let shown = format!(
        "{} {} {}",
        serde_json::to_string(&worker).unwrap(),
        serde_json::to_string(&out).unwrap(),
        serde_json::to_string(&denied).unwrap()
    );
    assert!(
        !shown.contains(PLANTED) && !shown.contains("41c2"),
        "{shown}"
    );
    assert!(
        !shown.contains(&*temp.path().to_string_lossy()),
        "a host path leaked"
    );
}

/// TLS is rustls with the webpki roots: a loopback HTTPS server with a
/// self-signed certificate (granted explicitly) is refused with
/// `TLS-certificate-error`, and no request completes on it.
#[test]
fn https_with_an_untrusted_certificate_is_refused() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let completed = Arc::new(AtomicUsize::new(0));
    let handshakes = completed.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                if acceptor.accept(stream).await.is_ok() {
                    handshakes.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
    });
    let plugin = fetch_plugin();
    let url = format!("https://127.0.0.1:{port}/");
    let g = net_grants(&plugin, &[&url], &SecretSources::default());
    let err = fetch(&plugin, &g, json!({ "url": url }));
    assert_eq!(err.unwrap_err(), "tls-certificate-error");
    assert_eq!(completed.load(Ordering::SeqCst), 0);
}
