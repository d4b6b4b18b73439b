//! Rows (d) and (g): throughput with 1 vs 2 concurrent callers (ours and
//! the floor, side by side), and the resident set over 100k warm calls.

use std::hint::black_box;
use std::process::Command;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::report::{Goal, Measure, Row};
use crate::warm::Fixture;

/// How long one throughput measurement runs.
const WINDOW: Duration = Duration::from_millis(1500);
/// Alternating rounds of each measurement (summed).
const ROUNDS: usize = 2;

/// What one throughput measurement used: calls made, and this process's
/// minor page faults and user/system CPU time over it (`/proc/self/stat`).
#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    calls: u64,
    faults: u64,
    user_ticks: u64,
    sys_ticks: u64,
}

impl Usage {
    fn add(&mut self, other: Usage) {
        self.calls += other.calls;
        self.faults += other.faults;
        self.user_ticks += other.user_ticks;
        self.sys_ticks += other.sys_ticks;
    }

    /// Calls per second over `rounds` windows.
    fn rate(&self, rounds: usize) -> f64 {
        self.calls as f64 / (WINDOW.as_secs_f64() * rounds as f64)
    }

    /// CPU cores this process kept busy over `rounds` windows.
    fn cores(&self, rounds: usize, tick: f64) -> f64 {
        (self.user_ticks + self.sys_ticks) as f64 * tick / (WINDOW.as_secs_f64() * rounds as f64)
    }

    /// Per call: minor faults, user µs, system µs.
    fn per_call(&self, tick: f64) -> (f64, f64, f64) {
        let n = self.calls.max(1) as f64;
        (
            self.faults as f64 / n,
            self.user_ticks as f64 * tick * 1e6 / n,
            self.sys_ticks as f64 * tick * 1e6 / n,
        )
    }
}

/// `(minflt, utime, stime)` of this process, in faults and clock ticks.
fn proc_stat() -> (u64, u64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name: state is field 3; minflt 10, utime 14, stime 15.
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let field = |n: usize| -> u64 {
        rest.split_whitespace()
            .nth(n - 3)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field(10), field(14), field(15))
}

/// `threads` threads calling `f` in a loop for [`WINDOW`], all started
/// together.
fn throughput(threads: usize, f: &(dyn Fn() + Sync)) -> Usage {
    let barrier = Barrier::new(threads + 1);
    let calls = AtomicU64::new(0);
    let mut before = (0, 0, 0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                let end = Instant::now() + WINDOW;
                let mut n = 0u64;
                while Instant::now() < end {
                    f();
                    n += 1;
                }
                calls.fetch_add(n, Ordering::Relaxed);
            });
        }
        before = proc_stat();
        barrier.wait();
    });
    let after = proc_stat();
    Usage {
        calls: calls.into_inner(),
        faults: after.0 - before.0,
        user_ticks: after.1 - before.1,
        sys_ticks: after.2 - before.2,
    }
}

