//! Rows of the benchmark table and the outputs: the printed table,
//! `latest.json` and `latest.md`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::stats::{fmt_count, fmt_duration, fmt_ratio};

/// One measured number with its unit and how it prints.
#[derive(Debug, Clone)]
pub struct Measure {
    /// The number, in `unit`.
    pub value: f64,
    /// `us`, `ms`, `calls/s`, `MiB/s`, `MiB`, `calls`.
    pub unit: &'static str,
    /// The printed form (may add detail, e.g. the p99).
    pub text: String,
}

impl Measure {
    /// A duration in microseconds.
    pub fn micros(d: Duration) -> Measure {
        let value = d.as_secs_f64() * 1e6;
        Measure {
            value,
            unit: "us",
            text: fmt_duration(d),
        }
    }

    /// A duration in milliseconds.
    pub fn millis(d: Duration) -> Measure {
        let value = d.as_secs_f64() * 1e3;
        Measure {
            value,
            unit: "ms",
            text: fmt_duration(d),
        }
    }

    /// A rate of calls per second.
    pub fn rate(per_sec: f64) -> Measure {
        Measure {
            value: per_sec,
            unit: "calls/s",
            text: format!("{}/s", fmt_count(per_sec)),
        }
    }

    /// A throughput in MiB/s.
    pub fn mib_per_sec(v: f64) -> Measure {
        Measure {
            value: v,
            unit: "MiB/s",
            text: format!("{v:.0} MiB/s"),
        }
    }

    /// A size in MiB.
    pub fn mib(bytes: u64) -> Measure {
        let v = bytes as f64 / (1024.0 * 1024.0);
        Measure {
            value: v,
            unit: "MiB",
            text: format!("{v:.1} MiB"),
        }
    }

    /// A plain count.
    pub fn count(n: u64, what: &str) -> Measure {
        Measure {
            value: n as f64,
            unit: "count",
            text: format!("{n} {what}"),
        }
    }

    /// The same number printed with `text` instead.
    pub fn with_text(mut self, text: String) -> Measure {
        self.text = text;
        self
    }
}

/// What a row must reach.
#[derive(Debug, Clone)]
pub enum Goal {
    /// `ratio <= x`.
    RatioAtMost(f64),
    /// `ratio >= x`.
    RatioAtLeast(f64),
    /// The measured value (in its unit) `<= x`.
    MeasuredAtMost(f64),
    /// A condition checked by the row itself.
    Check(&'static str, bool),
}

impl Goal {
    fn text(&self, unit: &str) -> String {
        match self {
            Goal::RatioAtMost(x) => format!("<= {x}x"),
            Goal::RatioAtLeast(x) => format!(">= {x}x"),
            Goal::MeasuredAtMost(x) => format!("<= {x} {}", unit.replace("us", "µs")),
            Goal::Check(what, _) => (*what).to_owned(),
        }
    }

    fn met(&self, row: &Row) -> bool {
        match self {
            Goal::RatioAtMost(x) => row.ratio.is_some_and(|r| r <= *x),
            Goal::RatioAtLeast(x) => row.ratio.is_some_and(|r| r >= *x),
            Goal::MeasuredAtMost(x) => row.measured.value <= *x,
            Goal::Check(_, met) => *met,
        }
    }
}

/// One line of the table: `name | measured | baseline name | baseline |
/// ratio | goal`.
#[derive(Debug, Clone)]
pub struct Row {
    /// The row letter (`a`…`g`), or `-` for an extra row.
    pub id: &'static str,
    pub name: String,
    pub measured: Measure,
    pub baseline_name: String,
    pub baseline: Measure,
    /// `None` when a ratio means nothing for the row.
    pub ratio: Option<f64>,
    /// How the ratio is formed, e.g. `measured / baseline`.
    pub ratio_is: &'static str,
    pub goal: Option<Goal>,
    /// Extra numbers for the JSON (samples, breakdowns).
    pub details: Value,
}

impl Row {
    /// A row whose ratio is `measured / baseline`.
    pub fn new(
        id: &'static str,
        name: impl Into<String>,
        measured: Measure,
        baseline_name: impl Into<String>,
        baseline: Measure,
    ) -> Row {
        let ratio = Some(measured.value / baseline.value.max(1e-12));
        Row {
            id,
            name: name.into(),
            measured,
            baseline_name: baseline_name.into(),
            baseline,
            ratio,
            ratio_is: "measured / baseline",
            goal: None,
            details: Value::Null,
        }
    }

