//! The embedded runtime: state survives a restart, concurrent bundle stores
//! and worker creations lose nothing, storage failures are typed and never
//! carry store paths.

use std::sync::Arc;

use serde_json::json;
use yoi_e2e_tests::runtime_env::RuntimeEnv;
use yoi_plugin_host::bundle::Availability;
use yoi_plugin_host::workers::{
    CreateWorkerRequest, InvokeRequest, ProfileSelector, Runtime, WorkerMode,
};

fn journal(env: &RuntimeEnv, revision: u64) -> CreateWorkerRequest {
    CreateWorkerRequest {
        intent: format!("journal {revision}"),
        profile: ProfileSelector::Named("journal".into()),
        bundle: Some(env.bundle(revision).bundle_ref()),
        capabilities: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundles_and_workers_survive_a_restart() {
    let env = RuntimeEnv::new();
    let (worker, fallback) = {
        let rt = env.open();
        rt.store_bundle(env.bundle(1)).await.unwrap();
        let w = rt.create_worker(journal(&env, 1)).await.unwrap();
        assert_eq!(w.mode, WorkerMode::SyncedBundle);
        let f = rt
            .create_worker(CreateWorkerRequest {
                intent: "f".into(),
                profile: ProfileSelector::RuntimeDefault,
                bundle: None,
                capabilities: vec![],
            })
            .await
            .unwrap();
        assert_eq!(f.mode, WorkerMode::Fallback);
        assert!(f.plugins.is_empty());
        (w, f)
    };
    let rt = env.open();
    assert_eq!(
        rt.bundle_availability("team-a", &env.bundle(1).digest)
            .await
            .unwrap(),
        Availability::Available
    );
    assert_eq!(rt.get_worker(&worker.id).await.unwrap(), worker);
    assert_eq!(rt.get_worker(&fallback.id).await.unwrap(), fallback);
    let out = rt
        .invoke(
            &worker.id,
            "read",
            InvokeRequest {
                plugin: None,
                input: json!({"path": "notes/journal/today.md"}),
            },
        )
        .await
        .unwrap();
    assert_eq!(out.output.unwrap()["text"], "- synced a bundle\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_stores_and_creations_lose_nothing() {
    let env = RuntimeEnv::new();
    let rt = Arc::new(env.open());
    let bundles: Vec<_> = (1..=12).map(|r| env.bundle(r)).collect();
    let mut tasks = Vec::new();
    for b in bundles.clone() {
        let rt = rt.clone();
        tasks.push(tokio::spawn(
            async move { rt.store_bundle(b).await.map(|_| ()) },
        ));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let mut tasks = Vec::new();
    for r in 1..=12 {
        let (rt, request) = (rt.clone(), journal(&env, r));
        tasks.push(tokio::spawn(async move { rt.create_worker(request).await }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap().unwrap().id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12);
    assert_eq!(rt.list_bundles().await.unwrap().len(), 12);
    drop(rt);
    let reopened = env.open();
    assert_eq!(reopened.list_bundles().await.unwrap().len(), 12);
    let mut listed: Vec<_> = reopened
        .list_workers()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    listed.sort();
    assert_eq!(listed, ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_failures_are_typed_and_never_leak_paths() {
    let env = RuntimeEnv::new();
    let rt = env.open();
    rt.store_bundle(env.bundle(1)).await.unwrap();
    // Corrupt the stored file on disk.
    let dir = env.state.join("bundles/team-a");
    for entry in std::fs::read_dir(&dir).unwrap() {
        std::fs::write(entry.unwrap().path(), "{ not json").unwrap();
    }
    let err = rt.create_worker(journal(&env, 1)).await.unwrap_err();
    assert_eq!(err.code.as_str(), "integrity");
    // Make the store unusable: its directory becomes a file.
    std::fs::remove_dir_all(env.state.join("bundles")).unwrap();
    std::fs::write(env.state.join("bundles"), "not a directory").unwrap();
    let err = rt.store_bundle(env.bundle(2)).await.unwrap_err();
    assert_eq!(err.code.as_str(), "internal");
    let root = env.temp.path().to_str().unwrap();
    for message in [&err.message, &rt.list_bundles().await.unwrap_err().message] {
        assert!(
            !message.contains(root) && !message.contains("/state"),
            "leaked a path: {message}"
        );
    }
}

/// The number of workers is capped by the host policy (checked again under
/// the lock, so concurrent creations never exceed it), and workers of one
/// pinned plugin share one loaded plugin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_are_capped_by_the_policy() {
    let mut env = RuntimeEnv::new();
    env.policy.runtime.max_workers = Some(3);
    let rt = Arc::new(env.open());
    rt.store_bundle(env.bundle(1)).await.unwrap();
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let (rt, request) = (rt.clone(), journal(&env, 1));
            tokio::spawn(async move { rt.create_worker(request).await })
        })
        .collect();
    let mut created = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => created += 1,
            Err(e) => assert_eq!(e.code.as_str(), "worker-limit"),
        }
    }
    assert_eq!(created, 3);
    assert_eq!(rt.list_workers().await.unwrap().len(), 3);
    // Deleting one frees a place.
    let first = rt.list_workers().await.unwrap()[0].id.clone();
    rt.delete_worker(&first).await.unwrap();
    rt.create_worker(journal(&env, 1)).await.unwrap();
}

/// Restored workers are resolved on first use, not at open: opening with a
/// worker whose bundle has gone keeps its record until the worker is used;
/// that use gets the typed resolution error and drops the worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restored_workers_resolve_lazily() {
    let env = RuntimeEnv::new();
    let (kept, broken) = {
        let rt = env.open();
        rt.store_bundle(env.bundle(1)).await.unwrap();
        let kept = rt.create_worker(journal(&env, 1)).await.unwrap();
        let broken = rt.create_worker(journal(&env, 1)).await.unwrap();
        (kept, broken)
    };
    let record = env.state.join(format!("workers/{}.json", broken.id));
    assert!(record.exists());
    // Corrupt the stored bundle: resolving any worker on it now fails.
    let dir = env.state.join("bundles/team-a");
    let originals: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, "{ not json").unwrap();
            (path, bytes)
        })
        .collect();
    let rt = env.open();
    assert!(record.exists(), "open resolved (and dropped) the worker");
    let err = rt.get_worker(&broken.id).await.unwrap_err();
    assert_eq!(err.code.as_str(), "integrity", "{}", err.message);
    assert!(
        !record.exists(),
        "a worker that no longer resolves is dropped"
    );
    let err = rt.get_worker(&broken.id).await.unwrap_err();
    assert_eq!(err.code.as_str(), "worker-not-found");
    // Repaired before its first use, the other worker resolves as before.
    for (path, bytes) in originals {
        std::fs::write(path, bytes).unwrap();
    }
    assert_eq!(rt.get_worker(&kept.id).await.unwrap(), kept);
    let listed: Vec<_> = rt.list_workers().await.unwrap();
    assert_eq!(listed, vec![kept]);
}
