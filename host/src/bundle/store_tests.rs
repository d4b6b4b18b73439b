//! Tests of the directory-backed bundle store.

use crate::error::ErrorCode;
use std::sync::Arc;

use super::*;
use crate::bundle::tests::{sample, sample_with};

fn store() -> (tempfile::TempDir, BundleStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = BundleStore::open(dir.path().join("bundles")).unwrap();
    (dir, store)
}

#[test]
fn put_get_check_list() {
    let (_dir, store) = store();
    let b1 = sample_with("team-a", 1);
    let b2 = sample_with("team-a", 2);
    let c = sample_with("team-b", 1);
    assert_eq!(store.put(&b1).unwrap(), StoreOutcome::Stored);
    assert_eq!(store.put(&b1).unwrap(), StoreOutcome::AlreadyPresent);
    assert_eq!(store.put(&b2).unwrap(), StoreOutcome::Stored);
    assert_eq!(store.put(&c).unwrap(), StoreOutcome::Stored);
    assert_eq!(store.get(&b1.bundle_ref()).unwrap(), b1);
    assert_eq!(store.get(&b2.bundle_ref()).unwrap(), b2);
    assert_eq!(
        store.check("team-a", &b2.digest).unwrap(),
        Availability::Available
    );
    assert_eq!(
        store.check("team-z", &b2.digest).unwrap(),
        Availability::Missing
    );
    let mut both = vec![b1.digest.clone(), b2.digest.clone()];
    both.sort();
    assert_eq!(
        store.check("team-b", &b1.digest).unwrap(),
        Availability::DigestMismatch {
            available: vec![c.digest.clone()]
        }
    );
    let other = "f".repeat(64);
    assert_eq!(
        store.check("team-a", &other).unwrap(),
        Availability::DigestMismatch { available: both }
    );
    let err = store.get(&BundleRef::new("team-a", other)).unwrap_err();
    assert_eq!(err.code(), "digest-mismatch");
    let err = store
        .get(&BundleRef::new("nope", b1.digest.clone()))
        .unwrap_err();
    assert_eq!(err.code(), "bundle-missing");
    let list = store.list().unwrap();
    let keys: Vec<(&str, u64)> = list.iter().map(|s| (s.id.as_str(), s.revision)).collect();
    assert_eq!(keys, [("team-a", 1), ("team-a", 2), ("team-b", 1)]);
    assert_eq!(list[0], b1.summary());
    let json = serde_json::to_string(&Availability::DigestMismatch { available: vec![] }).unwrap();
    assert_eq!(json, r#"{"status":"digest-mismatch","available":[]}"#);
}

#[test]
fn put_refuses_invalid_bundles_and_refs() {
    let (_dir, store) = store();
    let mut b = sample();
    b.revision += 1; // digest no longer matches
    assert_eq!(store.put(&b).unwrap_err().code(), "digest-mismatch");
    let mut b = sample();
    b.id = "../escape".into();
    let b = b.seal();
    assert_eq!(store.put(&b).unwrap_err().code(), "path-like-value");
    for (id, digest) in [
        ("../x", "a".repeat(64)),
        ("a/b", "a".repeat(64)),
        ("ok", "../../x".into()),
    ] {
        assert!(store.get(&BundleRef::new(id, digest.clone())).is_err());
        assert!(store.check(id, &digest).is_err());
    }
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn bundles_within_the_canonical_bound_are_stored_whatever_their_text_size() {
    let (_dir, store) = store();
    let mut b = sample();
    let plugin = b.profiles["notes"].plugins[0].clone();
    for p in 0..crate::bundle::MAX_PROFILES {
        let plugins = (0..crate::bundle::MAX_PLUGINS_PER_PROFILE)
            .map(|i| {
                let mut e = plugin.clone();
                e.id = format!("user:plugin-{i}");
                e
            })
            .collect();
        let profile = crate::bundle::Profile {
            plugins,
            ..Default::default()
        };
        b.profiles.insert(format!("p{p}"), profile);
    }
    b.profiles.remove("empty");
    b.profiles.remove("notes");
    let b = b.seal();
    // 4096 enablements: the store once refused this valid bundle for the
    // size of its pretty-printed form; with one rule (the canonical form)
    // what validates is stored and read back.
    assert_eq!(b.validate(), Ok(()));
    assert_eq!(store.put(&b).unwrap(), StoreOutcome::Stored);
    assert_eq!(store.get(&b.bundle_ref()).unwrap(), b);
}

#[test]
fn survives_reopening() {
    let (dir, store) = store();
    let b = sample();
    store.put(&b).unwrap();
    let before = store.list().unwrap();
    drop(store);
    let store = BundleStore::open(dir.path().join("bundles")).unwrap();
    assert_eq!(store.list().unwrap(), before);
    assert_eq!(store.get(&b.bundle_ref()).unwrap(), b);
    assert_eq!(store.put(&b).unwrap(), StoreOutcome::AlreadyPresent);
}

#[test]
fn concurrent_puts_lose_nothing() {
    let (_dir, store) = store();
    let store = Arc::new(store);
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for i in 0..6u64 {
                    // Own ids, plus one id all threads write revisions of.
                    let own = sample_with(&format!("t{t}"), i + 1);
                    let shared = sample_with("shared", t * 100 + i + 1);
                    assert_eq!(store.put(&own).unwrap(), StoreOutcome::Stored);
                    assert_eq!(store.put(&shared).unwrap(), StoreOutcome::Stored);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let list = store.list().unwrap();
    assert_eq!(list.len(), 8 * 6 * 2);
    assert_eq!(list.iter().filter(|s| s.id == "shared").count(), 48);
    for s in &list {
        store
            .get(&BundleRef::new(s.id.clone(), s.digest.clone()))
            .unwrap();
    }
}

#[test]
fn concurrent_puts_of_one_bundle_store_once() {
    let (_dir, store) = store();
    let store = Arc::new(store);
    let b = Arc::new(sample());
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let outcomes: Vec<StoreOutcome> = (0..8)
        .map(|_| {
            let (store, b, barrier) = (Arc::clone(&store), Arc::clone(&b), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                store.put(&b).unwrap()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    let stored = outcomes
        .iter()
        .filter(|o| **o == StoreOutcome::Stored)
        .count();
    assert_eq!(stored, 1, "{outcomes:?}");
    assert_eq!(store.list().unwrap().len(), 1);
    // No temporary files are left behind.
    let names: Vec<_> = fs::read_dir(store.root.join(&b.id))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn corrupt_files_are_typed_errors_and_repairable() {
    let (_dir, store) = store();
    let a = sample_with("team-a", 1);
    let b = sample_with("team-a", 2);
    store.put(&a).unwrap();
    store.put(&b).unwrap();
    let path_a = store.file_path(&a.id, &a.digest);
    let path_b = store.file_path(&b.id, &b.digest);

    // Garbage JSON.
    fs::write(&path_a, b"{ not json").unwrap();
    let err = store.get(&a.bundle_ref()).unwrap_err();
    assert_eq!(err.code(), "store-corrupt", "{err}");
    assert!(store.check(&a.id, &a.digest).is_err());
    // Valid bundle content under the wrong digest name.
    fs::copy(&path_b, &path_a).unwrap();
    let err = store.get(&a.bundle_ref()).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt { reason, .. } if reason.contains("another")),
        "{err}"
    );
    // Content edited after sealing.
    let text = fs::read_to_string(&path_b)
        .unwrap()
        .replace("journal/**", "journal/*");
    fs::write(&path_b, text).unwrap();
    let err = store.get(&b.bundle_ref()).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt { reason, .. } if reason.contains("digest")),
        "{err}"
    );
    // Not UTF-8, and a symlink.
    let c = sample_with("team-c", 1);
    store.put(&c).unwrap();
    let path_c = store.file_path(&c.id, &c.digest);
    fs::write(&path_c, [0xff, 0xfe]).unwrap();
    assert_eq!(
        store.get(&c.bundle_ref()).unwrap_err().code(),
        "store-corrupt"
    );
    fs::remove_file(&path_c).unwrap();
    std::os::unix::fs::symlink(&path_a, &path_c).unwrap();
    assert_eq!(
        store.get(&c.bundle_ref()).unwrap_err().code(),
        "store-corrupt"
    );

    // Listing skips what is corrupt; storing again repairs.
    assert!(store.list().unwrap().is_empty());
    assert_eq!(store.put(&a).unwrap(), StoreOutcome::Stored);
    assert_eq!(store.put(&b).unwrap(), StoreOutcome::Stored);
    assert_eq!(store.get(&a.bundle_ref()).unwrap(), a);
    assert_eq!(store.list().unwrap().len(), 2);
}

#[test]
fn errors_never_contain_the_store_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("bundles");
    let root_str = root.to_str().unwrap().to_owned();
    let tmp_str = dir.path().to_str().unwrap().to_owned();
    let store = BundleStore::open(&root).unwrap();
    let mut errors: Vec<StoreError> = Vec::new();
    let a = sample_with("team-a", 1);
    store.put(&a).unwrap();

    // Missing / mismatch / invalid.
    errors.push(
        store
            .get(&BundleRef::new("none", a.digest.clone()))
            .unwrap_err(),
    );
    errors.push(
        store
            .get(&BundleRef::new("team-a", "e".repeat(64)))
            .unwrap_err(),
    );
    errors.push(
        store
            .get(&BundleRef::new("../x", "e".repeat(64)))
            .unwrap_err(),
    );
    // Corrupt.
    fs::write(store.file_path(&a.id, &a.digest), b"garbage").unwrap();
    errors.push(store.get(&a.bundle_ref()).unwrap_err());
    // I/O: the id directory is a regular file.
    let b = sample_with("team-b", 1);
    fs::write(root.join("team-b"), b"not a dir").unwrap();
    errors.push(store.put(&b).unwrap_err());
    // I/O: a bundle file that is a directory cannot be replaced.
    let c = sample_with("team-c", 1);
    fs::create_dir_all(store.file_path(&c.id, &c.digest).join("x")).unwrap();
    errors.push(store.put(&c).unwrap_err());
    // Opening a file as a store.
    errors.push(BundleStore::open(root.join("team-b")).unwrap_err());
    // I/O: the store directory disappeared.
    fs::remove_dir_all(&root).unwrap();
    errors.push(store.list().unwrap_err());
    errors.push(store.put(&b).unwrap_err());

    let codes: Vec<&str> = errors.iter().map(StoreError::code).collect();
    assert_eq!(
        codes,
        [
            "bundle-missing",
            "digest-mismatch",
            "path-like-value",
            "store-corrupt",
            "store-io",
            "store-io",
            "store-unavailable",
            "store-io",
            "store-io",
        ]
    );
    for e in &errors {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(&root_str), "{text}");
        assert!(!text.contains(&tmp_str), "{text}");
        assert!(text.len() < 512, "{text}");
    }
    assert!(!format!("{store:?}").contains(&tmp_str));
}

/// A bundle of `profiles` profiles of 64 plugins × 32 grants × 8 short
/// patterns each.
fn big_bundle(profiles: usize) -> ConfigBundle {
    use crate::grant::Operation;
    let mut b = sample();
    let template = b.profiles["notes"].plugins[0].clone();
    let plugins: Vec<_> = (0..64)
        .map(|i| {
            let mut p = template.clone();
            p.id = format!("user:p{i}");
            p.grants = (0..32)
                .map(|g| {
                    let mut r =
                        crate::bundle::GrantRequest::new(&format!("m{g}"), &[Operation::Read]);
                    r.include = (0..8).map(|k| format!("d{k}/sub-{g}/**")).collect();
                    r
                })
                .collect();
            p
        })
        .collect();
    for i in 0..profiles {
        let profile = crate::bundle::Profile {
            plugins: plugins.clone(),
            ..Default::default()
        };
        b.profiles.insert(format!("big{i}"), profile);
    }
    b.seal()
}

/// One size rule, on the canonical form: a bundle whose canonical form fits
/// is sealed, verified, stored and read back even when its pretty-printed
/// text would not fit; one whose canonical form does not fit is refused
/// everywhere with the same code.
#[test]
fn one_size_rule_on_the_canonical_form() {
    let (_dir, store) = store();
    let fits = big_bundle(2);
    let canonical = crate::bundle::canonical::canonical_bytes(&fits).len();
    let pretty = serde_json::to_vec_pretty(&fits).unwrap().len();
    assert!(canonical <= MAX_BUNDLE_JSON_BYTES, "{canonical}");
    assert!(pretty > MAX_BUNDLE_JSON_BYTES, "{pretty}");
    assert_eq!(fits.validate(), Ok(()));
    let text = serde_json::to_string_pretty(&fits).unwrap();
    assert_eq!(ConfigBundle::from_json(&text).unwrap(), fits);
    assert_eq!(store.put(&fits).unwrap(), StoreOutcome::Stored);
    assert_eq!(store.get(&fits.bundle_ref()).unwrap(), fits);

    let too_big = big_bundle(3);
    assert!(crate::bundle::canonical::canonical_bytes(&too_big).len() > MAX_BUNDLE_JSON_BYTES);
    assert_eq!(too_big.validate().unwrap_err().code(), "bundle-too-large");
    assert_eq!(store.put(&too_big).unwrap_err().code(), "bundle-too-large");
}

/// Listing and counting come from the in-memory index (one scan at the
/// first listing, then kept up to date by `put`): no request re-reads or
/// re-hashes every stored file. `get` still re-verifies what it returns.
#[test]
fn listing_uses_the_index_and_get_reverifies() {
    let (dir, store) = store();
    let bundles: Vec<_> = (1..=5).map(|r| sample_with("team-a", r)).collect();
    store.put(&bundles[0]).unwrap();
    assert_eq!(store.count().unwrap(), 1, "first listing scans");
    for b in &bundles[1..] {
        store.put(b).unwrap();
    }
    assert_eq!(store.count().unwrap(), 5, "put keeps the index");
    // Corrupt one file behind the store's back: listing does not re-hash
    // (it still lists five), reading it reports the corruption.
    let victim = dir
        .path()
        .join("bundles/team-a")
        .join(format!("{}.json", bundles[2].digest));
    std::fs::write(&victim, "{ not json").unwrap();
    assert_eq!(store.list().unwrap().len(), 5);
    assert_eq!(
        store.get(&bundles[2].bundle_ref()).unwrap_err().code(),
        "store-corrupt"
    );
    assert!(store.ready().is_ok());
    // A fresh store (a restart) scans once and skips the corrupt file.
    let reopened = BundleStore::open(dir.path().join("bundles")).unwrap();
    assert_eq!(reopened.count().unwrap(), 4);
}
