//! Stable, seeded fuzz harnesses of the host's untrusted-input parsers:
//! the package archive reader ([`archive`]), the `plugin.toml` parser
//! ([`manifest`]) and the config-bundle parser ([`bundle`]). The guest
//! path parser has its own in `host/src/fs/path.rs`.
//!
//! No nightly toolchain installs here, so there is no cargo-fuzz: each
//! harness is a structure-aware, mutation-based property test driven by a
//! seeded xorshift stream. Inputs come from the committed seed corpora
//! (`conformance/fuzz/corpus/<harness>/`), mutated at the level of their
//! structure (tar headers, TOML keys and values, JSON trees) and then at
//! the byte level, plus inputs generated from scratch. Every input is
//! checked for: no panic, bounded time, a stable non-empty error code,
//! error text without control characters or planted secret/path canaries,
//! and the harness's own properties (round trips, no link or traversal
//! accepted, nothing written outside a store).
//!
//! Counts and seeds: `YOI_FUZZ_<HARNESS>_ITERATIONS` / `_SEED` (harness
//! `ARCHIVE`, `MANIFEST`, `BUNDLE`); CI runs the defaults, `cargo xtask
//! conformance --fuzz` millions. A failing input is saved under
//! `target/conformance/fuzz-findings/` and fails the test; a fixed one
//! becomes a `regress-*` seed in the corpus.

#![cfg(test)]

mod archive;
mod bundle;
mod manifest;
mod mutate;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) use crate::properties::{Outcome, Violation};
pub(crate) use mutate::Rng;

/// Slowest acceptable input (debug build, shared 2-core machine).
const SLOW_INPUT: Duration = Duration::from_secs(3);
/// An input still running after this long is a hang: the watchdog saves
/// it and aborts the process.
const HANG: Duration = Duration::from_secs(60);
/// Findings kept before a run stops early.
const MAX_FINDINGS: usize = 16;

/// The run configuration of one harness.
pub(crate) struct Config {
    pub(crate) name: &'static str,
    pub(crate) iterations: u64,
    pub(crate) seed: u64,
}

impl Config {
    /// From `YOI_FUZZ_<ENV>_ITERATIONS` / `_SEED`, with defaults.
    pub(crate) fn from_env(name: &'static str, env: &str, iterations: u64, seed: u64) -> Config {
        let var = |suffix: &str| {
            std::env::var(format!("YOI_FUZZ_{env}_{suffix}"))
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Config {
            name,
            iterations: var("ITERATIONS").unwrap_or(iterations),
            seed: var("SEED").unwrap_or(seed),
        }
    }
}

/// The counts of one run.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) executions: u64,
    pub(crate) accepted: u64,
    pub(crate) rejected: u64,
    pub(crate) codes: BTreeMap<&'static str, u64>,
    pub(crate) findings: Vec<String>,
    pub(crate) slowest: Duration,
    pub(crate) elapsed: Duration,
}

impl Report {
    fn print(&self, cfg: &Config) {
        let mut codes: Vec<_> = self.codes.iter().collect();
        codes.sort_by(|a, b| b.1.cmp(a.1));
        let top: Vec<String> = codes
            .iter()
            .take(8)
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        eprintln!(
            "fuzz {}: {} executions from seed {:#x} in {:.1}s ({:.0}/s), {} accepted, {} rejected ({} codes: {}), slowest input {} ms, {} findings",
            cfg.name,
            self.executions,
            cfg.seed,
            self.elapsed.as_secs_f64(),
            self.executions as f64 / self.elapsed.as_secs_f64().max(1e-9),
            self.accepted,
            self.rejected,
            self.codes.len(),
            top.join(", "),
            self.slowest.as_millis(),
            self.findings.len(),
        );
        for f in &self.findings {
            eprintln!("  finding: {f}");
        }
    }
}

/// Where findings are saved: `target/conformance/fuzz-findings/`.
fn findings_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/conformance/fuzz-findings")
}

fn save_finding(harness: &str, input: &[u8]) -> PathBuf {
    let dir = findings_dir();
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{harness}-{hash:016x}"));
    let _ = std::fs::write(&path, input);
    path
}

/// The committed seeds of `harness`, sorted by name.
pub(crate) fn corpus(harness: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(harness);
    let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading the {harness} corpus: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "the {harness} corpus is empty");
    seeds
}

/// Runs `cfg.iterations` inputs: `generate` makes one from the stream,
/// `check` runs it through the parser and its properties. Panics, slow
/// inputs and violations become findings (input saved); a hang aborts the
/// process after saving the input.
pub(crate) fn drive(
    cfg: &Config,
    mut generate: impl FnMut(&mut Rng) -> Vec<u8>,
    mut check: impl FnMut(&[u8]) -> Result<Outcome, Violation>,
) -> Report {
    let mut rng = Rng::new(cfg.seed);
    let mut report = Report::default();
    let current: Arc<Mutex<Vec<u8>>> = Arc::default();
    let started_ms = Arc::new(AtomicU64::new(u64::MAX));
    let done = Arc::new(AtomicBool::new(false));
    let epoch = Instant::now();
    let watchdog = {
        let (current, started_ms, done) = (current.clone(), started_ms.clone(), done.clone());
        let name = cfg.name;
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let start = started_ms.load(Ordering::Relaxed);
                let now = epoch.elapsed().as_millis() as u64;
                if start != u64::MAX && now.saturating_sub(start) > HANG.as_millis() as u64 {
                    let saved = save_finding(name, &current.lock().unwrap());
                    eprintln!("fuzz {name}: an input hangs; saved as {}", saved.display());
                    std::process::abort();
                }
            }
        })
    };
    for _ in 0..cfg.iterations {
        let input = generate(&mut rng);
        current.lock().unwrap().clone_from(&input);
        let t0 = Instant::now();
        started_ms.store(epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
        let result = catch_unwind(AssertUnwindSafe(|| check(&input)));
        started_ms.store(u64::MAX, Ordering::Relaxed);
        let took = t0.elapsed();
        report.executions += 1;
        report.slowest = report.slowest.max(took);
        let finding = match result {
            Ok(Ok(Outcome::Accepted)) => {
                report.accepted += 1;
                None
            }
            Ok(Ok(Outcome::Rejected(code))) => {
                report.rejected += 1;
                *report.codes.entry(code).or_default() += 1;
                None
            }
            Ok(Err(violation)) => Some(violation),
            Err(_) => Some("panicked".to_owned()),
        };
        let finding = finding.or_else(|| {
            (took > SLOW_INPUT).then(|| format!("slow input: {} ms", took.as_millis()))
        });
        if let Some(what) = finding {
            let saved = save_finding(cfg.name, &input);
            report
                .findings
                .push(format!("{what} (input saved as {})", saved.display()));
            if report.findings.len() >= MAX_FINDINGS {
                break;
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    let _ = watchdog.join();
    report.elapsed = epoch.elapsed();
    report.print(cfg);
    report
}

/// Fails the test on findings; checks the generator reaches both sides.
pub(crate) fn assert_clean(report: &Report, min_accepted_per_mille: u64) {
    assert!(
        report.findings.is_empty(),
        "{} findings:\n{}",
        report.findings.len(),
        report.findings.join("\n")
    );
    assert!(
        report.accepted * 1000 >= report.executions * min_accepted_per_mille,
        "only {} of {} inputs accepted: the generator no longer reaches the parser's accepting side",
        report.accepted,
        report.executions
    );
    assert!(report.rejected > 0, "nothing rejected");
}
