//! Load-time checks: ABI id, forbidden imports, core modules, missing
//! exports, and the compile cache.

use yoi_e2e_tests::*;
use yoi_plugin_host::abi::AbiVersion;
use yoi_plugin_host::runtime::{CacheOutcome, LoadError, PluginHost, inspect};

#[test]
fn a_component_importing_wasi_filesystem_is_refused_naming_the_import() {
    let bytes = component("wasi-fs-importer");
    let err = host()
        .load(
            identity("wasi-fs-importer", &bytes),
            "yoi-plugin-wasm-1",
            &bytes,
        )
        .expect_err("must be refused");
    match &err {
        LoadError::ForbiddenImport(name) => assert!(name.starts_with("wasi:filesystem/"), "{name}"),
        other => panic!("wrong error: {other}"),
    }
    assert!(err.to_string().contains("wasi:filesystem/"));
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
            assert!(
                !import.contains("filesystem")
                    && !import.contains("sockets")
                    && !import.contains("http")
            );
        }
        inspect::check_abi(&info, AbiVersion::V1).unwrap();
    }
}

#[test]
fn wrong_abi_core_modules_and_foreign_components_are_refused() {
    let bytes = component("hello");
    let id = identity("hello", &bytes);
    assert!(matches!(
        host().load(id.clone(), "yoi-plugin-wasm-2", &bytes),
        Err(LoadError::UnsupportedAbi(_))
    ));
    let core = b"\0asm\x01\0\0\0";
    assert!(matches!(
        host().load(id.clone(), "yoi-plugin-wasm-1", core),
        Err(LoadError::NotAComponent)
    ));
    let empty_component = b"\0asm\x0d\0\x01\0";
    assert!(matches!(
        host().load(id.clone(), "yoi-plugin-wasm-1", empty_component),
        Err(LoadError::MissingExport(_))
    ));
    assert!(matches!(
        host().load(id, "yoi-plugin-wasm-1", b"not wasm at all"),
        Err(LoadError::Malformed(_))
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
    let p = first
        .load(identity("hello", &bytes), "yoi-plugin-wasm-1", &bytes)
        .unwrap();
    assert_eq!(p.cache_outcome(), CacheOutcome::Miss);
    let second = PluginHost::builder()
        .cache_dir(cache.path())
        .build()
        .unwrap();
    let p = second
        .load(identity("hello", &bytes), "yoi-plugin-wasm-1", &bytes)
        .unwrap();
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
    let p = third
        .load(identity("hello", &bytes), "yoi-plugin-wasm-1", &bytes)
        .unwrap();
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
