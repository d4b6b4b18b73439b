//! Process-wide metrics in Prometheus text format: tool calls and their
//! latency, fs decisions by code, bundles stored, live workers.
//!
//! Recording is cheap and lock-free after start-up; labels are bounded sets
//! (operation names and stable codes, never paths or plugin-controlled
//! text), so cardinality stays small.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FsLabels {
    op: &'static str,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    outcome: &'static str,
}

struct Metrics {
    registry: Registry,
    fs_decisions: Family<FsLabels, Counter>,
    tool_calls: Family<CallLabels, Counter>,
    net_denials: Family<CallLabels, Counter>,
    tool_latency: Histogram,
    bundles: Gauge,
    workers: Gauge,
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::with_prefix("yoi");
        let fs_decisions = Family::<FsLabels, Counter>::default();
        registry.register(
            "fs_decisions",
            "fs host API decisions by operation and code (ok = allowed and done)",
            fs_decisions.clone(),
        );
        let tool_calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "tool_calls",
            "tool calls by outcome (ok or the call error code)",
            tool_calls.clone(),
        );
        let net_denials = Family::<CallLabels, Counter>::default();
        registry.register(
            "net_denials",
            "outgoing HTTP requests refused, by code (host-not-granted, private-address, ...)",
            net_denials.clone(),
        );
        let tool_latency = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "tool_call_seconds",
            "tool call wall-clock latency",
            tool_latency.clone(),
        );
        let bundles = Gauge::default();
        registry.register("config_bundles", "config bundles stored", bundles.clone());
        let workers = Gauge::default();
        registry.register("workers", "live workers", workers.clone());
        Metrics {
            registry,
            fs_decisions,
            tool_calls,
            net_denials,
            tool_latency,
            bundles,
            workers,
        }
    })
}

/// Counts one fs decision; `code` is `"ok"` or a stable fs error code.
pub(crate) fn record_fs_decision(op: &'static str, code: &'static str) {
    metrics()
        .fs_decisions
        .get_or_create(&FsLabels { op, code })
        .inc();
}

/// Counts one tool call and observes its latency; `outcome` is `"ok"` or a
/// stable call error code.
pub(crate) fn record_tool_call(outcome: &'static str, seconds: f64) {
    let m = metrics();
    m.tool_calls.get_or_create(&CallLabels { outcome }).inc();
    m.tool_latency.observe(seconds);
}

/// Counts one refused outgoing request; `code` is a stable `NetDenied` code.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn record_net_denial(code: &'static str) {
    metrics()
        .net_denials
        .get_or_create(&CallLabels { outcome: code })
        .inc();
}

/// Sets the number of stored bundles.
pub(crate) fn set_bundles(n: usize) {
    metrics().bundles.set(n as i64);
}

/// Sets the number of live workers.
pub(crate) fn set_workers(n: usize) {
    metrics().workers.set(n as i64);
}

/// The current metrics in Prometheus text exposition format (what the
/// REST service's `/metrics` serves; embedders may serve it their way).
pub fn encode() -> String {
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &metrics().registry)
        .expect("writing to a String cannot fail");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_recorded_values() {
        super::record_fs_decision("read", "denied");
        super::record_tool_call("ok", 0.002);
        super::set_workers(3);
        let text = super::encode();
        assert!(
            text.contains("yoi_fs_decisions_total{op=\"read\",code=\"denied\"}"),
            "{text}"
        );
        assert!(text.contains("yoi_tool_calls_total{outcome=\"ok\"}"));
        assert!(text.contains("yoi_workers 3"));
        assert!(text.contains("yoi_tool_call_seconds_bucket"));
    }
}
