//! `cargo xtask fuzz [--seconds S | --runs N] [TARGET...]`: the
//! coverage-guided fuzz targets (`conformance/fuzz/targets/`, libFuzzer
//! through `libfuzzer-sys`), outside CI.
//!
//! No nightly toolchain installs here, so there is no `cargo fuzz`; the
//! instrumentation it would add is plain stable codegen flags
//! (`-C passes=sancov-module` and LLVM's sanitizer-coverage options: 8-bit
//! edge counters, the PC table, comparison tracing), given only to the
//! target's code (`--target <host>` keeps build scripts out), with debug
//! assertions and overflow checks on. The build goes to
//! `target/fuzz-coverage/`, so it never disturbs the normal one.
//!
//! Each target starts from its committed seeds
//! (`conformance/fuzz/corpus/<target>/`, read only) and a working corpus
//! `target/fuzz-coverage/corpus/<target>/` that grows across runs. A crash
//! (a panic: a violated property) is saved as
//! `target/fuzz-coverage/findings/<target>-crash-*` and fails the command.
//! Temporary sandboxes go under `target/fuzz-coverage/tmp/`, removed after.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cargo;

/// The targets and the longest input each is given, in bytes.
const TARGETS: [(&str, usize); 4] = [
    ("path", 1100),
    ("archive", 131_072),
    ("manifest", 16_384),
    ("bundle", 65_536),
];

/// Default time per target when neither `--seconds` nor `--runs` is given.
const DEFAULT_SECONDS: u64 = 240;

/// The instrumentation flags (what `cargo fuzz` passes, minus the
/// sanitizer, which needs nightly).
const SANCOV: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    -Cdebug-assertions -Coverflow-checks";

/// What one target's run printed, read from libFuzzer's final stats.
struct Run {
    name: &'static str,
    executions: u64,
    seconds: f64,
    coverage: String,
    corpus: usize,
    crashed: bool,
}

pub(crate) fn fuzz(root: &Path, args: &[String]) -> Result<()> {
    let mut budget = format!("-max_total_time={DEFAULT_SECONDS}");
    let mut chosen = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" | "--runs" => {
                let value: u64 = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .with_context(|| format!("{arg} needs a number"))?;
                budget = if arg == "--seconds" {
                    format!("-max_total_time={value}")
                } else {
                    format!("-runs={value}")
                };
            }
            name => match TARGETS.iter().find(|(t, _)| *t == name) {
                Some(target) => chosen.push(*target),
                None => {
                    bail!("unknown fuzz target {name:?}; targets: path, archive, manifest, bundle")
                }
            },
        }
    }
    if chosen.is_empty() {
        chosen = TARGETS.to_vec();
    }
    let out = root.join("target/fuzz-coverage");
    let triple = host_triple()?;
    let mut build = cargo();
    build
        .args(["build", "--release", "-p", "yoi-conformance"])
        .args(["--features", "coverage-fuzz", "--target", &triple])
        .arg("--target-dir")
        .arg(&out)
        .env("RUSTFLAGS", SANCOV);
    for (name, _) in &chosen {
        build.args(["--bin", &format!("fuzz-{name}")]);
    }
    crate::run(&mut build)?;
    let mut runs = Vec::new();
    for (name, max_len) in chosen {
        runs.push(run_target(root, &out, &triple, name, max_len, &budget)?);
    }
    print_table(&runs);
    let crashed: Vec<&str> = runs.iter().filter(|r| r.crashed).map(|r| r.name).collect();
    if !crashed.is_empty() {
        bail!(
            "findings in {crashed:?}: see {}",
            out.join("findings").display()
        );
    }
    Ok(())
}

fn run_target(
    root: &Path,
    out: &Path,
    triple: &str,
    name: &'static str,
    max_len: usize,
    budget: &str,
) -> Result<Run> {
    let binary = out
        .join(triple)
        .join("release")
        .join(format!("fuzz-{name}"));
    let corpus = out.join("corpus").join(name);
    let findings = out.join("findings");
    let tmp = out.join("tmp").join(name);
    for dir in [&corpus, &findings, &tmp] {
        std::fs::create_dir_all(dir)?;
    }
    let seeds = root.join("conformance/fuzz/corpus").join(name);
    eprintln!("fuzz {name}: {budget}, seeds {}", seeds.display());
    let started = std::time::Instant::now();
    let output = Command::new(&binary)
        .arg(&corpus)
        .arg(&seeds)
        .arg(format!("-max_len={max_len}"))
        .arg(budget)
        .args(["-rss_limit_mb=4096", "-timeout=20", "-print_final_stats=1"])
        .arg(format!("-artifact_prefix={}/{name}-", findings.display()))
        .env("TMPDIR", &tmp)
        .output()
        .with_context(|| format!("running {}", binary.display()))?;
    let _ = std::fs::remove_dir_all(&tmp);
    let log = String::from_utf8_lossy(&output.stderr);
    let stat = |key: &str| -> Option<u64> {
        log.lines()
            .find_map(|l| l.strip_prefix(&format!("stat::{key}:")))
            .and_then(|v| v.trim().parse().ok())
    };
    // The last status line ("#N DONE cov: X ft: Y corp: …") has the coverage.
    let coverage = log
        .lines()
        .rev()
        .find_map(|l| {
            let at = l.find("cov: ")?;
            let rest = &l[at..];
            let end = rest.find(" corp").unwrap_or(rest.len());
            Some(rest[..end].to_owned())
        })
        .unwrap_or_else(|| "?".into());
    let crashed = !output.status.success();
    if crashed {
        // libFuzzer's own report: the panic message (a property, never
        // the input) and where the input was saved.
        let tail: Vec<&str> = log.lines().rev().take(25).collect();
        for line in tail.into_iter().rev() {
            eprintln!("  {line}");
        }
    }
    Ok(Run {
        name,
        executions: stat("number_of_executed_units").unwrap_or(0),
        seconds: started.elapsed().as_secs_f64(),
        coverage,
        corpus: std::fs::read_dir(&corpus)?.count(),
        crashed,
    })
}

fn print_table(runs: &[Run]) {
    eprintln!();
    eprintln!(
        "| target | executions | s | exec/s | coverage (edges, features) | corpus | findings |"
    );
    eprintln!("|---|---:|---:|---:|---|---:|---:|");
    for r in runs {
        eprintln!(
            "| {} | {} | {:.0} | {:.0} | {} | {} | {} |",
            r.name,
            r.executions,
            r.seconds,
            r.executions as f64 / r.seconds.max(1.0),
            r.coverage,
            r.corpus,
            u8::from(r.crashed)
        );
    }
    let total: u64 = runs.iter().map(|r| r.executions).sum();
    eprintln!("fuzz: {total} executions in total");
}

/// The host's target triple, from `rustc -vV`.
fn host_triple() -> Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("running rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|h| h.trim().to_owned())
        .context("rustc -vV printed no host triple")
}
