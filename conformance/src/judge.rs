//! Running one case on one target and judging it.
//!
//! Beyond each op's expected code or result, every case checks the
//! invariants that hold whatever the op: nothing outside the mount changed,
//! no result carries the outside secret, and no error message carries a
//! host path.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::case::{Case, OpCase};
use crate::fixture::{Fixture, SECRET};
use crate::target::{GrantRefused, Target};

/// How a case ended on a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every check held.
    Pass,
    /// The first check that did not hold.
    Fail(String),
    /// The target cannot run this case, and why.
    Skip(String),
}

/// One case's verdict on one target.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case's family.
    pub family: String,
    /// The case's name.
    pub name: String,
    /// The spec section it checks.
    pub spec: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Wall time, fixture included.
    pub time: Duration,
}

/// Builds the case's fixture under `root`, runs it on `target`, judges it.
pub fn run_case(target: &mut dyn Target, root: &Path, case: &Case) -> CaseResult {
    let started = Instant::now();
    let verdict = match target.unsupported(case.budget.as_ref()) {
        Some(reason) => Verdict::Skip(reason.to_owned()),
        None => match judge(target, root, case) {
            Ok(()) => Verdict::Pass,
            Err(why) => Verdict::Fail(why),
        },
    };
    CaseResult {
        family: case.family.clone(),
        name: case.name.clone(),
        spec: case.spec.clone(),
        verdict,
        time: started.elapsed(),
    }
}

fn judge(target: &mut dyn Target, root: &Path, case: &Case) -> Result<(), String> {
    let fixture = Fixture::reset(root).map_err(|e| format!("fixture: {e:#}"))?;
    fixture
        .build(&case.tree)
        .map_err(|e| format!("fixture: {e:#}"))?;
    let calls: Vec<Value> = case.ops.iter().map(call).collect();
    let outcomes = target.run(&fixture.mount, &case.grant, case.budget.as_ref(), &calls);
    let outcomes = match (outcomes, &case.grant_error) {
        (Err(e), Some(want)) => {
            return match e.downcast_ref::<GrantRefused>() {
                Some(GrantRefused(code)) if code == want => fixture.check_outside(),
                Some(GrantRefused(code)) => Err(format!("grant refused with {code}, not {want}")),
                None => Err(format!("harness: {e:#}")),
            };
        }
        (Ok(_), Some(want)) => return Err(format!("the grant was accepted; expected {want}")),
        (Err(e), None) => return Err(format!("harness: {e:#}")),
        (Ok(outcomes), None) => outcomes,
    };
    let root_text = root.to_string_lossy();
    for (i, (op, outcome)) in case.ops.iter().zip(&outcomes).enumerate() {
        let text = outcome.to_string();
        if text.contains(SECRET) {
            return Err(format!("op {i}: the outside secret was returned"));
        }
        if text.contains(root_text.as_ref()) {
            return Err(format!("op {i}: a host path was returned"));
        }
        check_op(op, outcome).map_err(|why| format!("op {i} ({}): {why}", op_label(op)))?;
    }
    fixture.check_after(&case.after)?;
    fixture.check_outside()
}

/// The guest `fs` probe input of one op.
fn call(op: &OpCase) -> Value {
    let mut args = op.args.clone();
    if let Some(Value::String(d)) = args.get("expected_digest")
        && let Some(text) = d.strip_prefix("sha256-of:")
    {
        let digest = yoi_plugin_host::fs::content_digest(text.as_bytes());
        args.insert("expected_digest".into(), Value::String(digest));
    }
    Value::Object(args)
}

fn op_label(op: &OpCase) -> String {
    let name = op.args.get("op").and_then(Value::as_str).unwrap_or("?");
    let path = op.args.get("path").and_then(Value::as_str).unwrap_or("?");
    format!("{name} {}", crate::case::shown(path))
}

fn check_op(op: &OpCase, outcome: &Value) -> Result<(), String> {
    match (op.expect.as_str(), outcome.get("ok"), outcome.get("error")) {
        ("ok", Some(ok), _) => match &op.result {
            Some(want) => {
                let got = with_names(ok);
                if subset(want, &got) {
                    Ok(())
                } else {
                    Err(format!("result {got} does not match {want}"))
                }
            }
            None => Ok(()),
        },
        ("ok", None, Some(err)) => Err(format!(
            "expected ok, got {} ({})",
            err["code"], err["message"]
        )),
        (code, Some(ok), _) => Err(format!("expected {code}, got ok {ok}")),
        (code, None, Some(err)) if err["code"] == code => Ok(()),
        (code, None, Some(err)) => Err(format!(
            "expected {code}, got {} ({})",
            err["code"], err["message"]
        )),
        (_, None, None) => Err(format!("malformed outcome {outcome}")),
    }
}

/// A list result with its entry names as `names` and whether it is the
/// last page as `last_page` (TOML has no null to compare `next_cursor`
/// with).
fn with_names(ok: &Value) -> Value {
    let mut ok = ok.clone();
    if let Some(entries) = ok.get("entries").and_then(Value::as_array) {
        let names: Vec<Value> = entries.iter().map(|e| e["name"].clone()).collect();
        ok["names"] = Value::Array(names);
        ok["last_page"] = Value::Bool(ok["next_cursor"].is_null());
    }
    ok
}

/// Whether `got` has everything `want` has: objects by key (extra keys in
/// `got` are fine), arrays element by element with equal lengths, scalars
/// equal.
pub fn subset(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => object_subset(w, g),
        (Value::Array(w), Value::Array(g)) => {
            w.len() == g.len() && w.iter().zip(g).all(|(w, g)| subset(w, g))
        }
        (w, g) => w == g,
    }
}

fn object_subset(want: &Map<String, Value>, got: &Map<String, Value>) -> bool {
    want.iter()
        .all(|(k, w)| got.get(k).is_some_and(|g| subset(w, g)))
}

#[cfg(test)]
mod tests {
    use super::subset;
    use serde_json::json;

    #[test]
    fn subset_matches_by_key() {
        let got = json!({"kind": "file", "size": 5, "entries": [{"name": "a", "size": 1}]});
        assert!(subset(&json!({"kind": "file"}), &got));
        assert!(subset(&json!({"entries": [{"name": "a"}]}), &got));
        assert!(!subset(&json!({"kind": "directory"}), &got));
        assert!(!subset(&json!({"entries": []}), &got));
        assert!(!subset(&json!({"missing": 1}), &got));
    }
}
