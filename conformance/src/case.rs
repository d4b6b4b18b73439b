//! The case catalogue: plain data read from `conformance/cases/*.toml`.
//!
//! One file is one family. A file holds optional `[defaults]` (a fixture
//! tree and a grant every case of the file starts from), full cases
//! (`[[case]]`) and matrices (`[[matrix]]`: every listed op on every listed
//! path, all with one expected code), which expand to one case per op and
//! path. Every case cites the spec section it checks (`spec = "3.2"`); the
//! loader refuses a citation that is not a heading of the spec.
//!
//! Any string of a case may hold `{c*N}`, which stands for N copies of the
//! character `c` (`m/{a*255}` is a 255-byte segment), so bound cases stay
//! readable. The format is documented with examples in the README.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The grant of a case, as plain data (the mount's directory is the
/// fixture's, chosen by the runner).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantCase {
    /// The mount name the guest uses.
    #[serde(default = "default_mount")]
    pub mount: String,
    /// Operations granted.
    #[serde(default = "all_ops")]
    pub ops: Vec<String>,
    /// Include globs.
    #[serde(default)]
    pub include: Vec<String>,
    /// Exclude globs.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Bound overrides (`read_bytes`, `write_bytes`, `list_entries`,
    /// `dir_scan_entries`).
    #[serde(default)]
    pub bounds: Bounds,
}

impl Default for GrantCase {
    fn default() -> Self {
        GrantCase {
            mount: default_mount(),
            ops: all_ops(),
            include: Vec::new(),
            exclude: Vec::new(),
            bounds: Bounds::default(),
        }
    }
}

/// Per-mount bound overrides of a case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// Bytes one read returns at most.
    pub read_bytes: Option<u32>,
    /// Bytes one write accepts at most.
    pub write_bytes: Option<u32>,
    /// Entries one list page returns at most.
    pub list_entries: Option<u32>,
    /// Entries a listed directory may hold.
    pub dir_scan_entries: Option<u32>,
}

/// Per-invocation fs budget of a case (unset fields keep the default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// fs calls.
    pub calls: Option<u64>,
    /// Bytes read.
    pub read_bytes: Option<u64>,
    /// Bytes written.
    pub write_bytes: Option<u64>,
}

/// One guest op and what it must give.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OpCase {
    /// `read`, `list`, `write` or `stat`, plus the hostile guest's `fs`
    /// arguments (`path`, `offset`, `max_len`, `cursor`, `max_entries`,
    /// `text`, `fill_bytes`, `mode`, `expected_digest`). An
    /// `expected_digest` of `sha256-of:TEXT` is replaced by the digest of
    /// TEXT.
    #[serde(flatten)]
    pub args: Map<String, Value>,
    /// `ok` or the expected error code.
    pub expect: String,
    /// For `ok`: fields the result must have (a subset match). A list
    /// result also has `names`, the entry names in order, and `last_page`,
    /// whether `next_cursor` is none.
    #[serde(default)]
    pub result: Option<Value>,
}

/// One case, after defaults and matrices are applied.
#[derive(Debug, Clone)]
pub struct Case {
    /// The family (file name without `.toml`).
    pub family: String,
    /// Unique within the family.
    pub name: String,
    /// The spec section it checks, e.g. `3.2`.
    pub spec: String,
    /// The fixture tree (see [`crate::fixture`]).
    pub tree: Vec<String>,
    /// The grant.
    pub grant: GrantCase,
    /// The budget, if not the default.
    pub budget: Option<Budget>,
    /// The ops, run in order in one invocation.
    pub ops: Vec<OpCase>,
    /// What the mount must hold afterwards (see [`crate::fixture`]).
    pub after: Vec<String>,
    /// The host must refuse to build the grant, with this code (the ops
    /// are then not run).
    pub grant_error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    case: Vec<RawCase>,
    #[serde(default)]
    matrix: Vec<Matrix>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    #[serde(default)]
    tree: Vec<String>,
    #[serde(default)]
    grant: Option<GrantCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    spec: String,
    tree: Option<Vec<String>>,
    #[serde(default)]
    extra_tree: Vec<String>,
    grant: Option<GrantCase>,
    budget: Option<Budget>,
    #[serde(default)]
    ops: Vec<OpCase>,
    #[serde(default)]
    after: Vec<String>,
    grant_error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Matrix {
    name: String,
    spec: String,
    ops: Vec<String>,
    paths: Vec<String>,
    expect: String,
    #[serde(default)]
    args: Map<String, Value>,
    tree: Option<Vec<String>>,
    #[serde(default)]
    extra_tree: Vec<String>,
    grant: Option<GrantCase>,
}

fn default_mount() -> String {
    "m".to_owned()
}

fn all_ops() -> Vec<String> {
    ["read", "list", "write", "stat"].map(String::from).to_vec()
}

/// Loads every `*.toml` in `dir`, sorted by file name, and checks each
/// case's spec citation against the headings of `spec_text`.
pub fn load_dir(dir: &Path, spec_text: &str) -> Result<Vec<Case>> {
    let sections = spec_sections(spec_text);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let family = path.file_stem().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(&path)?;
        let file: File =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        cases.extend(expand(&family, file).into_iter().map(repeats_in_case));
    }
    let mut seen = BTreeSet::new();
    for case in &cases {
        if !sections.contains(&case.spec) {
            bail!(
                "case {}/{} cites §{}, which is not a section of the spec",
                case.family,
                case.name,
                case.spec
            );
        }
        if !seen.insert((case.family.clone(), case.name.clone())) {
            bail!("case {}/{} is defined twice", case.family, case.name);
        }
        if case.ops.is_empty() && case.grant_error.is_none() {
            bail!("case {}/{} has no ops", case.family, case.name);
        }
    }
    Ok(cases)
}

