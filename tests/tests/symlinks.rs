//! Symlink policy: never followed. Escapes through symlinks fail, also
//! while another thread swaps directories and symlinks concurrently.

use std::os::unix::fs::symlink;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yoi_e2e_tests::*;
use yoi_plugin_host::limits::InvocationBudget;
use yoi_plugin_host::{FsContext, GrantSet, GrantSpec, LockRegistry, Operation::*, PluginIdentity};

#[test]
fn symlinks_are_never_followed() {
    let sb = Sandbox::new();
    sb.file("real/inside.txt", "inside");
    symlink(&sb.outside, sb.mount.join("to-outside")).unwrap();
    symlink(sb.outside.join("secret.txt"), sb.mount.join("secret-link")).unwrap();
    symlink(sb.mount.join("real"), sb.mount.join("to-real")).unwrap();
    symlink("real/inside.txt", sb.mount.join("relative-inside")).unwrap();
    symlink("../outside/secret.txt", sb.mount.join("relative-escape")).unwrap();
    symlink("does-not-exist", sb.mount.join("dangling")).unwrap();
    symlink("loop-b", sb.mount.join("loop-a")).unwrap();
    symlink("loop-a", sb.mount.join("loop-b")).unwrap();
    let hostile = load("hostile");
    let g = grants(
        &hostile,
        &[GrantSpec::new("m", &sb.mount, &[Read, List, Write, Stat])],
    );

    let symlink_cases = [
        ("read", "m/to-outside/secret.txt"),
        ("read", "m/secret-link"),
        ("read", "m/to-real/inside.txt"),
        ("read", "m/relative-inside"),
        ("read", "m/relative-escape"),
        ("read", "m/dangling"),
        ("read", "m/loop-a"),
        ("read", "m/loop-a/x"),
        ("list", "m/to-outside"),
        ("list", "m/to-real"),
        ("stat", "m/to-outside/secret.txt"),
        ("write", "m/secret-link"),
        ("write", "m/to-outside/secret.txt"),
        ("write", "m/to-outside/new.txt"),
        ("write", "m/dangling"),
    ];
    for (op, path) in symlink_cases {
        let code = probe_code(
            &hostile,
            &g,
            json!({"op": op, "path": path, "text": "pwned"}),
        );
        assert_eq!(code, "symlink", "{op} {path}");
    }
    // Stat and list report a symlink without following it.
    let meta = probe(&hostile, &g, json!({"op": "stat", "path": "m/to-outside"})).unwrap();
    assert_eq!(meta["kind"], "symlink");
    let listing = probe(&hostile, &g, json!({"op": "list", "path": "m"})).unwrap();
    let link = listing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "to-outside")
        .unwrap()
        .clone();
    assert_eq!(
        (link["kind"].as_str(), link["size"].as_u64()),
        (Some("symlink"), Some(0))
    );
    // Nothing outside changed or appeared.
    assert_eq!(
        std::fs::read_to_string(sb.outside.join("secret.txt")).unwrap(),
        SECRET
    );
    assert!(!sb.outside.join("new.txt").exists());
    assert!(!sb.mount.join("does-not-exist").exists());
}

/// Swaps `mount/sw` between a real directory and a symlink to the outside
/// directory as fast as possible until `stop`, counting swaps in `swaps`.
fn swapper(
    sb: &Sandbox,
    stop: Arc<AtomicBool>,
    count: Arc<AtomicU64>,
) -> std::thread::JoinHandle<u64> {
    let sw = sb.mount.join("sw");
    let outside = sb.outside.clone();
    std::thread::spawn(move || {
        let mut swaps = 0;
        while !stop.load(Ordering::Relaxed) {
            let _ = std::fs::remove_file(&sw);
            let _ = std::fs::create_dir(&sw);
            let _ = std::fs::write(sw.join("secret.txt"), "inside");
            // Not following the symlink: removes a real dir, or the link.
            let _ = std::fs::remove_dir_all(&sw);
            let _ = symlink(&outside, &sw);
            swaps += 1;
            count.store(swaps, Ordering::Relaxed);
        }
        swaps
    })
}

