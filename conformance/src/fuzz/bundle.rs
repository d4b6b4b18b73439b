//! The config-bundle harness: [`ConfigBundle::from_json`] (JSON, every
//! field rule, the canonical digest) on committed seeds mutated as JSON
//! trees — values swapped for hostile ones, members dropped or added,
//! arrays grown past their bounds — usually resealed so the digest check
//! passes and the field rules are reached, then sometimes byte-mutated.
//!
//! The properties are [`crate::properties::bundle`]'s.

use std::path::Path;

use serde_json::{Value, json};
use yoi_plugin_host::bundle::ConfigBundle;

use super::Config;
use super::mutate::{self, Rng};
use crate::properties::bundle::BundleChecker;
use crate::properties::{Outcome, PATH_CANARIES, SECRET_CANARIES};

const STRINGS: &[&str] = &[
    "team-a",
    "ws-1",
    "notes",
    "a",
    "A.b_c-9",
    ".hidden",
    "a..b",
    "x y",
    "",
    "2026-06-25T16:44:57Z",
    "2026-06-25T16:44:57.123456789Z",
    "2026-02-30T25:61:61Z",
    "2026-06-25T16:44:57+01:00",
    "user:notes",
    "builtin:hello",
    "project:x",
    "evil:x",
    "user:",
    "0.1.0",
    "1.0",
    "1.0.0-rc.1",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef",
    "mount:notes",
    "secret:github-token",
    "capability:fs",
    "network:api",
    "shell:sh",
    "git:repo",
    "secret:",
    "mount:../x",
    "secret:token.pem",
    "capability:x.sock",
    "journal/**",
    "**/*.key",
    "/etc/**",
    "~/x",
    "[",
    "{a,b}",
    "a\u{0}b",
    "\u{1b}[2J",
    "\u{202e}evil",
    "read",
    "list",
    "write",
    "delete",
    "yoi-plugin bundle create",
    "alice",
    "C:",
    "..",
    "ghp_",
    "eyJhbGciOi",
    "AKIA0000",
    "a=b",
];
const KEYS: &[&str] = &[
    "id",
    "revision",
    "workspace_id",
    "created_at",
    "provenance",
    "profiles",
    "declarations",
    "digest",
    "source",
    "author",
    "description",
    "plugins",
    "capabilities",
    "version",
    "grants",
    "network",
    "mount",
    "ops",
    "include",
    "exclude",
    "kind",
    "reference",
    "limits",
    "instances",
    "surprise",
];
const DICT: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b":",
    b"null",
    b"true",
    b"-1",
    b"1e400",
    b"18446744073709551616",
    b"\\u0000",
    b"\\ud800",
    b"\\\\",
    b"\xff",
    b"\xed\xa0\x80",
    b"\"surprise\":1,",
    b"\"profiles\":",
    b"\"digest\":\"\"",
    b"ghp_CanaryS3cretT0ken0123456789abcdef",
    b"/home/canary-user/.ssh/id_ed25519",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
];

/// Every node of `v` as a JSON pointer.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                pointers(
                    child,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn hostile_string(rng: &mut Rng) -> String {
    match rng.below(12) {
        0 => SECRET_CANARIES[rng.below(3)].to_owned(),
        1 => PATH_CANARIES[rng.below(2)].to_owned(),
        2 => "x".repeat(*rng.pick(&[64usize, 128, 129, 256, 257, 513])),
        3 => format!(
            "{}{}",
            rng.pick(&["secret:", "mount:", "network:", "capability:"]),
            SECRET_CANARIES[rng.below(3)]
        ),
        _ => rng.pick(STRINGS).to_string(),
    }
}

fn scalar(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => json!(rng.percent(50)),
        2 => json!(*rng.pick(&[0i64, 1, -1, 100_000, 100_001, i64::MAX])),
        3 => json!(u64::MAX),
        4 => json!(1.5),
        5 => json!([]),
        6 => json!({}),
        _ => Value::String(hostile_string(rng)),
    }
}

