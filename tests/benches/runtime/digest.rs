//! Row (e): fs read throughput inside a guest — `notes.digest` of a 16 MiB
//! file (1 MiB pages through the `fs` host API, SHA-256 in wasm) against a
//! native read + SHA-256 of the same file. The details break the guest's
//! time down: the host's side of the 16 page reads (`FsContext::read`, the
//! code the `fs.read` host call runs) and the rest (the copy into guest
//! memory and the hashing in wasm); two more rows put the wasm side in
//! context: the same component through the floor harness, and native code
//! hashing without the CPU's SHA extensions (`sha_soft.rs`).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};
use yoi_plugin_host::limits::InvocationBudget;
use yoi_plugin_host::{FsContext, LockRegistry};

use crate::report::{Goal, Measure, Row};
use crate::sha_soft;
use crate::stats::{Stats, fmt_duration, median, timed};
use crate::warm::Fixture;

const SIZE: usize = 16 * 1024 * 1024;
const PAGE: u32 = 1024 * 1024;
const RUNS: usize = 9;

/// `SIZE` deterministic pseudo-random bytes (xorshift), so neither side can
/// profit from compressible data.
fn content() -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..SIZE / 8)
        .flat_map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()
        })
        .collect()
}

pub fn fs_throughput(fx: &Fixture) -> Vec<Row> {
    let data = content();
    let path = fx.sandbox.mount.join("big.bin");
    std::fs::write(&path, &data).unwrap();
    let expected = hex::encode(Sha256::digest(&data));
    drop(data);
    let input = r#"{"path":"m/big.bin"}"#;
    let guest_call = || {
        fx.notes
            .call_blocking(fx.grants.clone(), "digest", input, &fx.limits)
            .result
            .unwrap_or_else(|e| panic!("digest failed: {e}"))
    };
    let out = guest_call();
    assert_eq!(out["sha256"], expected.as_str(), "guest digest differs");
    assert_eq!(out["bytes"], SIZE as u64);

    let native = || {
        let bytes = std::fs::read(&path).unwrap();
        black_box(hex::encode(Sha256::digest(&bytes)))
    };
    native();
    // The same component's digest through the floor harness: what bare
    // wasmtime makes of the same guest code.
    let floor_call = || fx.floor.call("digest", input);
    let floor_out: serde_json::Value = serde_json::from_str(&floor_call()).unwrap();
    assert_eq!(
        floor_out["sha256"],
        expected.as_str(),
        "floor digest differs"
    );
    let (mut guest, mut native_t, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        guest.extend(timed(1, || drop(black_box(guest_call()))));
        floor.extend(timed(1, || drop(black_box(floor_call()))));
        native_t.extend(timed(1, || drop(native())));
    }
    let guest = Stats::of(guest).p50;
    let floor = Stats::of(floor).p50;
    let native_t = Stats::of(native_t).p50;

    // Breakdown.
    let native_read = median(RUNS, || drop(black_box(std::fs::read(&path).unwrap())));
    let bytes = std::fs::read(&path).unwrap();
    let native_hash = median(RUNS, || {
        black_box(Sha256::digest(&bytes));
    });
    assert_eq!(hex::encode(sha_soft::sha256(&bytes)), expected);
    let soft_hash = median(5, || {
        black_box(sha_soft::sha256(&bytes));
    });
    let host_reads = median(RUNS, || host_side_reads(fx));
    let in_guest = guest.saturating_sub(host_reads);
    let mib = SIZE as f64 / 1048576.0;
    let rate = |d: Duration| mib / d.as_secs_f64();
    println!(
        "(e) breakdown: guest call {} = host fs reads {} + wasm side (copy in, SHA-256, instance) {}; \
         the floor harness {}; native read {} + native SHA-256 {} (portable, without SHA extensions: {})",
        fmt_duration(guest),
        fmt_duration(host_reads),
        fmt_duration(in_guest),
        fmt_duration(floor),
        fmt_duration(native_read),
        fmt_duration(native_hash),
        fmt_duration(soft_hash),
    );
    let soft_row = Row::new(
        "e+",
        "notes.digest, as above",
        Measure::mib_per_sec(rate(guest)),
        "native read + portable SHA-256",
        Measure::mib_per_sec(rate(native_read + soft_hash)),
    )
    .details(json!({"portable_sha256_ms": soft_hash.as_secs_f64() * 1e3}));
    let floor_row = Row::new(
        "e+",
        "the same digest through the floor harness",
        Measure::mib_per_sec(rate(floor)),
        "native read + SHA-256",
        Measure::mib_per_sec(rate(native_t)),
    )
    .details(json!({"floor_ms": floor.as_secs_f64() * 1e3}));
    let row = Row::new(
        "e",
        "notes.digest of 16 MiB in 1 MiB pages (call incl.)",
        Measure::mib_per_sec(rate(guest)),
        "native read + SHA-256",
        Measure::mib_per_sec(rate(native_t)),
    )
    .goal(Goal::RatioAtLeast(0.5))
    .details(json!({
        "guest_ms": guest.as_secs_f64() * 1e3,
        "native_ms": native_t.as_secs_f64() * 1e3,
        "host_fs_reads_ms": host_reads.as_secs_f64() * 1e3,
        "wasm_side_ms": in_guest.as_secs_f64() * 1e3,
        "native_read_ms": native_read.as_secs_f64() * 1e3,
        "native_sha256_ms": native_hash.as_secs_f64() * 1e3,
        "wasm_side_mib_per_s": rate(in_guest),
        "native_sha256_mib_per_s": rate(native_hash),
        "floor_ms": floor.as_secs_f64() * 1e3,
        "portable_sha256_ms": soft_hash.as_secs_f64() * 1e3,
        "sha_extensions_native": crate::machine::sha_extensions(),
    }));
    vec![row, floor_row, soft_row]
}

/// The host's side of the guest's 16 page reads, called directly.
fn host_side_reads(fx: &Fixture) {
    let mut fs = FsContext::new(
        fx.grants.clone(),
        Arc::new(LockRegistry::default()),
        InvocationBudget::default(),
    );
    let mut offset = 0u64;
    loop {
        let page = fs.read("m/big.bin", offset, PAGE).unwrap();
        offset += page.data.len() as u64;
        black_box(&page.data);
        if !page.truncated {
            break;
        }
    }
}
