//! `cargo xtask`: the project's automation.
//!
//! - `build-plugins`: installs the `wasm32-wasip2` (and `wasm32-wasip1`)
//!   targets if missing, builds every example plugin into a component (Rust;
//!   and JavaScript and Python with pinned toolchains it installs under
//!   `target/toolchains/`) or, for `hello-wasip1`, a wasip1 core module,
//!   and copies them to `target/plugins/`;
//! - `demo`: the README's main job (build, grant a sample directory, call
//!   tools, show a denied escape);
//! - `test`: everything CI runs (fmt, clippy, plugins, all tests, the
//!   conformance suite);
//! - `conformance`: the `yoi-plugin-wasm-1` conformance suite
//!   (`conformance/`), per target table + JUnit XML;
//! - `bench`: the benchmarks;
//! - `fuzz`: the coverage-guided libFuzzer targets, outside CI
//!   (`xtask/src/fuzz.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

mod conformance;
mod demo;
mod fuzz;
mod polyglot;

const WASM_TARGET: &str = "wasm32-wasip2";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("build-plugins") => build_plugins(&root).map(|_| ()),
        Some("demo") => {
            build_plugins(&root)?;
            demo::run(&root)
        }
        Some("test") => test(&root),
        Some("conformance") => conformance::conformance(&root, &args[1..]),
        Some("bench") => bench(&root, &args[1..]),
        Some("fuzz") => fuzz::fuzz(&root, &args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <build-plugins|demo|test|conformance|bench|fuzz>");
            std::process::exit(2);
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs a command, failing with its rendering if it does not succeed.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", render(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("spawning {}", render(cmd)))?;
    if !status.success() {
        bail!("command failed ({status}): {}", render(cmd));
    }
    Ok(())
}

pub(crate) fn render(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|s| s.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn ensure_wasm_target() -> Result<()> {
    ensure_target(WASM_TARGET)
}

/// Installs the rustup target `target` if it is missing.
pub(crate) fn ensure_target(target: &str) -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .with_context(|| format!("running rustup (needed to install the {target} target)"))?;
    let list = String::from_utf8_lossy(&installed.stdout);
    if !list.lines().any(|l| l.trim() == target) {
        run(Command::new("rustup").args(["target", "add", target]))?;
    }
    Ok(())
}

/// Builds the example plugins; returns the directory holding the components.
pub(crate) fn build_plugins(root: &Path) -> Result<PathBuf> {
    ensure_wasm_target()?;
    let manifest = root.join("example-plugins/Cargo.toml");
    run(cargo()
        .args([
            "build",
            "--release",
            "--target",
            WASM_TARGET,
            "--manifest-path",
        ])
        .arg(&manifest))?;
    let built = root
        .join("example-plugins/target")
        .join(WASM_TARGET)
        .join("release");
    let out = root.join("target/plugins");
    std::fs::create_dir_all(&out)?;
    let mut count = 0;
    for entry in std::fs::read_dir(&built).context("reading example-plugins build output")? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let name = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace('_', "-");
            std::fs::copy(&path, out.join(&name))?;
            count += 1;
        }
    }
    if count == 0 {
        bail!("no components were built in {}", built.display());
    }
    // Rust built for wasm32-wasip1: core modules the host adapts.
    count += polyglot::build_wasip1(root, &out)?.len();
    // JavaScript and Python examples, with pinned toolchains cached under
    // target/toolchains (installed on first use).
    count += polyglot::build_js_and_python(root, &out)?.len();
    eprintln!("built {count} plugin components into {}", out.display());
    Ok(out)
}

fn test(root: &Path) -> Result<()> {
    ensure_wasm_target()?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    // `cargo fmt --manifest-path example-plugins/…` would also format the
    // root workspace through the SDK path dependency; check the plugin
    // sources directly instead.
    let mut plugin_sources = Vec::new();
    for entry in std::fs::read_dir(root.join("example-plugins"))? {
        let src = entry?.path().join("src/lib.rs");
        if src.is_file() {
            plugin_sources.push(src);
        }
    }
    run(Command::new("rustfmt")
        .args(["--edition", "2024", "--check"])
        .args(&plugin_sources))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The libFuzzer targets are off in normal builds; lint them so they
    // cannot rot (`cargo xtask fuzz` builds and runs them).
    run(cargo().args([
        "clippy",
        "-p",
        "yoi-conformance",
        "--features",
        "coverage-fuzz",
        "--bins",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo()
        .args([
            "clippy",
            "--release",
            "--target",
            WASM_TARGET,
            "--manifest-path",
        ])
        .arg(root.join("example-plugins/Cargo.toml"))
        .args(["--", "-D", "warnings"]))?;
    polyglot::clippy_wasip1(root)?;
    embedding_core_is_lean()?;
    build_plugins(root)?;
    polyglot::sdk_tests(root)?;
    run(cargo().args(["test", "--workspace"]))?;
    conformance::run_suite(&[])?;
    Ok(())
}

/// Crates the embedding core (`--no-default-features`) must not depend on:
/// the REST server and client, the CLI's argument parser and spinner.
const NOT_IN_CORE: [&str; 5] = ["axum", "reqwest", "clap", "indicatif", "hyper"];

/// Builds the host crate without its default features (no CLI, no REST)
/// and checks its dependency tree holds none of [`NOT_IN_CORE`].
fn embedding_core_is_lean() -> Result<()> {
    let core = ["-p", "yoi-plugin-host", "--no-default-features"];
    run(cargo().arg("build").args(core))?;
    let tree = cargo()
        .args([
            "tree", "--edges", "normal", "--prefix", "none", "--format", "{p}",
        ])
        .args(core)
        .output()
        .context("running cargo tree")?;
    if !tree.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&tree.stderr)
        );
    }
    let tree = String::from_utf8_lossy(&tree.stdout);
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let leaked: Vec<&str> = NOT_IN_CORE
        .iter()
        .copied()
        .filter(|c| crates.contains(c))
        .collect();
    if !leaked.is_empty() {
        bail!("the embedding core depends on {leaked:?}; keep them behind the cli/rest features");
    }
    eprintln!(
        "embedding core: {} crates, none of {NOT_IN_CORE:?}",
        crates
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    );
    Ok(())
}

/// Builds the plugins and the release CLI, runs the benchmark suite
/// (`tests/benches/runtime/`): it prints the table and writes
/// `target/bench/latest.json` and `latest.md`. Extra arguments go to
/// `cargo bench`.
fn bench(root: &Path, args: &[String]) -> Result<()> {
    build_plugins(root)?;
    run(cargo().args([
        "build",
        "--release",
        "-p",
        "yoi-plugin-host",
        "--bin",
        "yoi-plugin",
    ]))?;
    let out = root.join("target/bench");
    let latest = out.join("latest.json");
    // A stale table must not pass for this run's.
    if latest.exists() {
        std::fs::remove_file(&latest)?;
    }
    run(cargo()
        .args(["bench", "-p", "yoi-e2e-tests", "--bench", "runtime"])
        .args(args)
        .env("YOI_BENCH_OUT", &out))?;
    if !latest.is_file() {
        bail!("the benchmark did not write {}", latest.display());
    }
    eprintln!(
        "bench results: {} and {}",
        latest.display(),
        out.join("latest.md").display()
    );
    Ok(())
}
