//! `cargo xtask conformance [FLAGS]`: builds the example plugins (the
//! conformance guest is `hostile`'s `ops` tool) and runs the
//! `yoi-plugin-wasm-1` case catalogue (`conformance/cases/`) against the
//! embedded host, the served REST runtime and the MCP server, then the
//! stress sections. It prints a pass/fail table per target and writes
//! `target/conformance/junit-<target>.xml`.
//!
//! Flags go to the runner: `--target embedded|rest|mcp|all`, `--filter
//! TEXT`, `--list`, `--full` (stress at full counts), `--no-stress`.

use std::path::Path;

use anyhow::Result;

use crate::{build_plugins, cargo, run};

/// Builds the plugins, then runs the suite.
pub(crate) fn conformance(root: &Path, args: &[String]) -> Result<()> {
    build_plugins(root)?;
    run_suite(args)
}

/// Runs the suite on already-built plugins (the last step of `test`).
pub(crate) fn run_suite(args: &[String]) -> Result<()> {
    run(cargo()
        .args(["run", "--quiet", "-p", "yoi-conformance", "--"])
        .args(args))
}
