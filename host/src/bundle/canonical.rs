//! The canonical encoding a bundle digest is computed over.
//!
//! ```text
//! digest = lowercase_hex(SHA-256("yoi-config-bundle-v1\n" || canonical_json))
//! ```
//!
//! `canonical_json` is the bundle's own JSON representation *without* its
//! `digest` member, written as:
//! - objects with their members sorted by key (byte-wise; all keys are
//!   ASCII), no whitespace anywhere;
//! - every field present, except optional fields whose value is absent
//!   (`description`, `author`), which are omitted — so `null` and a
//!   missing member digest the same;
//! - arrays in their given order (order is content: reordering profiles'
//!   plugins or declarations changes the digest); `profiles` is an object,
//!   so profile order never matters;
//! - strings as JSON strings escaping only `"` → `\"`, `\` → `\\`, and
//!   control characters U+0000–U+001F (`\b`, `\t`, `\n`, `\f`, `\r`, else
//!   `\u00xx` with lowercase hex); everything else is raw UTF-8;
//! - integers (`revision`) in decimal without sign or leading zeros.
//!
//! This is exactly `serde_json`'s compact output of the bundle with keys
//! sorted, which a unit test checks, but it is written here by hand so the
//! encoding cannot drift with serde attributes or crate features.
//!
//! Member keys per object:
//! - bundle: `created_at`, `declarations`, `id`, `profiles`, `provenance`,
//!   `revision`, `workspace_id`;
//! - provenance: `author`?, `source`;
//! - profile: `capabilities`, `description`?, `plugins`;
//! - plugin enablement: `digest`, `grants`, `id`, `limits`? (omitted when
//!   absent), `network`? (omitted when empty), `version` — so bundles
//!   without limits or network digest as before;
//! - limits: `instances`?, `memories`?, `tables`? (each omitted when
//!   absent), decimal integers;
//! - grant request: `exclude`, `include`, `mount`, `ops`;
//! - declaration: `kind`, `reference`.

use super::reference::Declaration;
use super::{ConfigBundle, GrantRequest, PluginEnablement, Profile, Provenance};

/// The format tag that starts the digested bytes.
pub const FORMAT_TAG: &str = "yoi-config-bundle-v1\n";

/// The exact bytes the digest of `bundle` is computed over.
pub fn canonical_bytes(bundle: &ConfigBundle) -> Vec<u8> {
    let mut out = String::with_capacity(1024);
    out.push_str(FORMAT_TAG);
    write_bundle(&mut out, bundle);
    out.into_bytes()
}

/// The SHA-256 digest (64 lowercase hex) of `bundle`'s canonical bytes.
pub fn digest(bundle: &ConfigBundle) -> String {
    crate::names::Digest::of(&canonical_bytes(bundle)).to_string()
}

/// A writer of one JSON object whose members are given in key order.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn open(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(self.out, key);
        self.out.push(':');
        self.out
    }

    fn str(&mut self, key: &str, value: &str) {
        write_str(self.key(key), value);
    }

    fn opt_str(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.str(key, v);
        }
    }

    fn strs(&mut self, key: &str, values: &[String]) {
        let out = self.key(key);
        write_array(out, values, |out, v| write_str(out, v));
    }

    fn close(self) {
        self.out.push('}');
    }
}

fn write_array<T>(out: &mut String, items: &[T], mut each: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, item);
    }
    out.push(']');
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_bundle(out: &mut String, b: &ConfigBundle) {
    let mut o = Obj::open(out);
    o.str("created_at", &b.created_at);
    write_array(o.key("declarations"), &b.declarations, write_declaration);
    o.str("id", &b.id);
    {
        let out = o.key("profiles");
        out.push('{');
        // BTreeMap iterates in byte-wise key order.
        for (i, (name, profile)) in b.profiles.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(out, name);
            out.push(':');
            write_profile(out, profile);
        }
        out.push('}');
    }
    write_provenance(o.key("provenance"), &b.provenance);
    o.key("revision").push_str(&b.revision.to_string());
    o.str("workspace_id", &b.workspace_id);
    o.close();
}

fn write_provenance(out: &mut String, p: &Provenance) {
    let mut o = Obj::open(out);
    o.opt_str("author", p.author.as_deref());
    o.str("source", &p.source);
    o.close();
}

