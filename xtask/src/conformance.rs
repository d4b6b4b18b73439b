//! `cargo xtask conformance [FLAGS]`: builds the example plugins (the
//! conformance guest is `hostile`'s `ops` tool) and runs the
//! `yoi-plugin-wasm-1` case catalogue (`conformance/cases/`) against the
//! embedded host, the served REST runtime and the MCP server, then the
//! stress sections. It prints a pass/fail table per target and writes
//! `target/conformance/junit-<target>.xml`.
//!
//! Flags go to the runner: `--target embedded|rest|mcp|embedded-js|
//! embedded-py|all`, `--filter TEXT`, `--list`, `--full` (stress at full
//! counts), `--no-stress`. `--fuzz` runs the path-parser property test on
//! 10 million generated paths instead.

use std::path::Path;

use anyhow::Result;

use crate::{build_plugins, cargo, run};

/// Builds the plugins, then runs the suite; `--fuzz` instead runs the
/// guest path parser's property test on 10 million generated paths from a
/// fresh seed (outside CI, which runs 200 000).
pub(crate) fn conformance(root: &Path, args: &[String]) -> Result<()> {
    if args.iter().any(|a| a == "--fuzz") {
        return fuzz_paths();
    }
    build_plugins(root)?;
    run_suite(args)
}

fn fuzz_paths() -> Result<()> {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos() as u64;
    run(cargo()
        .args(["test", "-p", "yoi-plugin-host", "--lib"])
        .arg("fs::path::tests::random_paths_hold_the_parser_invariants")
        .args(["--", "--nocapture"])
        .env("YOI_PATH_FUZZ_ITERATIONS", "10000000")
        .env("YOI_PATH_FUZZ_SEED", seed.to_string()))
}

/// Runs the suite on already-built plugins (the last step of `test`).
pub(crate) fn run_suite(args: &[String]) -> Result<()> {
    run(cargo()
        .args(["run", "--quiet", "-p", "yoi-conformance", "--"])
        .args(args))
}
