//! Rust plugins built for `wasm32-wasip1` (issue 13, item 6): the
//! `hello-wasip1` example is a core module (`cargo xtask build-plugins`
//! copies it to `target/plugins/hello-wasip1.wasm`); the host adapts it
//! with the pinned preview1 adapter (`package/adapt.rs`) on `check`,
//! `pack` and `run`, and the result is an ordinary component: the same
//! contract, the same grants, and its preview1 `std::fs` reaches nothing.

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::abi::inspect;
use yoi_plugin_host::package::{Package, adapt};
use yoi_plugin_host::{GrantSpec, Operation, Plugin, PluginName, PluginPin};

fn adapted() -> Vec<u8> {
    let module = component("hello-wasip1");
    assert!(
        adapt::is_core_module(&module),
        "hello-wasip1 is built as a wasip1 core module"
    );
    adapt::to_component(module).unwrap_or_else(|e| panic!("adapt: [{}] {e}", e.code()))
}

#[test]
fn a_core_module_is_refused_until_adapted() {
    let module = component("hello-wasip1");
    let name = PluginName::parse("hello-wasip1").unwrap();
    let err = Plugin::from_component(host(), name, &module).unwrap_err();
    assert_eq!(err.code(), "not-a-component", "{err}");
    // Adapting twice is adapting once (a component passes through), and
    // the encoding is deterministic (package digests are stable).
    let once = adapted();
    assert_eq!(adapt::to_component(once.clone()).unwrap(), once);
    assert_eq!(adapted(), once);
}

#[test]
fn the_adapted_component_imports_only_allowed_wasi() {
    let info = inspect::inspect(&adapted()).unwrap_or_else(|e| panic!("[{}] {e}", e.code()));
    assert_eq!(
        info.declared_tools,
        Some(vec!["greet".into(), "peek".into()])
    );
    for import in &info.imports {
        let allowed = import.starts_with("yoi:plugin/")
            || inspect::ALLOWED_WASI_INTERFACES
                .iter()
                .any(|i| import.strip_prefix(i).is_some_and(|v| v.starts_with('@')));
        assert!(allowed, "{import} is not in the allowed set");
    }
    // The preview1 adapter brings wasi:filesystem, linked inert.
    assert!(info.imports.iter().any(|i| inspect::import_is_inert(i)));
    assert!(!info.imports.iter().any(|i| i.starts_with("wasi:sockets/")));
}

#[test]
fn a_wasip1_plugin_greets_and_logs() {
    let bytes = adapted();
    let plugin = Plugin::from_component(host(), PluginName::parse("hello-wasip1").unwrap(), &bytes)
        .unwrap_or_else(|e| panic!("[{}] {e}", e.code()));
    let g = grants(&plugin, &[]);
    let outcome = call(&plugin, &g, "greet", &json!({"name": "p1"}));
    assert!(
        outcome.logs.iter().any(|r| r.message == "greeting p1"),
        "{:?}",
        outcome.logs
    );
    assert_eq!(outcome.result.unwrap()["greeting"], "Hello, p1!");
    let err = call(&plugin, &g, "greet", &json!({"nom": 1}))
        .result
        .unwrap_err();
    // The SDK's own input check, as a typed tool error (not a trap).
    assert_eq!(err.code(), "invalid-input", "{err}");
}

#[test]
fn preview1_std_fs_reaches_nothing_even_with_a_grant() {
    let bytes = adapted();
    let plugin =
        Plugin::from_component(host(), PluginName::parse("hello-wasip1").unwrap(), &bytes).unwrap();
    let sb = Sandbox::new();
    sb.file("todo.md", "buy milk\n");
    // A yoi fs grant is not a preopen: std::fs sees no directory at all.
    let g = grants(
        &plugin,
        &[GrantSpec::new(
            "notes",
            &sb.mount,
            &[Operation::Read, Operation::List],
        )],
    );
    let secret = sb.outside.join("secret.txt");
    let todo = sb.mount.join("todo.md");
    for path in [
        "/etc/passwd",
        secret.to_str().unwrap(),
        todo.to_str().unwrap(),
        "notes/todo.md",
        "../../etc/passwd",
        ".",
    ] {
        let outcome = call(&plugin, &g, "peek", &json!({ "path": path }));
        let out = outcome
            .result
            .unwrap_or_else(|e| panic!("peek {path}: [{}] {e}", e.code()));
        assert_eq!(out["read"], false, "{path}: {out}");
        assert!(out["error"].is_string(), "{path}: {out}");
        assert!(!out.to_string().contains(SECRET), "{path}: {out}");
        assert!(!out.to_string().contains("root:"), "{path}: {out}");
    }
}

#[test]
fn a_wasip1_directory_packs_as_its_component() {
    let package = example_package("hello-wasip1");
    let component = package.component();
    assert!(
        !adapt::is_core_module(component),
        "the package holds the component"
    );
    assert_eq!(component, adapted().as_slice());
    assert_eq!(
        package.info.declared_tools,
        Some(vec!["greet".into(), "peek".into()])
    );
    // The archive round-trips and an installed package is never adapted
    // again (its digest is over the component).
    let again = Package::from_archive(&package.to_archive()).unwrap();
    assert_eq!(again.digest, package.digest);
    assert_eq!(example_package("hello-wasip1").digest, package.digest);
    let pin = PluginPin::new(
        "user:hello-wasip1".parse().unwrap(),
        again.manifest.version(),
        again.digest.clone(),
    );
    let plugin = Plugin::from_package(host(), again, pin).unwrap();
    let g = grants(&plugin, &[]);
    let out = call_ok(&plugin, &g, "greet", &json!({"name": "packed"}));
    assert_eq!(out["greeting"], "Hello, packed!");
    // The manifest's schema applies: a bad input is invalid-input now.
    let err = call(&plugin, &g, "greet", &json!({"name": ""}))
        .result
        .unwrap_err();
    assert_eq!(err.code(), "invalid-input", "{err}");
}
