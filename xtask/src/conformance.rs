//! `cargo xtask conformance [FLAGS]`: builds the example plugins (the
//! conformance guest is `hostile`'s `ops` tool) and runs the
//! `yoi-plugin-wasm-1` case catalogue (`conformance/cases/`) against the
//! embedded host, the served REST runtime and the MCP server, then the
//! stress sections. It prints a pass/fail table per target and writes
//! `target/conformance/junit-<target>.xml`.
//!
//! Flags go to the runner: `--target embedded|rest|mcp|embedded-js|
//! embedded-py|all`, `--filter TEXT`, `--list`, `--full` (stress at full
//! counts), `--no-stress`. `--fuzz` runs the fuzz harnesses instead (see
//! [`fuzz`]).

use std::path::Path;

use anyhow::Result;

use crate::{build_plugins, cargo, run};

/// Builds the plugins, then runs the suite; `--fuzz` instead runs the
/// fuzz harnesses at full counts ([`fuzz`]).
pub(crate) fn conformance(root: &Path, args: &[String]) -> Result<()> {
    if args.iter().any(|a| a == "--fuzz") {
        return fuzz();
    }
    build_plugins(root)?;
    run_suite(args)
}

/// The full-count executions per harness: (name, env prefix, count).
/// Together well over 10 million; CI runs 200 000 paths and a few
/// thousand of the others (`cargo test`).
const FUZZ_COUNTS: [(&str, &str, u64); 4] = [
    ("path", "YOI_PATH_FUZZ", 10_000_000),
    ("archive", "YOI_FUZZ_ARCHIVE", 300_000),
    ("manifest", "YOI_FUZZ_MANIFEST", 3_000_000),
    ("bundle", "YOI_FUZZ_BUNDLE", 500_000),
];

/// `--fuzz`: the guest path parser's property test (host crate) and the
/// archive, manifest and bundle harnesses (`conformance/src/fuzz/`), each
/// from a fresh seed unless `<PREFIX>_SEED` is set, at the counts of
/// [`FUZZ_COUNTS`] unless `<PREFIX>_ITERATIONS` is set. Each harness
/// prints its executions, accepted/rejected split, elapsed time and
/// findings (saved under `target/conformance/fuzz-findings/`); any
/// finding fails the run.
fn fuzz() -> Result<()> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos() as u64;
    let mut total = 0u64;
    let mut envs = Vec::new();
    for (i, (name, prefix, default)) in FUZZ_COUNTS.iter().enumerate() {
        let count = std::env::var(format!("{prefix}_ITERATIONS"))
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(*default);
        let seed = std::env::var(format!("{prefix}_SEED"))
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(nanos.rotate_left(16 * i as u32));
        eprintln!("fuzz {name}: {count} executions from seed {seed}");
        total += count;
        envs.push((format!("{prefix}_ITERATIONS"), count.to_string()));
        envs.push((format!("{prefix}_SEED"), seed.to_string()));
    }
    let started = std::time::Instant::now();
    run(cargo()
        .args(["test", "-p", "yoi-plugin-host", "--lib"])
        .arg("fs::path::tests::random_paths_hold_the_parser_invariants")
        .args(["--", "--nocapture"])
        .envs(envs.iter().map(|(k, v)| (k, v))))?;
    run(cargo()
        .args(["test", "-p", "yoi-conformance", "--lib", "fuzz::"])
        .args(["--", "--nocapture"])
        .envs(envs.iter().map(|(k, v)| (k, v))))?;
    eprintln!(
        "fuzz: {total} executions in total across {} harnesses in {:.0}s, 0 findings",
        FUZZ_COUNTS.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs the suite on already-built plugins (the last step of `test`).
pub(crate) fn run_suite(args: &[String]) -> Result<()> {
    run(cargo()
        .args(["run", "--quiet", "-p", "yoi-conformance", "--"])
        .args(args))
}