/// The section numbers (`3`, `3.2`, …) of the spec's headings.
pub fn spec_sections(spec_text: &str) -> BTreeSet<String> {
    spec_text
        .lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| l.trim_start_matches('#').split_whitespace().next())
        .map(|n| n.trim_end_matches('.').to_owned())
        .filter(|n| n.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect()
}

fn expand(family: &str, file: File) -> Vec<Case> {
    let defaults = file.defaults;
    let grant = |g: Option<GrantCase>| g.or(defaults.grant.clone()).unwrap_or_default();
    let tree = |t: Option<Vec<String>>, extra: Vec<String>| {
        let mut tree = t.unwrap_or_else(|| defaults.tree.clone());
        tree.extend(extra);
        tree
    };
    let mut cases = Vec::new();
    for raw in file.case {
        cases.push(Case {
            family: family.to_owned(),
            name: raw.name,
            spec: raw.spec,
            tree: tree(raw.tree, raw.extra_tree),
            grant: grant(raw.grant),
            budget: raw.budget,
            ops: raw.ops,
            after: raw.after,
            grant_error: raw.grant_error,
        });
    }
    for m in file.matrix {
        let tree = tree(m.tree, m.extra_tree);
        let grant = grant(m.grant);
        for op in &m.ops {
            for path in &m.paths {
                let mut args = m.args.clone();
                args.insert("op".into(), Value::from(op.as_str()));
                args.insert("path".into(), Value::from(path.as_str()));
                cases.push(Case {
                    family: family.to_owned(),
                    name: format!("{} {op} {}", m.name, shown(path)),
                    spec: m.spec.clone(),
                    tree: tree.clone(),
                    grant: grant.clone(),
                    budget: None,
                    ops: vec![OpCase {
                        args,
                        expect: m.expect.clone(),
                        result: None,
                    }],
                    after: Vec::new(),
                    grant_error: None,
                });
            }
        }
    }
    cases
}

/// A path as a case name shows it: non-printable and non-ASCII characters
/// escaped, long paths cut.
pub fn shown(path: &str) -> String {
    let escaped: String = path.escape_default().collect();
    if escaped.len() > 60 {
        format!("{}…({} bytes)", &escaped[..40], path.len())
    } else {
        escaped
    }
}

/// Expands `{c*N}` in every string of a case.
fn repeats_in_case(mut case: Case) -> Case {
    for entry in case.tree.iter_mut().chain(case.after.iter_mut()) {
        *entry = repeats(entry);
    }
    for op in &mut case.ops {
        for value in op.args.values_mut() {
            if let Value::String(s) = value {
                *s = repeats(s);
            }
        }
    }
    case
}

/// `{c*N}` → N copies of `c`; anything else is kept as written.
pub fn repeats(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let parsed = tail.find('}').and_then(|end| {
            let inner = &tail[1..end];
            let mut chars = inner.chars();
            let c = chars.next()?;
            let n: usize = chars.as_str().strip_prefix('*')?.parse().ok()?;
            Some((c, n, end))
        });
        match parsed {
            Some((c, n, end)) => {
                out.extend(std::iter::repeat_n(c, n));
                rest = &tail[end + 1..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_expand_and_leave_globs_alone() {
        assert_eq!(repeats("m/{a*3}/b"), "m/aaa/b");
        assert_eq!(repeats("m/{é*2}x"), "m/ééx");
        assert_eq!(repeats("{a,b}/**"), "{a,b}/**");
        assert_eq!(repeats("{x*0}"), "");
    }

    #[test]
    fn sections_come_from_headings() {
        let s = spec_sections("# T\n## 3. Paths\n### 3.2 Rejected\ntext 4.1\n");
        assert!(s.contains("3") && s.contains("3.2") && !s.contains("4.1"));
    }
}
