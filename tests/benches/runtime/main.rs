//! The benchmark suite (issue 9): every row measured side by side with its
//! baseline in this one run, printed as a table of ratios and written to
//! `target/bench/latest.json` and `latest.md` (`YOI_BENCH_OUT` to write
//! elsewhere).
//!
//! | row | measured | baseline | goal |
//! |---|---|---|---|
//! | a | warm `notes.read` of 64 B, p50/p99 | the floor harness (`floor.rs`) | ≤ 1.2× |
//! | b | the warm call | new engine + compile + call, every call | ≥ 2500× |
//! | c | one-shot `yoi-plugin run`, warm compile cache | the same, cold cache | ≤ 5 ms |
//! | d | 2 concurrent callers: ours, the floor, a native CPU-bound loop | 1 caller | ≥ 1.6× (ours) |
//! | e | `notes.digest` of 16 MiB in 1 MiB pages; the same in the floor | native read + SHA-256 (also without SHA extensions) | ≥ 0.5× |
//! | f | REST invoke on loopback at 1/8/64 clients; `busy` above the cap | in-process invoke | — |
//! | g | RSS after 100k warm calls | RSS before | ≤ 1.1× |
//! | - | MCP `tools/call` over stdio and streamable HTTP (`mcp.rs`) | in-process call | — |
//! | l | each language's hello (Rust, Rust wasip1, JS, Python): warm call p50; `l+` first load, cache hit vs compile (`languages.rs`) | Rust `hello` | — |
//!
//! Rows marked `x+` give context to row `x` and have no goal: the floor
//! resetting only dirtied pages (a, d), loading on a fresh host and
//! building a host (c), the floor and a native CPU-bound loop at 2 threads
//! (d), the floor's digest and native hashing without SHA extensions (e).
//! Rows (d) and (e) also print a breakdown (CPU and page faults per call;
//! where the time of a digest goes), which the JSON keeps under `details`.
//!
//! `YOI_BASELINE_BIN=/path/to/older/yoi-plugin` adds row (c) for that
//! binary (before/after comparisons). Run with `cargo xtask bench`, which
//! builds the plugins and the release CLI first. This is a benchmark, not a
//! test: no timing is asserted; a missed goal shows as `met: no`.
//! `YOI_BENCH_ONLY=l` measures only the (l) rows.

mod cli;
mod digest;
mod floor;
mod languages;
mod machine;
mod mcp;
mod report;
mod rest;
mod scaling;
mod sha_soft;
mod stats;
mod warm;

use std::path::{Path, PathBuf};

use report::Row;

fn out_dir() -> PathBuf {
    std::env::var_os("YOI_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench"))
}

/// Prints a row as soon as it is measured (the table comes at the end).
fn progress(rows: &[Row]) {
    for row in rows {
        eprintln!(
            "  measured ({}) {}: {} vs {}",
            row.id, row.name, row.measured.text, row.baseline.text
        );
    }
}

fn main() {
    // `cargo bench` passes --bench; ignore arguments.
    let machine = machine::machine();
    let mut rows: Vec<Row> = Vec::new();
    let mut add = |new: Vec<Row>| {
        progress(&new);
        rows.extend(new);
    };

    if std::env::var("YOI_BENCH_ONLY").as_deref() == Ok("l") {
        add(languages::languages());
        return finish(rows, machine);
    }
    let fixture = warm::Fixture::new();
    let (rows_a, warm_stats) = warm::warm_vs_floor(&fixture);
    add(rows_a);
    add(vec![warm::per_call_compile(&fixture, warm_stats)]);

    let bin = cli::cli_binary();
    if bin.is_file() {
        add(vec![cli::one_shot(&bin, "this build")]);
        if let Some(baseline) = std::env::var_os("YOI_BASELINE_BIN") {
            add(vec![cli::one_shot(
                Path::new(&baseline),
                "YOI_BASELINE_BIN",
            )]);
        }
    } else {
        eprintln!("(c) skipped: no release yoi-plugin binary; `cargo xtask bench` builds it");
    }
    add(vec![cli::cache_hit(), cli::host_build()]);

    add(scaling::concurrency(&fixture));
    add(digest::fs_throughput(&fixture));

    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    add(rest::rest(&tokio));
    if bin.is_file() {
        add(mcp::mcp(&bin, &fixture, &tokio));
    }
    drop(tokio);

    add(vec![scaling::rss(&fixture)]);
    add(languages::languages());
    finish(rows, machine);
}

/// Prints the table and writes the outputs.
fn finish(mut rows: Vec<Row>, mut machine: serde_json::Value) {
    machine["loadavg_at_end"] = machine::loadavg().into();
    // By row letter, context rows (`x+`) after their row, others last.
    rows.sort_by_key(|r| {
        r.id.chars()
            .next()
            .filter(char::is_ascii_lowercase)
            .unwrap_or('~')
    });
    println!();
    println!(
        "machine: {} ({}, {} CPUs), {}, load average {} -> {}",
        machine["host"].as_str().unwrap_or("?"),
        machine["cpu"].as_str().unwrap_or("?"),
        machine["cpus"],
        machine["date"].as_str().unwrap_or("?"),
        machine["loadavg_at_start"],
        machine["loadavg_at_end"],
    );
    println!("{}", report::table_text(&rows));
    let dir = out_dir();
    match report::write_outputs(&dir, &rows, &machine) {
        Ok(()) => println!(
            "\nwrote {} and {}",
            dir.join("latest.json").display(),
            dir.join("latest.md").display()
        ),
        Err(e) => eprintln!("could not write {}: {e}", dir.display()),
    }
}