    /// The ratio inverted: `baseline / measured` (a speed-up).
    pub fn inverted(mut self) -> Row {
        self.ratio = Some(self.baseline.value / self.measured.value.max(1e-12));
        self.ratio_is = "baseline / measured";
        self
    }

    /// No ratio (the row's goal is a condition).
    pub fn without_ratio(mut self) -> Row {
        self.ratio = None;
        self.ratio_is = "none";
        self
    }

    pub fn goal(mut self, goal: Goal) -> Row {
        self.goal = Some(goal);
        self
    }

    pub fn details(mut self, details: Value) -> Row {
        self.details = details;
        self
    }

    fn met(&self) -> Option<bool> {
        self.goal.as_ref().map(|g| g.met(self))
    }

    fn cells(&self) -> [String; 7] {
        let goal = self
            .goal
            .as_ref()
            .map_or_else(|| "—".to_owned(), |g| g.text(self.measured.unit));
        let met = match self.met() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        [
            format!("{} {}", self.id, self.name),
            self.measured.text.clone(),
            self.baseline_name.clone(),
            self.baseline.text.clone(),
            self.ratio.map_or_else(|| "—".to_owned(), fmt_ratio),
            goal,
            met.to_owned(),
        ]
    }

    fn to_json(&self) -> Value {
        let m = |m: &Measure| json!({"value": m.value, "unit": m.unit, "text": m.text});
        json!({
            "id": self.id,
            "name": self.name,
            "measured": m(&self.measured),
            "baseline_name": self.baseline_name,
            "baseline": m(&self.baseline),
            "ratio": self.ratio,
            "ratio_is": self.ratio_is,
            "goal": self.goal.as_ref().map(|g| g.text(self.measured.unit)),
            "met": self.met(),
            "details": self.details,
        })
    }
}

const HEADER: [&str; 7] = [
    "row",
    "measured",
    "baseline",
    "baseline value",
    "ratio",
    "goal",
    "met",
];

/// The table as aligned text.
pub fn table_text(rows: &[Row]) -> String {
    let cells: Vec<[String; 7]> = rows.iter().map(Row::cells).collect();
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([HEADER[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..7).map(width).collect();
    let line = |c: &[String]| {
        let parts: Vec<String> = c
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s}{}", " ".repeat(w - s.chars().count())))
            .collect();
        parts.join(" | ").trim_end().to_owned()
    };
    let mut out = line(&HEADER.map(str::to_owned));
    out.push('\n');
    out.push_str(
        &widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-"),
    );
    for c in &cells {
        out.push('\n');
        out.push_str(&line(c).replace("**", ""));
    }
    out
}

/// The table as Markdown, with the machine named.
pub fn table_markdown(rows: &[Row], machine: &Value) -> String {
    let mut out = format!(
        "Measured on `{}` ({}, {} CPUs), {}, commit {}, load average {} at the start and {} at the end; \
         one run of `cargo xtask bench` (release).\n\n",
        machine["host"].as_str().unwrap_or("?"),
        machine["cpu"].as_str().unwrap_or("?"),
        machine["cpus"],
        machine["date"].as_str().unwrap_or("?"),
        machine["commit"].as_str().unwrap_or("?"),
        machine["loadavg_at_start"],
        machine["loadavg_at_end"],
    );
    out.push_str(&format!("| {} |\n", HEADER.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(HEADER.len())));
    for row in rows {
        let cells = row.cells().map(|c| c.replace('|', "\\|"));
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// Writes `latest.json` and `latest.md` under `dir`.
pub fn write_outputs(dir: &std::path::Path, rows: &[Row], machine: &Value) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = json!({
        "machine": machine,
        "rows": rows.iter().map(Row::to_json).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&json).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("latest.json"), text + "\n")?;
    std::fs::write(dir.join("latest.md"), table_markdown(rows, machine))
}
