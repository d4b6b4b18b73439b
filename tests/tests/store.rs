//! The plugin store: atomic install under crash injection, concurrent
//! installs, tamper detection, exact enablement.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use yoi_e2e_tests::*;
use yoi_plugin_host::package::{Package, PackageFiles};
use yoi_plugin_host::store::{InstallStep, PluginStore, Source};
use yoi_plugin_host::{Digest, PluginId, PluginIdentity, PluginPin};

fn id(text: &str) -> PluginId {
    PluginId::parse(text).unwrap()
}

/// notes 0.1.0 and a second version 0.2.0 (manifest version bumped).
fn two_versions() -> (Package, Package) {
    let v1 = example_package("notes");
    let mut files = PackageFiles::new();
    for (path, content) in v1.files.iter() {
        let content = if path == "plugin.toml" {
            String::from_utf8(content.to_vec())
                .unwrap()
                .replace("version = \"0.1.0\"", "version = \"0.2.0\"")
                .into_bytes()
        } else {
            content.to_vec()
        };
        files.insert(path, content).unwrap();
    }
    let v2 = Package::from_files(files).unwrap();
    assert_ne!(v1.digest, v2.digest);
    (v1, v2)
}

/// The store must hold exactly one complete version of user:notes, and no
/// unmarked package directory.
fn assert_consistent(store_dir: &Path, allowed: &[&Digest]) -> Digest {
    let store = PluginStore::open(store_dir).unwrap();
    let pkg = store
        .get(&id("user:notes"))
        .unwrap_or_else(|e| panic!("store inconsistent: [{}] {e}", e.code()));
    assert!(allowed.contains(&&pkg.digest), "unexpected digest");
    for entry in std::fs::read_dir(store_dir.join("packages")).unwrap() {
        let dir = entry.unwrap().path();
        let marker = std::fs::read_to_string(dir.join(".complete")).unwrap_or_default();
        assert_eq!(
            marker.trim(),
            dir.file_name().unwrap().to_str().unwrap(),
            "unmarked or mismatched package dir"
        );
    }
    pkg.digest
}

#[test]
fn crashes_at_every_install_step_leave_old_or_new() {
    let (v1, v2) = two_versions();
    let temp = tempfile::tempdir().unwrap();
    let archive = temp.path().join("v2.yoi-plugin");
    std::fs::write(&archive, v2.to_archive()).unwrap();
    let mut runs = 0;
    for step in InstallStep::ALL {
        for _ in 0..4 {
            let store_dir = tempfile::tempdir().unwrap();
            PluginStore::open(store_dir.path())
                .unwrap()
                .install(&v1, Source::User)
                .unwrap();
            let status = Command::new(env!("CARGO_BIN_EXE_crash-installer"))
                .arg(store_dir.path())
                .arg(&archive)
                .arg(format!("{step:?}").to_lowercase())
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(
                !status.success(),
                "the installer should have crashed at {step:?}"
            );
            let digest = assert_consistent(store_dir.path(), &[&v1.digest, &v2.digest]);
            // Before the swap the old version is live, from it on the new one.
            let expect_new = matches!(step, InstallStep::Swapped | InstallStep::Collected);
            assert_eq!(
                digest,
                if expect_new {
                    v2.digest.clone()
                } else {
                    v1.digest.clone()
                },
                "{step:?}"
            );
            // A later install completes and the store is still sound.
            PluginStore::open(store_dir.path())
                .unwrap()
                .install(&v2, Source::User)
                .unwrap();
            assert_eq!(
                assert_consistent(store_dir.path(), &[&v2.digest]),
                v2.digest
            );
            let debris = std::fs::read_dir(store_dir.path().join(".staging"))
                .unwrap()
                .count();
            assert_eq!(debris, 0, "crash leftovers are swept by the next install");
            runs += 1;
        }
    }
    eprintln!("crash-injection runs: {runs}");
}

#[test]
fn random_sigkills_during_install_leave_old_or_new() {
    let (v1, v2) = two_versions();
    let temp = tempfile::tempdir().unwrap();
    let archives = [
        temp.path().join("v1.yoi-plugin"),
        temp.path().join("v2.yoi-plugin"),
    ];
    std::fs::write(&archives[0], v1.to_archive()).unwrap();
    std::fs::write(&archives[1], v2.to_archive()).unwrap();
    let store_dir = tempfile::tempdir().unwrap();
    PluginStore::open(store_dir.path())
        .unwrap()
        .install(&v1, Source::User)
        .unwrap();
    for round in 0..40u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-installer"))
            .arg(store_dir.path())
            .arg(&archives[(round % 2) as usize])
            .arg("none")
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros((round * 7919) % 30_000));
        let _ = child.kill();
        child.wait().unwrap();
        assert_consistent(store_dir.path(), &[&v1.digest, &v2.digest]);
    }
}