/// One structure-aware mutation of the bundle tree.
fn mutate_tree(rng: &mut Rng, v: &mut Value) {
    let mut all = Vec::new();
    pointers(v, String::new(), &mut all);
    let at = rng.pick(&all).clone();
    let Some(node) = v.pointer_mut(&at) else {
        return;
    };
    let op = rng.below(8);
    match (op, node) {
        (_, node @ Value::String(_)) if op < 7 => *node = Value::String(hostile_string(rng)),
        (3, Value::Object(map)) if !map.is_empty() => {
            let key = map.keys().nth(rng.below(map.len())).unwrap().clone();
            map.remove(&key);
        }
        (4, Value::Object(map)) => {
            let key = if rng.percent(70) {
                rng.pick(KEYS).to_string()
            } else {
                hostile_string(rng)
            };
            map.insert(key, scalar(rng));
        }
        (5, Value::Array(items)) if !items.is_empty() => {
            // Grow past the count bounds (64, 256) or duplicate one entry.
            let copies = if rng.percent(20) {
                *rng.pick(&[64usize, 257])
            } else {
                1
            };
            let item = items[rng.below(items.len())].clone();
            items.extend(std::iter::repeat_n(item, copies));
        }
        (6, Value::Object(map)) if map.contains_key("notes") || map.contains_key("empty") => {
            // A profile map: add profiles under hostile or many names.
            let profile = map.values().next().cloned().unwrap_or(json!({}));
            for i in 0..if rng.percent(10) { 65 } else { 1 } {
                map.insert(format!("{}{i}", hostile_string(rng)), profile.clone());
            }
        }
        (_, node) => *node = scalar(rng),
    }
}

/// One input: a corpus seed mutated as a tree (mostly resealed), then
/// perhaps at the byte level.
fn input(rng: &mut Rng, seeds: &[Value], raw: &[Vec<u8>]) -> Vec<u8> {
    let mut v = rng.pick(seeds).clone();
    for _ in 0..rng.below(4) {
        mutate_tree(rng, &mut v);
    }
    if rng.percent(80)
        && let Ok(draft) = serde_json::from_value::<ConfigBundle>(v.clone())
    {
        v["digest"] = Value::String(draft.compute_digest());
    }
    let mut bytes = if rng.percent(50) {
        serde_json::to_vec(&v).unwrap()
    } else {
        serde_json::to_vec_pretty(&v).unwrap()
    };
    if rng.percent(20) {
        let others: Vec<&[u8]> = raw.iter().map(Vec::as_slice).collect();
        mutate::bytes(rng, &mut bytes, DICT, &others);
    }
    bytes
}

#[test]
fn bundle_parser_holds_its_properties() {
    let cfg = Config::from_env("bundle", "BUNDLE", 12_000, 0x6275_6e64);
    let corpus = super::corpus("bundle");
    let raw: Vec<Vec<u8>> = corpus.iter().map(|(_, b)| b.clone()).collect();
    let seeds: Vec<Value> = corpus
        .iter()
        .filter_map(|(_, b)| serde_json::from_slice(b).ok())
        .collect();
    let mut checker = BundleChecker::new();
    let report = super::drive(
        &cfg,
        |rng| input(rng, &seeds, &raw),
        |bytes| checker.check(bytes),
    );
    super::assert_clean(&report, 20);
}

#[test]
fn every_bundle_seed_behaves_as_named() {
    // `valid-*` seeds are accepted (and stored); every other seed is
    // refused with a clean error.
    let mut checker = BundleChecker::new();
    for (name, bytes) in super::corpus("bundle") {
        let outcome = checker
            .check(&bytes)
            .unwrap_or_else(|v| panic!("{name}: {v}"));
        let accepted = matches!(outcome, Outcome::Accepted);
        assert_eq!(accepted, name.starts_with("valid-"), "{name}");
    }
}

/// Rewrites the `digest` of every `valid-*` seed (after editing one):
/// `cargo test -p yoi-conformance --lib seal_valid_bundle_seeds -- --ignored`.
#[test]
#[ignore]
fn seal_valid_bundle_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/bundle");
    for (name, bytes) in super::corpus("bundle") {
        if name.starts_with("valid-") {
            let b = ConfigBundle::parse_draft(std::str::from_utf8(&bytes).unwrap()).unwrap();
            b.validate_content().unwrap();
            let text = serde_json::to_string_pretty(&b.seal()).unwrap() + "\n";
            std::fs::write(dir.join(&name), text).unwrap();
        }
    }
}