/// The guest reads `m/sw/secret.txt` thousands of times while the host
/// swaps `sw`: no read may ever return the outside content. Calls go on
/// until the swapper has swapped often enough (at least six calls, at most
/// a minute), so a fast host cannot finish before the race runs.
#[test]
fn concurrent_symlink_swaps_never_escape_through_a_plugin() {
    let sb = Sandbox::new();
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Read])]);
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let swapper = swapper(&sb, stop.clone(), count.clone());
    let (mut inside, mut outside, mut errors) = (0u64, 0u64, serde_json::Map::new());
    let give_up = Instant::now() + Duration::from_secs(60);
    let mut calls = 0;
    while calls < 6 || (count.load(Ordering::Relaxed) < 500 && Instant::now() < give_up) {
        calls += 1;
        let out = call_ok(
            &hostile,
            &g,
            "read_loop",
            &json!({"path": "m/sw/secret.txt", "iterations": 2000}),
        );
        for (text, count) in out["contents"].as_object().unwrap() {
            let count = count.as_u64().unwrap();
            if text.contains(SECRET) {
                outside += count;
            } else {
                // "" while the swapper has created but not yet filled it.
                assert!(text == "inside" || text.is_empty(), "{text:?}");
                inside += count;
            }
        }
        for (code, count) in out["errors"].as_object().unwrap() {
            let prev = errors.get(code).and_then(Value::as_u64).unwrap_or(0);
            errors.insert(code.clone(), json!(prev + count.as_u64().unwrap()));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    eprintln!("swaps={swaps} inside={inside} outside={outside} errors={errors:?}");
    assert_eq!(
        outside, 0,
        "a read escaped the mount through a swapped symlink"
    );
    assert!(swaps > 100, "the swapper did not run");
    assert!(
        errors.contains_key("symlink") || errors.contains_key("not-found"),
        "the race was never observed"
    );
    assert!(
        errors.keys().all(|c| c == "symlink" || c == "not-found"),
        "a swap was reported as something else than symlink/not-found: {errors:?}"
    );
}

/// The same race natively, at a much higher rate, directly against the fs
/// semantics (as a host tool would use them), with many reader threads.
#[test]
fn concurrent_symlink_swaps_never_escape_natively() {
    let sb = Sandbox::new();
    std::fs::write(sb.outside.join("outside-only.txt"), "x").unwrap();
    let identity = PluginIdentity::component("race".parse().unwrap(), b"");
    let grants = Arc::new(
        GrantSet::open(
            identity,
            &[GrantSpec::new("m", &sb.mount, &[Read, List, Write])],
        )
        .unwrap(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = swapper(&sb, stop.clone(), Arc::new(AtomicU64::new(0)));
    let readers: Vec<_> = (0..3)
        .map(|i| {
            let grants = grants.clone();
            std::thread::spawn(move || {
                let mut fs = FsContext::new(
                    grants,
                    Arc::new(LockRegistry::new()),
                    InvocationBudget::new(u64::MAX, u64::MAX, u64::MAX),
                );
                let (mut ok, mut escaped) = (0u64, 0u64);
                let mut codes = std::collections::BTreeMap::<&'static str, u64>::new();
                let mut count = |e: yoi_plugin_host::FsError| {
                    *codes.entry(e.code.as_str()).or_default() += 1;
                };
                for n in 0..20_000 {
                    match fs.read("m/sw/secret.txt", 0, 4096) {
                        Ok(r) => {
                            ok += 1;
                            escaped += u64::from(r.data != b"inside" && !r.data.is_empty());
                        }
                        Err(e) => count(e),
                    }
                    match fs.list("m/sw", None, 0) {
                        Ok(page) => {
                            escaped +=
                                u64::from(page.entries.iter().any(|e| e.name == "outside-only.txt"))
                        }
                        Err(e) => count(e),
                    }
                    if i == 0 && n % 10 == 0 {
                        let written = fs.write("m/sw/planted.txt", b"planted", &Default::default());
                        if let Err(e) = written {
                            count(e);
                        }
                    }
                }
                (ok, escaped, codes)
            })
        })
        .collect();
    let results: Vec<_> = readers.into_iter().map(|r| r.join().unwrap()).collect();
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    eprintln!("reader results {results:?}");
    assert!(
        results.iter().all(|(_, escaped, _)| *escaped == 0),
        "escape observed: {results:?}"
    );
    // A swap is reported as what it is (spec §7.3): the segment was a
    // symlink, or it was gone. Never `io` or `not-a-directory`.
    for (_, _, codes) in &results {
        for code in codes.keys() {
            assert!(
                ["symlink", "not-found"].contains(code),
                "a swap was reported as {code}: {results:?}"
            );
        }
    }
    assert!(
        !sb.outside.join("planted.txt").exists(),
        "a write escaped through the swapped symlink"
    );
    assert_eq!(
        std::fs::read_to_string(sb.outside.join("secret.txt")).unwrap(),
        SECRET
    );
}

/// Special files are never opened as files: a FIFO (which would block a
/// plain open forever) and a directory both fail fast, typed.
#[test]
fn fifos_and_directories_are_not_files() {
    let sb = Sandbox::new();
    let status = std::process::Command::new("mkfifo")
        .arg(sb.mount.join("pipe"))
        .status()
        .expect("mkfifo");
    assert!(status.success());
    std::fs::create_dir(sb.mount.join("dir")).unwrap();
    let hostile = load("hostile");
    let g = grants(
        &hostile,
        &[GrantSpec::new("m", &sb.mount, &[Read, Write, Stat, List])],
    );
    let started = std::time::Instant::now();
    assert_eq!(
        probe_code(&hostile, &g, json!({"op": "read", "path": "m/pipe"})),
        "not-a-file"
    );
    assert_eq!(
        probe_code(
            &hostile,
            &g,
            json!({"op": "write", "path": "m/pipe", "text": "x"})
        ),
        "not-a-file"
    );
    assert_eq!(
        probe_code(&hostile, &g, json!({"op": "read", "path": "m/dir"})),
        "not-a-file"
    );
    assert_eq!(
        probe_code(&hostile, &g, json!({"op": "list", "path": "m/pipe"})),
        "not-a-directory"
    );
    assert_eq!(
        probe(&hostile, &g, json!({"op": "stat", "path": "m/pipe"})).unwrap()["kind"],
        "other"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "an open blocked"
    );
}
