//! `plugin.toml`: the plugin manifest, plain data plus validation.
//!
//! Strict: unknown fields are rejected, `schema_version` must be one this
//! host reads. A manifest *requests* permissions; it never grants them —
//! grants come from the host (policy, enablement, `--grant`).
//!
//! ```toml
//! schema_version = 1
//! id = "notes"
//! name = "Notes"
//! version = "0.1.0"
//! abi = "yoi-plugin-wasm-1"
//! component = "notes.wasm"
//! description = "A journal under a granted mount"
//!
//! [[tools]]
//! name = "read"
//! description = "Read a file"
//! input_schema = { type = "object", required = ["path"], properties = { path = { type = "string" } } }
//!
//! [permissions]
//! host_apis = ["fs", "log"]
//! mounts = [{ name = "notes", ops = ["read", "list", "write"], reason = "the journal" }]
//! network = [{ url = "https://api.github.com/repos", methods = ["GET"], secrets = ["github-token"], reason = "issues" }]
//! ```
//!
//! Permissions are requests, never grants: a host grants mounts and
//! network access itself (`grant`, `net`), and `show` lists both sides.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::abi::HostApi;
use crate::diag;
use crate::grant::Operation;
use crate::names::{self, MountName, PluginName, ToolName, Version};

/// The manifest's file name inside a plugin directory or package.
pub const MANIFEST_FILE: &str = "plugin.toml";

/// The manifest schema version this host reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Largest manifest accepted, in bytes.
pub const MAX_MANIFEST_BYTES: usize = 256 * 1024;

/// A parsed `plugin.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Manifest schema version; must be [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Plugin id without source qualifier: 1–64 of `[a-z0-9_-]`, starting
    /// with a letter. The store qualifies it (`user:notes`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Exact semantic version ([`Version`]), e.g. `0.1.0`.
    pub version: String,
    /// ABI identifier, `yoi-plugin-wasm-<N>`; checked against the ABI the
    /// component itself exports (`abi-mismatch`).
    pub abi: String,
    /// Path of the component inside the plugin directory / package.
    pub component: String,
    /// What the plugin is for.
    #[serde(default)]
    pub description: String,
    /// The tools the plugin offers.
    pub tools: Vec<ToolSpec>,
    /// Requested (not granted) permissions.
    #[serde(default)]
    pub permissions: Permissions,
}

/// One tool of a plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    /// Tool name: 1–64 of `[a-z0-9_-]`.
    pub name: String,
    /// What the tool does (shown to agents).
    pub description: String,
    /// JSON Schema of the input; inputs are validated against it before a
    /// call.
    pub input_schema: Value,
    /// Optional JSON Schema of the output; when present, outputs are
    /// validated against it after the call (`output-invalid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
}

/// Requested permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// Host APIs the plugin wants to use.
    #[serde(default)]
    pub host_apis: Vec<HostApi>,
    /// Mounts the plugin asks for.
    #[serde(default)]
    pub mounts: Vec<MountRequest>,
    /// Network access the plugin asks for (`wasi:http`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<NetworkRequest>,
}

/// A requested network access: a URL prefix in the grant grammar
/// (`net::grant`), methods, and the names of secrets it expects the host
/// to inject (names only; values never appear in a manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkRequest {
    /// `scheme://host[:port][/path-prefix]`.
    pub url: String,
    /// Methods (default GET and HEAD).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Secret names the plugin expects injected.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Why (shown on review).
    #[serde(default)]
    pub reason: String,
}

/// A requested mount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MountRequest {
    /// Mount name the plugin will use as the first path segment.
    pub name: String,
    /// Operations it asks for.
    pub ops: Vec<Operation>,
    /// Why (shown on review).
    #[serde(default)]
    pub reason: String,
}

/// A manifest problem: the field, what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Not valid TOML for the manifest structure (includes unknown fields).
    #[error("plugin.toml does not parse: {0}")]
    Parse(String),
    /// A field has an invalid value.
    #[error("plugin.toml field `{field}`: {problem} (fix: {fix})")]
    Invalid {
        /// The offending field, e.g. `tools[1].name`.
        field: String,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        fix: String,
    },
}

