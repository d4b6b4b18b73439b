//! The `yoi-plugin-wasm-1` conformance suite.
//!
//! * [`case`] — the catalogue (`conformance/cases/*.toml`), plain data;
//! * [`fixture`] — fixture trees and the after-checks;
//! * [`target`] — the [`Target`] trait a host implements, and the
//!   embedded host; [`rest`] — the served runtime over REST; [`mcp`] —
//!   the MCP server;
//! * [`judge`] — runs one case on one target and decides pass/fail;
//! * [`report`] — the per-target table and JUnit XML;
//! * [`stress`] — symlink-swap races and SIGKILL mid-write, with counts;
//! * [`properties`] — one-input property checks of the untrusted-input
//!   parsers (guest paths, archives, manifests, bundles), shared by
//!   `fuzz` (tests only: seeded, structure-aware harnesses) and the
//!   coverage-guided libFuzzer targets (`conformance/fuzz/targets/`).
//!
//! The guest is the `hostile` example plugin's `ops` tool: one invocation
//! runs all of a case's `fs` calls in order.

pub mod case;
pub mod fixture;
mod fuzz;
pub mod judge;
pub mod mcp;
pub mod properties;
pub mod report;
pub mod rest;
pub mod stress;
pub mod target;

pub use case::Case;
pub use target::Target;
