//! The compile cache: bounded by total size with least-recently-used
//! eviction, and safe when several engines (processes) compile the same
//! component into one directory at once.

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use yoi_e2e_tests::*;
use yoi_plugin_host::runtime::CacheOutcome;
use yoi_plugin_host::{Plugin, PluginHost, PluginName};

fn host_with(dir: &Path, max_bytes: u64) -> PluginHost {
    PluginHost::builder()
        .cache_dir(dir)
        .cache_max_bytes(max_bytes)
        .max_concurrent_calls(1)
        .build()
        .unwrap()
}

fn load(host: &PluginHost, name: &str) -> CacheOutcome {
    Plugin::from_component(host, PluginName::parse(name).unwrap(), &component(name))
        .unwrap_or_else(|e| panic!("load {name}: {e}"))
        .cache_outcome()
}

/// The cache's entries: (file name, size).
fn entries(dir: &Path) -> Vec<(String, u64)> {
    let mut list: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    list.sort();
    list
}

/// The size of the entry `name` compiles to.
fn entry_size(name: &str) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    load(&host_with(dir.path(), u64::MAX), name);
    let list = entries(dir.path());
    assert_eq!(list.len(), 1);
    list[0].1
}

#[test]
fn the_cache_is_bounded_and_evicts_the_least_recently_used() {
    let (hello, notes, grep) = (entry_size("hello"), entry_size("notes"), entry_size("grep"));
    let dir = tempfile::tempdir().unwrap();
    // Room for any two of the three, not for all three.
    let host = host_with(dir.path(), hello + notes + grep - 1);
    assert_eq!(load(&host, "hello"), CacheOutcome::Miss);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(load(&host, "notes"), CacheOutcome::Miss);
    std::thread::sleep(Duration::from_millis(20));
    // A hit makes hello the most recently used...
    assert_eq!(load(&host, "hello"), CacheOutcome::Hit);
    std::thread::sleep(Duration::from_millis(20));
    // ...so storing grep evicts notes.
    assert_eq!(load(&host, "grep"), CacheOutcome::Miss);
    let total: u64 = entries(dir.path()).iter().map(|(_, len)| len).sum();
    assert!(total < hello + notes + grep, "bounded: {total}");
    assert_eq!(entries(dir.path()).len(), 2);
    assert_eq!(load(&host, "hello"), CacheOutcome::Hit);
    assert_eq!(load(&host, "grep"), CacheOutcome::Hit);
    assert_eq!(load(&host, "notes"), CacheOutcome::Miss);

    // A cap below one entry keeps only the entry just stored.
    let tiny = tempfile::tempdir().unwrap();
    let host = host_with(tiny.path(), 1);
    load(&host, "hello");
    load(&host, "notes");
    assert_eq!(entries(tiny.path()).len(), 1);
    assert_eq!(load(&host, "notes"), CacheOutcome::Hit);
    assert_eq!(load(&host, "hello"), CacheOutcome::Miss);
}

#[test]
fn engines_compiling_the_same_component_at_once_leave_one_valid_entry() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = Arc::new(component("hello"));
    let start = Arc::new(Barrier::new(4));
    let racers: Vec<_> = (0..4)
        .map(|_| {
            // Each racer has its own engine, as another process would.
            let host = host_with(dir.path(), u64::MAX);
            let (bytes, start) = (bytes.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                Plugin::from_component(&host, PluginName::parse("hello").unwrap(), &bytes)
                    .expect("every racer loads")
                    .cache_outcome()
            })
        })
        .collect();
    for racer in racers {
        let outcome = racer.join().unwrap();
        assert!(matches!(outcome, CacheOutcome::Miss | CacheOutcome::Hit));
    }
    let list = entries(dir.path());
    assert_eq!(list.len(), 1, "one entry, no temporary files: {list:?}");
    assert!(list[0].0.ends_with(".cwasm"));
    // A later engine loads it and calls through it.
    let host = host_with(dir.path(), u64::MAX);
    let plugin =
        Plugin::from_component(&host, PluginName::parse("hello").unwrap(), &bytes).unwrap();
    assert_eq!(plugin.cache_outcome(), CacheOutcome::Hit);
    let g = grants(&plugin, &[]);
    let out = call_ok(&plugin, &g, "greet", &serde_json::json!({"name": "race"}));
    assert_eq!(out["greeting"], "Hello, race!");
}
