//! The JavaScript `fetch-js` example: the standard global `fetch()` of
//! componentize-js (StarlingMonkey's fetch over `wasi:http/outgoing-handler`),
//! awaited by an async tool handler, under the same network grants as the
//! Rust `fetch` example. A granted request works; a request outside the
//! grant is refused by the host, reaches no server and comes back as a tool
//! error (never a trap); the component imports only wasi:http (grant-gated)
//! and wasi:io. Every server is started here, on loopback, and granted
//! explicitly. `cargo xtask build-plugins` builds the component.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yoi_e2e_tests::*;
use yoi_plugin_host::abi::inspect::{import_is_grant_gated, inspect};
use yoi_plugin_host::net::{NetGrantSpec, NetGrants};
use yoi_plugin_host::package::Package;
use yoi_plugin_host::secrets::{SecretName, SecretSource, SecretSources, SecretValue};
use yoi_plugin_host::{CallError, GrantSet, Plugin, PluginPin};

use crate::support::loopback;
use loopback::Server;

/// The packaged `fetch-js` (its manifest, network request included,
/// validated against the component; a JS component records no tool list,
/// so packing probes it), loaded once per process.
fn fetch_js() -> Plugin {
    static PLUGIN: OnceLock<Plugin> = OnceLock::new();
    PLUGIN
        .get_or_init(|| {
            let component = plugins_dir().join("fetch-js.wasm");
            assert!(
                component.is_file(),
                "{} missing: run `cargo xtask build-plugins` first",
                component.display()
            );
            let package =
                Package::from_dir_declaring(&example_dir("fetch-js"), Some(&component), host())
                    .unwrap_or_else(|e| panic!("package fetch-js: [{}] {e}", e.code()));
            let pin = PluginPin::new(
                "user:fetch-js".parse().unwrap(),
                package.manifest.version(),
                package.digest.clone(),
            );
            Plugin::from_package(host(), package, pin)
                .unwrap_or_else(|e| panic!("load fetch-js: {e}"))
        })
        .clone()
}

fn net_grants(plugin: &Plugin, specs: &[&str], secrets: &SecretSources) -> Arc<GrantSet> {
    let specs: Vec<_> = specs
        .iter()
        .map(|s| NetGrantSpec::parse_cli(s).unwrap())
        .collect();
    let network = NetGrants::open(&specs, secrets).unwrap();
    Arc::new(GrantSet::new(plugin.identity().clone()).with_network(network))
}

/// The tool's output, or its error (which must be a tool error, not a
/// trap or any other call error).
fn fetch(plugin: &Plugin, grants: &Arc<GrantSet>, input: Value) -> Result<Value, CallError> {
    let result = call(plugin, grants, "fetch", &input).result;
    if let Err(e) = &result {
        assert!(
            matches!(e, CallError::ToolFailed(_) | CallError::InvalidInput(_)),
            "{input}: expected a tool error, got [{}] {e:?}",
            e.code()
        );
    }
    result
}

/// How many times the host logged a refusal with `code`.
fn refusals(code: &str) -> usize {
    captured_logs()
        .lines()
        .filter(|l| {
            l.contains("outgoing request refused") && l.contains(&format!("code=\"{code}\""))
        })
        .count()
}

#[test]
fn the_js_component_imports_only_grant_gated_http_and_wasi_io() {
    let info = inspect(&component("fetch-js")).unwrap();
    for import in &info.imports {
        assert!(
            import_is_grant_gated(import) || import.starts_with("wasi:io/"),
            "fetch-js imports {import}: {:?}",
            info.imports
        );
    }
    for needed in ["wasi:http/outgoing-handler@", "wasi:http/types@"] {
        assert!(
            info.imports.iter().any(|i| i.starts_with(needed)),
            "{needed} in {:?}",
            info.imports
        );
    }
    // No yoi host API, no filesystem, sockets, CLI, clocks or random.
    assert!(info.host_apis.is_empty(), "{:?}", info.host_apis);
    // The manifest asks for the network and names its secret; the plugin
    // loads as a package with its probed tool list.
    let plugin = fetch_js();
    assert_eq!(plugin.info().declared_tools, Some(vec!["fetch".to_owned()]));
}

