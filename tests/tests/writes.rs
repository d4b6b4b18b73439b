//! Writes: atomic, serialised per target (shared with host tools),
//! compare-and-swap conflicts, and crash safety under SIGKILL.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;
use yoi_e2e_tests::*;
use yoi_plugin_host::fs::content_digest;
use yoi_plugin_host::{GrantSpec, Operation::*};

#[test]
fn concurrent_writers_never_tear_or_interleave() {
    let sb = Sandbox::new();
    let target = sb.file("shared.txt", "");
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Read, Write])]);
    let writers = 4;
    let texts: Vec<(String, String)> = (0..writers)
        .map(|i| {
            (
                char::from(b'a' + i).to_string().repeat(200_000),
                char::from(b'A' + i).to_string().repeat(150_000),
            )
        })
        .collect();
    let valid: Vec<String> = texts
        .iter()
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .chain([String::new()])
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let reader = {
        let (target, valid, stop, reads) =
            (target.clone(), valid.clone(), stop.clone(), reads.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let seen = std::fs::read_to_string(&target).unwrap();
                assert!(
                    valid.contains(&seen),
                    "torn or interleaved content of {} bytes",
                    seen.len()
                );
                reads.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    // The writers start only once the reader runs, so it watches them.
    while reads.load(Ordering::Relaxed) == 0 {
        std::thread::yield_now();
    }
    let handles: Vec<_> = texts
        .into_iter()
        .map(|(a, b)| {
            let (hostile, g) = (hostile.clone(), g.clone());
            std::thread::spawn(move || {
                call_ok(
                    &hostile,
                    &g,
                    "write_loop",
                    &json!({"path": "m/shared.txt", "iterations": 15, "text_a": a, "text_b": b}),
                )
            })
        })
        .collect();
    for h in handles {
        let out = h.join().unwrap();
        assert_eq!(out["ok"], 15, "{out}");
    }
    let during = reads.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    reader.join().unwrap();
    eprintln!("reads while writing: {during}");
    assert!(valid.contains(&std::fs::read_to_string(&target).unwrap()));
    let leftovers: Vec<_> = std::fs::read_dir(&sb.mount)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temp files remain: {leftovers:?}");
}

#[test]
fn compare_and_swap_detects_conflicts() {
    let sb = Sandbox::new();
    let file = sb.file("doc.txt", "v1");
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Read, Write])]);
    let v1 = content_digest(b"v1");
    let ok = probe(
        &hostile,
        &g,
        json!({"op": "write", "path": "m/doc.txt", "text": "v2", "expected_digest": v1}),
    )
    .unwrap();
    assert_eq!(ok["digest"], content_digest(b"v2"));
    // A stale digest: conflict, nothing changes.
    let code = probe_code(
        &hostile,
        &g,
        json!({"op": "write", "path": "m/doc.txt", "text": "v3", "expected_digest": v1}),
    );
    assert_eq!(code, "conflict");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "v2");
    // "absent" on an existing file, and a digest for a missing one.
    assert_eq!(
        probe_code(
            &hostile,
            &g,
            json!({"op": "write", "path": "m/doc.txt", "text": "x", "expected_digest": "absent"})
        ),
        "conflict"
    );
    assert_eq!(
        probe_code(
            &hostile,
            &g,
            json!({"op": "write", "path": "m/none.txt", "text": "x", "expected_digest": v1})
        ),
        "conflict"
    );
    probe(
        &hostile,
        &g,
        json!({"op": "write", "path": "m/none.txt", "text": "x", "expected_digest": "absent"}),
    )
    .unwrap();
    // Concurrent appends through the notes plugin (read + CAS + retry) lose nothing.
    let notes = load("notes");
    let ng = grants(&notes, &[GrantSpec::new("m", &sb.mount, &[Read, Write])]);
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let (notes, ng) = (notes.clone(), ng.clone());
            std::thread::spawn(move || {
                for i in 0..5 {
                    call_ok(
                        &notes,
                        &ng,
                        "append",
                        &json!({"path": "m/log.md", "text": format!("t{t}-{i}")}),
                    );
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    let log = std::fs::read_to_string(sb.mount.join("log.md")).unwrap();
    for t in 0..4 {
        for i in 0..5 {
            assert!(
                log.contains(&format!("t{t}-{i}")),
                "lost append t{t}-{i}: {log}"
            );
        }
    }
}

/// A host tool holding the shared lock on a file blocks plugin writes to it.
#[test]
fn plugin_writes_wait_for_host_tools_holding_the_lock() {
    let sb = Sandbox::new();
    let file = sb.file("shared.md", "host");
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Write])]);
    let canonical = std::fs::canonicalize(&file).unwrap();
    let guard = host().locks().lock(&canonical);
    let writer = {
        let (hostile, g) = (hostile.clone(), g.clone());
        std::thread::spawn(move || {
            probe(
                &hostile,
                &g,
                json!({"op": "write", "path": "m/shared.md", "text": "plugin"}),
            )
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "host",
        "plugin wrote while the host held the lock"
    );
    drop(guard);
    writer.join().unwrap().unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "plugin");
}