#[test]
fn concurrent_installs_of_one_plugin_are_safe() {
    let (v1, v2) = two_versions();
    let store_dir = tempfile::tempdir().unwrap();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let pkg = if i % 2 == 0 { v1.clone() } else { v2.clone() };
            let dir = store_dir.path().to_path_buf();
            std::thread::spawn(move || {
                let store = PluginStore::open(dir).unwrap();
                for _ in 0..5 {
                    store.install(&pkg, Source::User).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_consistent(store_dir.path(), &[&v1.digest, &v2.digest]);
    let packages = std::fs::read_dir(store_dir.path().join("packages"))
        .unwrap()
        .count();
    assert_eq!(packages, 1, "the replaced version was collected");
}

#[test]
fn tampering_and_incomplete_installs_are_detected_at_load() {
    let (v1, _) = two_versions();
    let store_dir = tempfile::tempdir().unwrap();
    let store = PluginStore::open(store_dir.path()).unwrap();
    store.install(&v1, Source::User).unwrap();
    let dir = store_dir.path().join("packages").join(v1.digest.as_str());
    let mut wasm = std::fs::read(dir.join("notes.wasm")).unwrap();
    let last = wasm.len() - 1;
    wasm[last] ^= 0x01;
    std::fs::write(dir.join("notes.wasm"), &wasm).unwrap();
    assert_eq!(store.get(&id("user:notes")).unwrap_err().code(), "tampered");
    // Reinstalling replaces the tampered files instead of trusting them.
    store.install(&v1, Source::User).unwrap();
    assert_eq!(store.get(&id("user:notes")).unwrap().digest, v1.digest);
    std::fs::remove_file(dir.join(".complete")).unwrap();
    assert_eq!(
        store.get(&id("user:notes")).unwrap_err().code(),
        "incomplete-install"
    );
    // Reinstalling repairs it (an unmarked directory is never reused).
    store.install(&v1, Source::User).unwrap();
    assert!(store.get(&id("user:notes")).is_ok());
    std::fs::write(
        store_dir.path().join("plugins/user/notes.json"),
        "{not json",
    )
    .unwrap();
    assert_eq!(store.get(&id("user:notes")).unwrap_err().code(), "corrupt");
    assert_eq!(
        store.get(&id("user:nothing")).unwrap_err().code(),
        "not-installed"
    );
    assert!(PluginId::parse("evil:../x").is_err());
}

#[test]
fn enablement_pins_version_and_digest() {
    let (v1, v2) = two_versions();
    let store_dir = tempfile::tempdir().unwrap();
    let store = PluginStore::open(store_dir.path()).unwrap();
    store.install(&v1, Source::User).unwrap();
    let exact = PluginPin::new(
        id("user:notes"),
        "0.1.0".parse().unwrap(),
        v1.digest.clone(),
    );
    let plugin = store.load(host(), &exact).unwrap();
    assert_eq!(plugin.identity(), &PluginIdentity::Installed(exact.clone()));
    assert_eq!(plugin.manifest().unwrap().id, "notes");
    let wrong_version = PluginPin {
        version: "0.2.0".parse().unwrap(),
        ..exact.clone()
    };
    assert_eq!(
        store.load(host(), &wrong_version).unwrap_err().code(),
        "version-mismatch"
    );
    let wrong_digest = PluginPin {
        digest: v2.digest.clone(),
        ..exact.clone()
    };
    assert_eq!(
        store.load(host(), &wrong_digest).unwrap_err().code(),
        "digest-mismatch"
    );
    // Listing is inventory only.
    let listed = store.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0], exact);
    store.remove(&id("user:notes")).unwrap();
    assert!(store.list().unwrap().is_empty());
    assert_eq!(
        std::fs::read_dir(store_dir.path().join("packages"))
            .unwrap()
            .count(),
        0
    );
}

/// The store lock has a timeout with a typed error, and the store's
/// directories are private to the host user.
#[test]
fn a_held_store_lock_times_out_typed_and_directories_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let (v1, v2) = two_versions();
    let store_dir = tempfile::tempdir().unwrap();
    let store = PluginStore::open(store_dir.path()).unwrap();
    for dir in ["packages", "plugins", ".staging"] {
        let mode = std::fs::metadata(store_dir.path().join(dir))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{dir}");
    }
    let impatient = PluginStore::open(store_dir.path())
        .unwrap()
        .with_lock_timeout(Duration::from_millis(200));
    let mut waited = None;
    store
        .install_with_hook(&v1, Source::User, &mut |step| {
            if step == InstallStep::Staged {
                // The first install holds the lock here.
                let started = std::time::Instant::now();
                let err = impatient.install(&v2, Source::User).unwrap_err();
                waited = Some((err.code(), started.elapsed()));
            }
        })
        .unwrap();
    let (code, elapsed) = waited.expect("the hook ran");
    assert_eq!(code, "store-busy");
    assert!(elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(10));
    // Once the lock is free the same store works.
    impatient.install(&v2, Source::User).unwrap();
}