#[test]
fn a_granted_request_through_the_global_fetch_works() {
    let server = Server::start();
    let plugin = fetch_js();
    let g = net_grants(
        &plugin,
        &[&format!("{},methods=GET+POST", server.url("/api"))],
        &SecretSources::default(),
    );
    let ok = fetch(&plugin, &g, json!({"url": server.url("/api/hello")})).unwrap();
    assert_eq!(ok["status"], 200, "{ok}");
    assert_eq!(ok["body"], "hello from loopback");
    assert_eq!(ok["headers"]["x-served-by"], "loopback");
    assert_eq!(ok["headers"]["content-length"], "19");

    let posted = fetch(
        &plugin,
        &g,
        json!({
            "url": server.url("/api/echo"),
            "method": "POST",
            "body": "a body",
            "headers": {"x-echo": "a header"},
        }),
    )
    .unwrap();
    assert_eq!(
        (posted["status"].as_u64(), posted["body"].as_str()),
        (Some(201), Some("POST a header a body"))
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", "/api/hello")
    );
    assert_eq!(
        (seen[1].method.as_str(), seen[1].body.as_str()),
        ("POST", "a body")
    );
    assert_eq!(seen[1].headers["x-echo"], "a header");
}

#[test]
fn requests_outside_the_grant_are_tool_errors_and_reach_no_server() {
    capture_logs();
    let server = Server::start();
    let other = Server::start();
    let plugin = fetch_js();
    let p = server.port;
    let g = net_grants(
        &plugin,
        &[&format!("http://127.0.0.1:{p}/api,methods=GET")],
        &SecretSources::default(),
    );
    let cases: [(&str, Value, &str); 5] = [
        (
            "host",
            json!({"url": format!("http://127.0.0.2:{p}/api/hello")}),
            "host-not-granted",
        ),
        (
            "port",
            json!({"url": other.url("/api/hello")}),
            "port-not-granted",
        ),
        (
            "scheme",
            json!({"url": format!("https://127.0.0.1:{p}/api/hello")}),
            "scheme-not-granted",
        ),
        (
            "method",
            json!({"url": server.url("/api/echo"), "method": "DELETE"}),
            "method-not-granted",
        ),
        (
            "path prefix",
            json!({"url": server.url("/hello")}),
            "path-not-granted",
        ),
    ];
    for (what, input, code) in cases {
        let before = refusals(code);
        let err = fetch(&plugin, &g, input).unwrap_err();
        // StarlingMonkey drops the wasi:http error code: the guest sees a
        // NetworkError; the host's log has the code.
        assert!(
            matches!(&err, CallError::ToolFailed(m)
                if m.starts_with("network-error: NetworkError when attempting to fetch resource")),
            "{what}: {err:?}"
        );
        assert!(refusals(code) > before, "{what}: the host logged no {code}");
    }

    // No network grant at all: nothing leaves the host either.
    let nothing = Arc::new(GrantSet::new(plugin.identity().clone()));
    let err = fetch(&plugin, &nothing, json!({"url": server.url("/api/hello")})).unwrap_err();
    assert!(matches!(&err, CallError::ToolFailed(m) if m.starts_with("network-error: ")));

    // Inputs the example itself refuses, before any request.
    for input in [
        json!({"url": "not a url"}),
        json!({"url": "file:///etc/passwd"}),
        json!({"url": server.url("/api/hello"), "method": "GET", "body": "x"}),
    ] {
        let err = fetch(&plugin, &g, input.clone()).unwrap_err();
        assert_eq!(err.code(), "invalid-input", "{input}: {err}");
    }

    assert!(server.seen().is_empty(), "{:?}", server.paths());
    assert!(other.seen().is_empty(), "{:?}", other.paths());

    // The plugin still works after all those failures (no trap poisoned it).
    let ok = fetch(&plugin, &g, json!({"url": server.url("/api/hello")})).unwrap();
    assert_eq!(ok["status"], 200);
    assert_eq!(server.paths(), ["/api/hello"]);
}

