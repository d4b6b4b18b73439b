//! `yoi-conformance`: runs the case catalogue against the embedded host,
//! the served REST runtime and the MCP server, prints a table per target
//! and writes `target/conformance/junit-<target>.xml`. `cargo xtask
//! conformance` builds the guest and runs this.
//!
//! Flags: `--target embedded|rest|mcp|embedded-js|embedded-py|all`
//! (default all), `--filter TEXT`
//! (cases whose family/name contains TEXT), `--list` (print the cases and
//! their citations, run nothing), `--full` (the stress sections at full
//! counts), `--no-stress`. The stress sections (`stress` module) run on the
//! embedded target after its catalogue, unless a filter excludes them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use yoi_conformance::judge::{CaseResult, run_case};
use yoi_conformance::mcp::Mcp;
use yoi_conformance::report;
use yoi_conformance::rest::Rest;
use yoi_conformance::stress::{self, Counts};
use yoi_conformance::target::{Embedded, Target};
use yoi_conformance::{Case, case};
use yoi_plugin_host::package::Package;

fn main() -> ExitCode {
    // The children of the SIGKILL stress sections.
    let argv: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let child = match argv.first().and_then(|a| a.to_str()) {
        Some("--crash-writer") if argv.len() == 2 => Some(stress::crash_writer(&argv[1])),
        Some("--crash-installer") if argv.len() == 3 => {
            Some(stress::crash_installer(&argv[1], &argv[2]))
        }
        _ => None,
    };
    if let Some(result) = child {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("conformance child: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Every target: the Rust guest on the embedded host, the REST runtime and
/// the MCP server, and the JavaScript and Python guests on the embedded
/// host.
const TARGETS: [&str; 5] = ["embedded", "rest", "mcp", "embedded-js", "embedded-py"];

struct Args {
    targets: Vec<String>,
    filter: Option<String>,
    list: bool,
    full: bool,
    stress: bool,
}

fn args() -> Result<Args> {
    let mut args = Args {
        targets: TARGETS.map(String::from).to_vec(),
        filter: None,
        list: false,
        full: false,
        stress: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--target" => match it.next().as_deref() {
                Some("all") => {}
                Some(t) if TARGETS.contains(&t) => args.targets = vec![t.to_owned()],
                other => bail!("--target takes one of {TARGETS:?} or all, not {other:?}"),
            },
            "--filter" => args.filter = it.next(),
            "--list" => args.list = true,
            "--full" => args.full = true,
            "--no-stress" => args.stress = false,
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok(args)
}

fn run_all(target: &mut dyn Target, root: &Path, cases: &[Case]) -> Vec<CaseResult> {
    cases.iter().map(|c| run_case(target, root, c)).collect()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("conformance/ lives in the workspace")
        .to_path_buf()
}

fn run() -> Result<bool> {
    let args = args()?;
    let root = root();
    let spec = std::fs::read_to_string(root.join("docs/abi/yoi-plugin-wasm-1.md"))
        .context("reading the spec")?;
    let mut cases = case::load_dir(&root.join("conformance/cases"), &spec)?;
    if let Some(filter) = &args.filter {
        cases.retain(|c| format!("{}/{}", c.family, c.name).contains(filter.as_str()));
    }
    if args.list {
        for c in &cases {
            println!("§{:<6} {}/{}", c.spec, c.family, c.name);
        }
        println!("{} cases", cases.len());
        return Ok(true);
    }
    // Cases with one grant run together (the REST target serves one
    // grant at a time); the order is otherwise the catalogue's.
    cases.sort_by(|a, b| a.grant.cmp(&b.grant));
    let plugins = std::env::var_os("YOI_PLUGINS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/plugins"));
    let component = plugins.join("hostile.wasm");
    if !component.exists() {
        bail!(
            "the conformance guest is missing at {}; run `cargo xtask build-plugins`",
            component.display()
        );
    }
    let work = tempfile::tempdir()?;
    let out_dir = root.join("target/conformance");
    let mut all_pass = true;
    let stress = args.stress
        && args.filter.as_deref().is_none_or(|f| {
            "stress/symlink-swap sigkill-mid-write sigkill-mid-install".contains(f)
        });
    for name in &args.targets {
        let started = std::time::Instant::now();
        let fixture_root = work.path().join(name);
        let mut results: Vec<CaseResult>;
        if name == "embedded" {
            let mut target = Embedded::new(&component, &root.join("target/conformance/cache"))?;
            results = run_all(&mut target, &fixture_root, &cases);
            if stress {
                let counts = if args.full {
                    Counts::FULL
                } else {
                    Counts::SHORT
                };
                let stress_root = work.path().join("stress");
                results.extend(stress::swap_races(
                    target.plugin(),
                    &stress_root,
                    counts.reads,
                ));
                let exe = std::env::current_exe()?;
                results.push(stress::killed_writes(&exe, &stress_root, counts.kills));
                let package =
                    Package::from_dir(&root.join("example-plugins/hostile"), Some(&component))
                        .map_err(|e| anyhow::anyhow!("conformance guest package: {e}"))?;
                results.push(stress::killed_installs(
                    &exe,
                    &stress_root,
                    &package,
                    counts.install_kills,
                ));
            }
        } else if let Some(lang) = name.strip_prefix("embedded-") {
            let guest = format!("conformance-{lang}");
            let mut target = Embedded::with_guest(
                name,
                &guest,
                &plugins.join(format!("{guest}.wasm")),
                &root.join("target/conformance/cache"),
            )?;
            results = run_all(&mut target, &fixture_root, &cases);
        } else if name == "mcp" {
            let mut target = Mcp::new(&component, &root.join("target/conformance/cache"))?;
            results = run_all(&mut target, &fixture_root, &cases);
        } else {
            let mut target = Rest::new(
                &root.join("example-plugins/hostile"),
                &component,
                &work.path().join("rest-state"),
            )?;
            results = run_all(&mut target, &fixture_root, &cases);
        }
        print!("{}", report::table(name, &results));
        println!("  ({:.1} s)", started.elapsed().as_secs_f64());
        let junit = out_dir.join(format!("junit-{name}.xml"));
        report::write_junit(&junit, name, &results)?;
        println!("  JUnit: {}", junit.display());
        all_pass &= report::counts(&results).1.fail == 0;
    }
    Ok(all_pass)
}