impl crate::error::ErrorCode for ManifestError {
    fn code(&self) -> &'static str {
        match self {
            ManifestError::Parse(_) => "manifest-parse",
            ManifestError::Invalid { .. } => "manifest-invalid",
        }
    }
}

fn invalid(
    field: impl Into<String>,
    problem: impl Into<String>,
    fix: impl Into<String>,
) -> ManifestError {
    ManifestError::Invalid {
        field: field.into(),
        problem: diag::bound(&problem.into(), 200),
        fix: fix.into(),
    }
}

impl Manifest {
    /// Parses and validates manifest text.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        if text.len() > MAX_MANIFEST_BYTES {
            return Err(ManifestError::Parse(format!(
                "larger than {MAX_MANIFEST_BYTES} bytes"
            )));
        }
        let manifest: Manifest = toml::from_str(text).map_err(|e| parse_error(text, &e))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// The plugin's own name (validated by [`Manifest::parse`]).
    pub fn plugin_name(&self) -> PluginName {
        PluginName::parse(&self.id).expect("validated at parse")
    }

    /// The exact version (validated by [`Manifest::parse`]).
    pub fn version(&self) -> Version {
        Version::parse(&self.version).expect("validated at parse")
    }

    /// Checks every field rule.
    pub fn validate(&self) -> Result<(), ManifestError> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(invalid(
                "schema_version",
                format!("unsupported schema_version {}", self.schema_version),
                format!("set schema_version = {SCHEMA_VERSION}"),
            ));
        }
        if let Err(e) = PluginName::parse(&self.id) {
            return Err(invalid(
                "id",
                format!("must be {}", e.rule),
                "e.g. id = \"notes\"",
            ));
        }
        if self.name.trim().is_empty() || self.name.len() > 128 {
            return Err(invalid(
                "name",
                "must be 1-128 characters",
                "e.g. name = \"Notes\"",
            ));
        }
        if let Err(e) = Version::parse(&self.version) {
            return Err(invalid(
                "version",
                format!("must be {}", e.rule),
                "e.g. version = \"0.1.0\"",
            ));
        }
        let abi_shape = self.abi.strip_prefix("yoi-plugin-wasm-").is_some_and(|n| {
            !n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit())
        });
        if !abi_shape {
            return Err(invalid(
                "abi",
                "must be yoi-plugin-wasm-<N>",
                "set abi = \"yoi-plugin-wasm-1\"",
            ));
        }
        names::check_entry_path(&self.component).map_err(|e| {
            invalid(
                "component",
                format!("not a safe relative path ({e})"),
                "e.g. component = \"plugin.wasm\"",
            )
        })?;
        let mut texts = vec![
            ("name".to_owned(), &self.name),
            ("description".to_owned(), &self.description),
        ];
        for (i, tool) in self.tools.iter().enumerate() {
            texts.push((format!("tools[{i}].description"), &tool.description));
        }
        for (i, mount) in self.permissions.mounts.iter().enumerate() {
            texts.push((format!("permissions.mounts[{i}].reason"), &mount.reason));
        }
        for (i, net) in self.permissions.network.iter().enumerate() {
            texts.push((format!("permissions.network[{i}].reason"), &net.reason));
        }
        if let Some((field, _)) = texts.iter().find(|(_, text)| {
            text.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
        }) {
            return Err(invalid(
                field.clone(),
                "contains control characters (terminal escapes are refused)",
                "remove them",
            ));
        }
        if self.description.len() > 4096 {
            return Err(invalid(
                "description",
                "longer than 4096 bytes",
                "shorten it",
            ));
        }
        if self.tools.is_empty() {
            return Err(invalid(
                "tools",
                "no tools declared",
                "add a [[tools]] table",
            ));
        }
        let mut names = BTreeSet::new();
        for (i, tool) in self.tools.iter().enumerate() {
            let field = |f: &str| format!("tools[{i}].{f}");
            if let Err(e) = ToolName::parse(&tool.name) {
                return Err(invalid(
                    field("name"),
                    format!("must be {}", e.rule),
                    "e.g. name = \"read\"",
                ));
            }
            if !names.insert(tool.name.as_str()) {
                return Err(invalid(
                    field("name"),
                    format!("duplicate tool '{}'", tool.name),
                    "give each tool a unique name",
                ));
            }
            if tool.description.trim().is_empty() {
                return Err(invalid(
                    field("description"),
                    "empty",
                    "say what the tool does",
                ));
            }
            if let Err(e) = compile_schema(&tool.input_schema) {
                return Err(invalid(
                    field("input_schema"),
                    format!("not a valid JSON Schema: {e}"),
                    "e.g. input_schema = { type = \"object\" }",
                ));
            }
            if let Some(Err(e)) = tool.output_schema.as_ref().map(compile_schema) {
                return Err(invalid(
                    field("output_schema"),
                    format!("not a valid JSON Schema: {e}"),
                    "e.g. output_schema = { type = \"object\" }",
                ));
            }
        }
        let mut mounts = BTreeSet::new();
        for (i, mount) in self.permissions.mounts.iter().enumerate() {
            let field = |f: &str| format!("permissions.mounts[{i}].{f}");
            if let Err(e) = MountName::parse(&mount.name) {
                return Err(invalid(
                    field("name"),
                    format!("must be {}", e.rule),
                    "e.g. name = \"notes\"",
                ));
            }
            if !mounts.insert(mount.name.as_str()) {
                return Err(invalid(
                    field("name"),
                    "mount requested twice",
                    "merge the two entries",
                ));
            }
            if mount.ops.is_empty() {
                return Err(invalid(
                    field("ops"),
                    "no operations",
                    "e.g. ops = [\"read\", \"list\"]",
                ));
            }
        }
        for (i, net) in self.permissions.network.iter().enumerate() {
            let field = |f: &str| format!("permissions.network[{i}].{f}");
            let spec = crate::net::NetGrantSpec {
                url: net.url.clone(),
                methods: net.methods.clone(),
                private: false,
                inject: Vec::new(),
            };
            if let Err(e) = spec.open(&crate::secrets::SecretSources::default()) {
                return Err(invalid(
                    field("url"),
                    e.to_string(),
                    "e.g. url = \"https://api.example.com/v1\", methods = [\"GET\"]",
                ));
            }
            // The refused value is not echoed: it may be a secret itself.
            if let Some(j) = net
                .secrets
                .iter()
                .position(|n| crate::secrets::SecretName::parse(n).is_err())
            {
                return Err(invalid(
                    field(&format!("secrets[{j}]")),
                    "not a secret name",
                    "names are 1-64 of [a-z0-9._-], e.g. \"github-token\"",
                ));
            }
        }
        if !self.permissions.mounts.is_empty() && !self.permissions.host_apis.contains(&HostApi::Fs)
        {
            return Err(invalid(
                "permissions.host_apis",
                "mounts are requested but the fs API is not",
                "add \"fs\" to host_apis",
            ));
        }
        Ok(())
    }

    /// The tool named `name`.
    pub fn tool(&self, name: &str) -> Option<&ToolSpec> {
        self.tools.iter().find(|t| t.name == name)
    }
}

