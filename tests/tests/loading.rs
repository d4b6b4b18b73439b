//! Load-time checks: the ABI from the component's own export, forbidden
//! imports, core modules, missing exports, and the compile cache.

use yoi_e2e_tests::*;
use yoi_plugin_host::abi::inspect;
use yoi_plugin_host::abi::{AbiVersion, ContractError, HostApi};
use yoi_plugin_host::runtime::CacheOutcome;
use yoi_plugin_host::{LoadError, Plugin, PluginHost, PluginName};

fn load_bytes(host: &PluginHost, bytes: &[u8]) -> Result<Plugin, LoadError> {
    Plugin::from_component(host, PluginName::parse("probe").unwrap(), bytes)
}

#[test]
fn wasi_filesystem_is_linked_inert_and_reaches_nothing() {
    // The component imports wasi:filesystem (std::fs) and tries to read
    // /etc/passwd: it loads, runs, and finds no filesystem at all (no
    // preopened directory), even with an fs grant for `/` in its grants.
    let bytes = component("wasi-fs-importer");
    let plugin = load_bytes(host(), &bytes).expect("inert WASI imports load");
    assert!(
        plugin
            .info()
            .imports
            .iter()
            .any(|i| i.starts_with("wasi:filesystem/"))
    );
    let root = yoi_plugin_host::GrantSpec::new("root", "/", &[yoi_plugin_host::Operation::Read]);
    let g = grants(&plugin, &[root]);
    let outcome = plugin.call_blocking(g, "steal", "{}", &Default::default());
    let err = outcome.result.expect_err("nothing to read");
    assert_eq!(err.code(), "tool-failed", "{err}");
    let text = err.to_string();
    assert!(!text.contains("root:"), "no file content: {text}");
}

#[test]
fn example_plugins_import_only_the_allowed_subset() {
    for name in ["hello", "notes", "grep", "hostile"] {
        let info = inspect::inspect(&component(name)).unwrap();
        eprintln!("{name}: {:?}", info.imports);
        for import in &info.imports {
            assert!(
                inspect::import_allowed(AbiVersion::V1, import),
                "{name} imports {import}"
            );
            assert!(!import.contains("http"));
        }
        assert_eq!(info.abi, AbiVersion::V1, "{name}");
    }
    // The ABI and the host APIs come from the component itself.
    assert_eq!(
        inspect::inspect(&component("notes")).unwrap().host_apis,
        vec![HostApi::Fs, HostApi::Log]
    );
    assert!(
        inspect::inspect(&component("hello"))
            .unwrap()
            .host_apis
            .is_empty()
    );
}

#[test]
fn core_modules_and_foreign_components_are_refused() {
    let contract = |bytes: &[u8]| match load_bytes(host(), bytes) {
        Err(LoadError::Contract(e)) => e,
        other => panic!("expected a contract error, got {other:?}"),
    };
    assert_eq!(contract(b"\0asm\x01\0\0\0"), ContractError::NotAComponent);
    assert_eq!(contract(b"\0asm\x0d\0\x01\0"), ContractError::MissingExport);
    assert!(matches!(
        contract(b"not wasm at all"),
        ContractError::Malformed(_)
    ));
}

#[test]
fn the_compile_cache_serves_the_second_load() {
    let cache = tempfile::tempdir().unwrap();
    let bytes = component("hello");
    let first = PluginHost::builder()
        .cache_dir(cache.path())
        .build()
        .unwrap();
    let p = load_bytes(&first, &bytes).unwrap();
    assert_eq!(p.cache_outcome(), CacheOutcome::Miss);
    let second = PluginHost::builder()
        .cache_dir(cache.path())
        .build()
        .unwrap();
    let p = load_bytes(&second, &bytes).unwrap();
    assert_eq!(p.cache_outcome(), CacheOutcome::Hit);
    let g = grants(&p, &[]);
    assert_eq!(
        call_ok(&p, &g, "greet", &serde_json::json!({"name": "cache"}))["greeting"],
        "Hello, cache!"
    );
    // A corrupt entry is recompiled, not trusted.
    for entry in std::fs::read_dir(cache.path()).unwrap() {
        std::fs::write(entry.unwrap().path(), b"corrupt").unwrap();
    }
    let third = PluginHost::builder()
        .cache_dir(cache.path())
        .build()
        .unwrap();
    let p = load_bytes(&third, &bytes).unwrap();
    assert_eq!(p.cache_outcome(), CacheOutcome::Miss);
}

/// The WASI context carries no authority: empty environment, no arguments,
/// even though the host process has both.
#[test]
fn guests_see_no_environment_and_no_arguments() {
    assert!(
        std::env::vars().next().is_some(),
        "the test process has an environment"
    );
    let hostile = load("hostile");
    let g = grants(&hostile, &[]);
    let out = call_ok(&hostile, &g, "env", &serde_json::json!({}));
    assert_eq!(out["vars"], serde_json::json!([]));
    assert_eq!(out["args"], serde_json::json!([]));
}