fn write_profile(out: &mut String, p: &Profile) {
    let mut o = Obj::open(out);
    o.strs("capabilities", &p.capabilities);
    o.opt_str("description", p.description.as_deref());
    write_array(o.key("plugins"), &p.plugins, write_plugin);
    o.close();
}

fn write_plugin(out: &mut String, p: &PluginEnablement) {
    let mut o = Obj::open(out);
    o.str("digest", &p.digest);
    write_array(o.key("grants"), &p.grants, write_grant);
    o.str("id", &p.id);
    if let Some(limits) = &p.limits {
        let out = o.key("limits");
        let mut l = Obj::open(out);
        for (key, value) in limits.fields() {
            if let Some(n) = value {
                l.key(key).push_str(&n.to_string());
            }
        }
        l.close();
    }
    if !p.network.is_empty() {
        o.strs("network", &p.network);
    }
    o.str("version", &p.version);
    o.close();
}

fn write_grant(out: &mut String, g: &GrantRequest) {
    let mut o = Obj::open(out);
    o.strs("exclude", &g.exclude);
    o.strs("include", &g.include);
    o.str("mount", &g.mount);
    write_array(o.key("ops"), &g.ops, |out, op| write_str(out, op.as_str()));
    o.close();
}

fn write_declaration(out: &mut String, d: &Declaration) {
    let mut o = Obj::open(out);
    o.str("kind", d.kind.as_str());
    o.str("reference", &d.reference);
    o.close();
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::bundle::tests::sample;

    /// Compact JSON with sorted keys, via serde_json: the reference the
    /// hand-written encoder must equal.
    fn sorted_compact(value: &Value) -> String {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let members: Vec<String> = keys
                    .into_iter()
                    .map(|k| {
                        format!(
                            "{}:{}",
                            serde_json::to_string(k).unwrap(),
                            sorted_compact(&map[k])
                        )
                    })
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(sorted_compact).collect();
                format!("[{}]", items.join(","))
            }
            other => serde_json::to_string(other).unwrap(),
        }
    }

    #[test]
    fn matches_sorted_serde_json() {
        let mut bundle = sample();
        bundle.provenance.author = Some("Zoë \"q\" \\ \u{1} \u{7f} tab\t".into());
        let mut value = serde_json::to_value(&bundle).unwrap();
        value.as_object_mut().unwrap().remove("digest");
        let expected = format!("{FORMAT_TAG}{}", sorted_compact(&value));
        assert_eq!(
            String::from_utf8(canonical_bytes(&bundle)).unwrap(),
            expected
        );
    }

    /// Optional enablement members (`limits`, `network`) are written like
    /// serde writes them, and only when present: a bundle without them
    /// digests exactly as before they existed.
    #[test]
    fn optional_enablement_members_match_serde_and_keep_old_digests() {
        let plain = sample();
        let mut extended = plain.clone();
        let enablement = &mut extended.profiles.get_mut("notes").unwrap().plugins[0];
        enablement.network = vec!["network:github".into()];
        enablement.limits = Some(crate::bundle::CountLimits {
            instances: Some(8),
            memories: None,
            tables: Some(2),
        });
        let mut value = serde_json::to_value(&extended).unwrap();
        value.as_object_mut().unwrap().remove("digest");
        let text = String::from_utf8(canonical_bytes(&extended)).unwrap();
        assert_eq!(text, format!("{FORMAT_TAG}{}", sorted_compact(&value)));
        assert!(
            text.contains(r#""limits":{"instances":8,"tables":2},"network":["network:github"]"#)
        );
        assert!(
            !String::from_utf8(canonical_bytes(&plain))
                .unwrap()
                .contains("limits")
        );
        assert_ne!(digest(&plain), digest(&extended));
    }

    #[test]
    fn starts_with_the_format_tag() {
        let sealed = sample();
        let bytes = canonical_bytes(&sealed);
        assert!(bytes.starts_with(b"yoi-config-bundle-v1\n{\"created_at\":"));
        let mut unsealed = sealed.clone();
        unsealed.digest.clear();
        assert_eq!(
            canonical_bytes(&unsealed),
            bytes,
            "the bundle digest is not digested"
        );
    }
}