/// Kill a writer process at random moments, many times: the file is always
/// exactly the old or the new content.
#[test]
fn killed_writers_leave_old_or_new_content_never_a_torn_file() {
    let sb = Sandbox::new();
    let size = 2 * 1024 * 1024;
    let target = sb.mount.join("target.bin");
    let mut kills = 0;
    for round in 0..30u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
            .arg(&sb.mount)
            .arg(size.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        std::thread::sleep(Duration::from_millis((round * 7919) % 40));
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        let content = std::fs::read(&target).unwrap();
        assert_eq!(content.len(), size, "round {round}: torn file");
        assert!(
            content.iter().all(|&b| b == content[0]) && (content[0] == b'A' || content[0] == b'B'),
            "round {round}: mixed content"
        );
    }
    assert_eq!(kills, 30);
    // Stray temp files from killed writers are invisible to guests.
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[List])]);
    let listing = probe(&hostile, &g, json!({"op": "list", "path": "m"})).unwrap();
    let names: Vec<_> = listing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["target.bin"]);
}

/// Compare-and-swap hashes the current file on the host: the hash is
/// bounded (files above the write bound fail fast) and charged to the read
/// budget, so it cannot outrun the call's budget or deadline.
#[test]
fn compare_and_swap_hashing_is_bounded() {
    use yoi_plugin_host::FsContext;
    use yoi_plugin_host::fs::WriteOptions;
    use yoi_plugin_host::limits::InvocationBudget;
    use yoi_plugin_host::{GrantSet, LockRegistry, PluginIdentity};

    let sb = Sandbox::new();
    // A 1 GiB sparse file: hashing it whole took 8.5 s before.
    let big = std::fs::File::create(sb.mount.join("big.bin")).unwrap();
    big.set_len(1 << 30).unwrap();
    sb.file("mid.bin", &"m".repeat(3 << 20));
    let identity = PluginIdentity::component("cas".parse().unwrap(), b"");
    let grants = Arc::new(
        GrantSet::open(identity, &[GrantSpec::new("m", &sb.mount, &[Read, Write])]).unwrap(),
    );
    let cas = WriteOptions {
        expected_digest: Some(content_digest(b"anything")),
        ..WriteOptions::default()
    };
    let mut fs = FsContext::new(
        grants.clone(),
        Arc::new(LockRegistry::new()),
        InvocationBudget::default(),
    );
    let started = std::time::Instant::now();
    let err = fs.write("m/big.bin", b"new", &cas).unwrap_err();
    assert_eq!(err.code.as_str(), "too-large");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // A 3 MiB file under a 1 MiB read budget: the hash runs out of budget.
    let mut fs = FsContext::new(
        grants,
        Arc::new(LockRegistry::new()),
        InvocationBudget::new(1 << 20, 64 << 20, 100),
    );
    let err = fs.write("m/mid.bin", b"new", &cas).unwrap_err();
    assert_eq!(err.code.as_str(), "limit-exceeded");
    assert_eq!(
        std::fs::metadata(sb.mount.join("mid.bin")).unwrap().len(),
        3 << 20
    );
}

/// Temp files left by writers killed mid-write are swept by later writes in
/// the same directory once no live writer can own them; fresh ones stay.
#[test]
fn stale_temp_files_are_swept_by_later_writes() {
    let sb = Sandbox::new();
    let old = sb.file("dir/.yoi-tmp-0123456789abcdef", "debris");
    let fresh = sb.file("dir/.yoi-tmp-fedcba9876543210", "in flight");
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();
    let hostile = load("hostile");
    let g = grants(&hostile, &[GrantSpec::new("m", &sb.mount, &[Read, Write])]);
    probe(
        &hostile,
        &g,
        json!({"op": "write", "path": "m/dir/doc.txt", "text": "hello"}),
    )
    .unwrap();
    assert!(!old.exists(), "stale debris is swept");
    assert!(fresh.exists(), "a possibly live writer's temp file stays");
    assert_eq!(
        std::fs::read_to_string(sb.mount.join("dir/doc.txt")).unwrap(),
        "hello"
    );
}
