//! The per-target table and the JUnit XML file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::judge::{CaseResult, Verdict};

/// Counts of one family (or of all) on one target.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Cases run or skipped.
    pub cases: usize,
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Skipped (the target cannot run them).
    pub skip: usize,
}

impl Counts {
    fn add(&mut self, verdict: &Verdict) {
        self.cases += 1;
        match verdict {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail(_) => self.fail += 1,
            Verdict::Skip(_) => self.skip += 1,
        }
    }
}

/// Counts per family, and the total.
pub fn counts(results: &[CaseResult]) -> (BTreeMap<String, Counts>, Counts) {
    let mut families = BTreeMap::<String, Counts>::new();
    let mut total = Counts::default();
    for r in results {
        families
            .entry(r.family.clone())
            .or_default()
            .add(&r.verdict);
        total.add(&r.verdict);
    }
    (families, total)
}

/// The table for one target: one row per family, the failures below it.
pub fn table(target: &str, results: &[CaseResult]) -> String {
    let (families, total) = counts(results);
    let mut out = String::new();
    let _ = writeln!(out, "target {target}");
    let _ = writeln!(
        out,
        "  {:<14} {:>6} {:>6} {:>6} {:>6}",
        "family", "cases", "pass", "fail", "skip"
    );
    for (family, c) in families.iter().chain([(&"TOTAL".to_owned(), &total)]) {
        let _ = writeln!(
            out,
            "  {:<14} {:>6} {:>6} {:>6} {:>6}",
            family, c.cases, c.pass, c.fail, c.skip
        );
    }
    for r in results {
        if let Verdict::Fail(why) = &r.verdict {
            let _ = writeln!(out, "  FAIL {}/{} (§{}): {why}", r.family, r.name, r.spec);
        }
    }
    out
}

/// Writes the JUnit XML for one target: one `testsuite` per family.
pub fn write_junit(path: &Path, target: &str, results: &[CaseResult]) -> std::io::Result<()> {
    let (families, total) = counts(results);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"yoi-conformance-{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
        escape(target),
        total.cases,
        total.fail,
        total.skip
    );
    for (family, c) in &families {
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}.{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            escape(target),
            escape(family),
            c.cases,
            c.fail,
            c.skip
        );
        for r in results.iter().filter(|r| &r.family == family) {
            let _ = write!(
                xml,
                "    <testcase classname=\"{}.{}\" name=\"{} [§{}]\" time=\"{:.3}\"",
                escape(target),
                escape(family),
                escape(&r.name),
                escape(&r.spec),
                r.time.as_secs_f64()
            );
            match &r.verdict {
                Verdict::Pass => xml.push_str("/>\n"),
                Verdict::Fail(why) => {
                    let _ = writeln!(
                        xml,
                        ">\n      <failure message=\"{}\"/>\n    </testcase>",
                        escape(why)
                    );
                }
                Verdict::Skip(why) => {
                    let _ = writeln!(
                        xml,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape(why)
                    );
                }
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, xml)
}

/// XML attribute text: markup characters escaped, other control characters
/// (not allowed in XML 1.0) shown as `\u{..}`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(escape("a<b>&\"'\u{0}"), "a&lt;b&gt;&amp;&quot;&apos;\\u{0}");
    }
}