/// A TOML error as a [`ManifestError::Parse`]: the parser's message
/// (quoted values masked, control characters removed, bounded, as for
/// bundles) and the line and column, never the echoed source line — it
/// may hold a secret or a host path, and terminal escapes.
fn parse_error(text: &str, e: &toml::de::Error) -> ManifestError {
    let message = diag::scrub_parser_message(e.message().trim());
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            ManifestError::Parse(diag::bound(
                &format!("line {line}, column {column}: {message}"),
                400,
            ))
        }
        None => ManifestError::Parse(diag::bound(&message, 400)),
    }
}

/// A schema compiler's message made safe to show: it quotes the offending
/// schema value (masked, as parser messages are) and echoes `$ref`s and
/// pointers unquoted, so a word that looks like a secret or holds a path
/// separator is masked too.
fn schema_problem(message: &str) -> String {
    diag::scrub_parser_message(message)
        .split(' ')
        .map(|w| {
            if w.contains(['/', '\\']) || crate::secret::looks_secret_value(w) {
                "<redacted>"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Compiles a tool schema the one way the host does, at validation and at
/// load: `pattern`s use the linear-time `regex` engine, so a pattern that
/// would need backtracking (look-around, back-references) is refused
/// instead of letting an input stall validation; no remote `$ref` is
/// fetched.
pub(crate) fn compile_schema(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(schema)
        .map_err(|e| diag::bound(&schema_problem(&e.to_string()), 200))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
schema_version = 1
id = "notes"
name = "Notes"
version = "0.1.0"
abi = "yoi-plugin-wasm-1"
component = "notes.wasm"

[[tools]]
name = "read"
description = "Read a file"
input_schema = { type = "object", required = ["path"], properties = { path = { type = "string" } } }

[permissions]
host_apis = ["fs"]
mounts = [{ name = "notes", ops = ["read"] }]
"#;

    #[test]
    fn parses_a_good_manifest() {
        let m = Manifest::parse(GOOD).unwrap();
        assert_eq!(m.tools[0].name, "read");
        assert!(m.tool("read").is_some());
        assert_eq!(m.plugin_name().as_str(), "notes");
        assert_eq!(m.version().as_str(), "0.1.0");
    }

    #[test]
    fn rejections_name_the_field() {
        let cases = [
            (
                GOOD.replace("schema_version = 1", "schema_version = 2"),
                "schema_version",
            ),
            (GOOD.replace("id = \"notes\"", "id = \"Notes!\""), "id"),
            (
                GOOD.replace("abi = \"yoi-plugin-wasm-1\"", "abi = \"wasm-1\""),
                "abi",
            ),
            (
                GOOD.replace("version = \"0.1.0\"", "version = \"1.0\""),
                "version",
            ),
            (
                GOOD.replace(
                    "component = \"notes.wasm\"",
                    "component = \"../notes.wasm\"",
                ),
                "component",
            ),
            (
                GOOD.replace("{ type = \"object\", required", "{ type = 7, required"),
                "tools[0].input_schema",
            ),
            (
                GOOD.replace("host_apis = [\"fs\"]", "host_apis = []"),
                "permissions.host_apis",
            ),
        ];
        for (text, field) in cases {
            match Manifest::parse(&text) {
                Err(ManifestError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        // A pattern that needs backtracking is refused at validation.
        let backtracking = GOOD.replace(
            "path = { type = \"string\" }",
            "path = { type = \"string\", pattern = \"^(?=(a+)+b)\" }",
        );
        match Manifest::parse(&backtracking) {
            Err(ManifestError::Invalid { field, .. }) => assert_eq!(field, "tools[0].input_schema"),
            other => panic!("{other:?}"),
        }
        let linear = GOOD.replace(
            "path = { type = \"string\" }",
            "path = { type = \"string\", pattern = \"^(a+)+$\" }",
        );
        let m = Manifest::parse(&linear).unwrap();
        let v = compile_schema(&m.tools[0].input_schema).unwrap();
        let evil = serde_json::json!({ "path": format!("{}!", "a".repeat(5000)) });
        assert!(!v.is_valid(&evil));
        let escape = GOOD.replace("name = \"Notes\"", "name = \"Notes\\u001b]0;pwned\\u0007\"");
        match Manifest::parse(&escape) {
            Err(ManifestError::Invalid { field, .. }) => assert_eq!(field, "name"),
            other => panic!("{other:?}"),
        }
        let unknown = GOOD.replace("name = \"Notes\"", "name = \"Notes\"\nsurprise = true");
        let err = Manifest::parse(&unknown).unwrap_err();
        assert!(err.to_string().contains("surprise"), "{err}");
    }
}
