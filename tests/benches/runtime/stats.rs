//! Timings: percentiles, medians, and how durations and counts print.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Latency percentiles of a set of timings.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub p50: Duration,
    pub p99: Duration,
    pub n: usize,
}

impl Stats {
    pub fn of(mut times: Vec<Duration>) -> Stats {
        assert!(!times.is_empty(), "no samples");
        times.sort_unstable();
        let n = times.len();
        Stats {
            p50: times[n / 2],
            p99: times[(n * 99 / 100).min(n - 1)],
            n,
        }
    }

    /// `p50 (p99 …)`.
    pub fn text(&self) -> String {
        format!(
            "p50 {} (p99 {})",
            fmt_duration(self.p50),
            fmt_duration(self.p99)
        )
    }

    pub fn to_json(self) -> Value {
        json!({
            "p50_us": self.p50.as_secs_f64() * 1e6,
            "p99_us": self.p99.as_secs_f64() * 1e6,
            "samples": self.n,
        })
    }
}

/// Timings of `n` calls of `f`, one each.
pub fn timed(n: usize, mut f: impl FnMut()) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect()
}

/// Median of `runs` timings of `f`.
pub fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let times = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    Stats::of(times).p50
}

pub fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

pub fn fmt_count(v: f64) -> String {
    if v >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

pub fn fmt_ratio(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}x")
    } else {
        format!("{r:.2}x")
    }
}