/// Row (d), four times: ours, the floor (also with `PAGEMAP_SCAN`), and a
/// native CPU-bound loop (SHA-256 of 4 KiB: what two threads get from the
/// machine right now, whatever else runs on it), 1 and 2 callers, in
/// alternating rounds.
/// The details hold, per call, the minor page faults and the user and
/// system CPU time: what the kernel's share of a call is.
pub fn concurrency(fx: &Fixture) -> Vec<Row> {
    let ours = || drop(black_box(fx.ours()));
    let floor = || drop(black_box(fx.floor_call()));
    let block = [7u8; 4096];
    let native = || {
        black_box(Sha256::digest(black_box(&block)));
    };
    let floor_scan = || drop(black_box(fx.floor_scan_call()));
    let subjects: [(&str, &(dyn Fn() + Sync)); 4] = [
        ("ours", &ours),
        ("floor", &floor),
        ("floor_pagemap_scan", &floor_scan),
        ("native", &native),
    ];
    // usage[subject][threads - 1]
    let mut usage = [[Usage::default(); 2]; 4];
    for _ in 0..ROUNDS {
        for threads in [1, 2] {
            for (i, (_, f)) in subjects.iter().enumerate() {
                usage[i][threads - 1].add(throughput(threads, *f));
            }
        }
    }
    let tick = 1.0 / clock_ticks_per_second();
    let mut breakdown = serde_json::Map::new();
    for (i, (name, _)) in subjects.iter().enumerate() {
        for threads in [1, 2] {
            let u = usage[i][threads - 1];
            let (faults, user, sys) = u.per_call(tick);
            let cores = u.cores(ROUNDS, tick);
            println!(
                "(d) {name}, {threads} thread(s): {}/s, {cores:.2} cores busy; per call \
                 {faults:.1} minor faults, {user:.1} µs user + {sys:.1} µs system CPU",
                u.rate(ROUNDS) as u64
            );
            breakdown.insert(
                format!("{name}_{threads}"),
                json!({"calls_per_s": u.rate(ROUNDS), "cores_busy": cores,
                       "minor_faults_per_call": faults,
                       "user_us_per_call": user, "system_us_per_call": sys}),
            );
        }
    }
    let breakdown = serde_json::Value::Object(breakdown);
    let row = |i: usize, id: &'static str, name: &str, base: &str| {
        Row::new(
            id,
            name,
            Measure::rate(usage[i][1].rate(ROUNDS)),
            base,
            Measure::rate(usage[i][0].rate(ROUNDS)),
        )
    };
    vec![
        row(
            0,
            "d",
            "2 concurrent callers vs 1 (ours)",
            "1 caller (ours)",
        )
        .goal(Goal::RatioAtLeast(1.6))
        .details(json!({
            "window_ms": WINDOW.as_millis() as u64,
            "rounds": ROUNDS,
            "per_call": breakdown,
        })),
        row(
            1,
            "d+",
            "2 concurrent callers vs 1 (floor)",
            "1 caller (floor)",
        ),
        row(
            2,
            "d+",
            "2 callers vs 1 (floor with PAGEMAP_SCAN)",
            "1 caller (same)",
        ),
        row(
            3,
            "d+",
            "2 threads vs 1 (native CPU-bound loop)",
            "1 thread (native)",
        ),
    ]
}

fn clock_ticks_per_second() -> f64 {
    getconf("CLK_TCK").unwrap_or(100) as f64
}

/// Total calls of row (g) and the sampling interval.
const RSS_CALLS: usize = 100_000;
const RSS_EVERY: usize = 20_000;

/// Row (g): RSS sampled every 20k calls over 100k warm calls.
pub fn rss(fx: &Fixture) -> Row {
    let page = page_size();
    let mut samples = Vec::new();
    for i in 0..=RSS_CALLS {
        if i % RSS_EVERY == 0 {
            samples.push(resident_pages() * page);
        }
        if i < RSS_CALLS {
            black_box(fx.ours());
        }
    }
    let mib = |b: u64| (b as f64 / 1048576.0 * 10.0).round() / 10.0;
    let listed: Vec<String> = samples.iter().map(|b| format!("{:.1}", mib(*b))).collect();
    println!(
        "(g) RSS every {RSS_EVERY} calls, MiB: {}",
        listed.join(" -> ")
    );
    let (first, last) = (samples[0], *samples.last().unwrap());
    Row::new(
        "g",
        "RSS after 100k warm calls",
        Measure::mib(last),
        "RSS before them",
        Measure::mib(first),
    )
    .goal(Goal::RatioAtMost(1.1))
    .details(json!({
        "every_calls": RSS_EVERY,
        "samples_mib": samples.iter().map(|b| mib(*b)).collect::<Vec<_>>(),
    }))
}

/// Resident pages of this process (`/proc/self/statm`, second field).
fn resident_pages() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn page_size() -> u64 {
    getconf("PAGESIZE").unwrap_or(4096)
}

fn getconf(name: &str) -> Option<u64> {
    let out = Command::new("getconf").arg(name).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}