#[test]
fn a_redirect_is_returned_not_followed() {
    let server = Server::start();
    let denied = Server::start();
    let plugin = fetch_js();
    let g = net_grants(&plugin, &[&server.url("/")], &SecretSources::default());
    let to = denied.url("/hello");
    let out = fetch(
        &plugin,
        &g,
        json!({"url": server.url(&format!("/api/redirect?to={to}"))}),
    )
    .unwrap();
    assert_eq!(out["status"], 302, "{out}");
    assert_eq!(out["headers"]["location"], to.as_str());
    assert!(denied.seen().is_empty());
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_secret_reaches_the_server_and_not_the_guest() {
    const PLANTED: &str = "js-planted-SECRET-5d81e0";
    let server = Server::start();
    let plugin = fetch_js();
    let mut secrets = SecretSources::default();
    secrets.insert(
        SecretName::parse("api-token").unwrap(),
        SecretSource::Literal(SecretValue::new(PLANTED).unwrap()),
    );
    let g = net_grants(
        &plugin,
        &[&format!(
            "{},inject=authorization:bearer:api-token",
            server.url("/api")
        )],
        &secrets,
    );
    // The guest sets the header itself: the host's value wins.
    let outcome = call(
        &plugin,
        &g,
        "fetch",
        &json!({"url": server.url("/api/hello"), "headers": {"authorization": "guest-value"}}),
    );
    let output = outcome.result.as_ref().unwrap();
    assert_eq!(output["status"], 200);
    assert_eq!(
        server.seen()[0].headers["authorization"],
        format!("Bearer {PLANTED}")
    );
    let everything = format!(
        "{output} {:?} {} {}",
        outcome.logs, outcome.stdout, outcome.stderr
    );
    assert!(
        !everything.contains("5d81e0"),
        "the secret leaked: {everything}"
    );
}

#[test]
fn an_endless_body_is_a_tool_error_at_the_bound() {
    let server = Server::start();
    let plugin = fetch_js();
    let g = net_grants(&plugin, &[&server.url("/api")], &SecretSources::default());
    let started = Instant::now();
    let err = fetch(&plugin, &g, json!({"url": server.url("/api/endless")})).unwrap_err();
    assert!(
        matches!(&err, CallError::ToolFailed(m) if m.starts_with("http-body: ")),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

/// A refused request that carries a body is a tool error too.
/// StarlingMonkey (componentize-js 0.23.0) streams every request body
/// through an async task after `outgoing-handler.handle` and aborts the
/// call if that stream is closed under it; the host therefore drains a
/// refused request's body (within the body bound and the deadline) before
/// the refusal arrives (`net/send.rs`, `refused`). Nothing reaches a
/// server, and the next call works.
#[test]
fn a_refused_request_with_a_body_is_a_tool_error_and_reaches_no_server() {
    capture_logs();
    let server = Server::start();
    let plugin = fetch_js();
    let g = net_grants(
        &plugin,
        &[&format!("{},methods=GET", server.url("/api"))],
        &SecretSources::default(),
    );
    let before = refusals("method-not-granted");
    let input = json!({"url": server.url("/api/echo"), "method": "POST", "body": "x"});
    let err = call(&plugin, &g, "fetch", &input).result.unwrap_err();
    assert!(
        matches!(&err, CallError::ToolFailed(m) if m.starts_with("network-error")),
        "{err:?}"
    );
    assert!(refusals("method-not-granted") > before);
    assert!(server.seen().is_empty(), "{:?}", server.paths());
    let ok = fetch(&plugin, &g, json!({"url": server.url("/api/hello")})).unwrap();
    assert_eq!(ok["status"], 200);
}
