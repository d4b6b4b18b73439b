//! Secrets by reference: a name (`secret:NAME` in bundles, `NAME` in
//! grants) maps to a host-side source, and the value is read on the host
//! only. A guest never sees a value: the host injects it into a request it
//! sends on the guest's behalf (`net`).
//!
//! The rules, in one place:
//!
//! - a [`SecretName`] is 1–64 of `[a-z0-9._-]`, not starting with `.`;
//! - a [`SecretSource`] is an environment variable, a file (its content,
//!   without one trailing newline), or a literal from the host policy;
//! - a value is 1–8 KiB of visible ASCII, space or tab (it must be a valid
//!   HTTP header value), else `secret-invalid`;
//! - a [`SecretValue`] prints as `[redacted]` in `Debug` and `Display`,
//!   and no error here carries a value, a variable's content or a path.
//!
//! (`secret.rs` is a different concern: the heuristic that refuses
//! secret-*looking* values where only references belong.)

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::ErrorCode;

/// Largest secret value, in bytes.
pub const MAX_SECRET_BYTES: usize = 8 * 1024;

/// Why a secret cannot be named or resolved. Never carries a value or a
/// host path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The name breaks the name rule.
    #[error("invalid secret name: use 1-64 of [a-z0-9._-], not starting with '.'")]
    InvalidName,
    /// A source is not `env:VAR` or `file:/absolute/path`.
    #[error("invalid secret source: use env:VAR or file:/absolute/path")]
    InvalidSource,
    /// No source is configured for this name.
    #[error("secret '{0}' is not configured on this host")]
    NotConfigured(String),
    /// The source exists in the configuration but cannot be read now.
    #[error("secret '{name}' is unavailable ({why})")]
    Unavailable {
        /// The secret.
        name: String,
        /// `environment variable not set`, or an I/O error kind.
        why: String,
    },
    /// The value is empty, too large, or not a valid header value.
    #[error(
        "secret '{0}' has an invalid value (1-8192 bytes of visible ASCII, space or tab required)"
    )]
    Invalid(String),
}

impl ErrorCode for SecretError {
    fn code(&self) -> &'static str {
        match self {
            SecretError::InvalidName => "invalid-secret-name",
            SecretError::InvalidSource => "invalid-secret-source",
            SecretError::NotConfigured(_) => "secret-not-configured",
            SecretError::Unavailable { .. } => "secret-unavailable",
            SecretError::Invalid(_) => "secret-invalid",
        }
    }
}

/// A validated secret name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretName(String);

impl SecretName {
    /// Parses a name (without the `secret:` prefix).
    pub fn parse(name: &str) -> Result<SecretName, SecretError> {
        let ok = (1..=64).contains(&name.len())
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        ok.then(|| SecretName(name.to_owned()))
            .ok_or(SecretError::InvalidName)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a secret's value lives on the host.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable of the host process.
    Env(String),
    /// A file's content (one trailing newline removed).
    File(PathBuf),
    /// A literal, from a host-local policy file.
    Literal(SecretValue),
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(var) => write!(f, "Env({var})"),
            SecretSource::File(_) => f.write_str("File([host path])"),
            SecretSource::Literal(_) => f.write_str("Literal([redacted])"),
        }
    }
}

impl SecretSource {
    /// Parses the CLI form: `env:VAR` or `file:PATH`.
    pub fn parse_cli(text: &str) -> Option<SecretSource> {
        if let Some(var) = text.strip_prefix("env:") {
            let ok = !var.is_empty() && var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            return ok.then(|| SecretSource::Env(var.to_owned()));
        }
        let path = PathBuf::from(text.strip_prefix("file:")?);
        path.is_absolute().then_some(SecretSource::File(path))
    }

    /// Reads the value now.
    pub fn resolve(&self, name: &SecretName) -> Result<SecretValue, SecretError> {
        let unavailable = |why: String| SecretError::Unavailable {
            name: name.to_string(),
            why,
        };
        let text = match self {
            SecretSource::Literal(value) => return Ok(value.clone()),
            SecretSource::Env(var) => std::env::var(var)
                .map_err(|_| unavailable("environment variable not set".into()))?,
            SecretSource::File(path) => {
                let bytes = read_bounded(path).map_err(|e| unavailable(format!("{}", e.kind())))?;
                String::from_utf8(bytes).map_err(|_| SecretError::Invalid(name.to_string()))?
            }
        };
        let text = text.strip_suffix('\n').unwrap_or(&text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        SecretValue::new(text).ok_or_else(|| SecretError::Invalid(name.to_string()))
    }
}

fn read_bounded(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_SECRET_BYTES as u64 + 2)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A secret value: host-side only, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(Arc<str>);

impl SecretValue {
    /// A value, if it fits the value rule (see the module documentation).
    pub fn new(text: &str) -> Option<SecretValue> {
        let ok = (1..=MAX_SECRET_BYTES).contains(&text.len())
            && text
                .bytes()
                .all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
        ok.then(|| SecretValue(Arc::from(text)))
    }

    /// The value, for injection into a request. The only way to read it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where this host's secrets come from, by name.
#[derive(Debug, Clone, Default)]
pub struct SecretSources {
    sources: BTreeMap<SecretName, SecretSource>,
}

impl SecretSources {
    /// Adds (or replaces) a source.
    pub fn insert(&mut self, name: SecretName, source: SecretSource) {
        self.sources.insert(name, source);
    }

    /// Parses the CLI form `NAME=env:VAR` or `NAME=file:/abs/path`.
    pub fn insert_cli(&mut self, text: &str) -> Result<(), SecretError> {
        let (name, source) = text.split_once('=').ok_or(SecretError::InvalidSource)?;
        let name = SecretName::parse(name)?;
        let source = SecretSource::parse_cli(source).ok_or(SecretError::InvalidSource)?;
        self.insert(name, source);
        Ok(())
    }

    /// Reads a secret's value now.
    pub fn resolve(&self, name: &SecretName) -> Result<SecretValue, SecretError> {
        self.sources
            .get(name)
            .ok_or_else(|| SecretError::NotConfigured(name.to_string()))?
            .resolve(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rule() {
        for ok in ["gh-token", "a", "svc.key_2"] {
            assert!(SecretName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".hidden", "Upper", "a b", "a/b", "a:b", &"x".repeat(65)] {
            assert_eq!(
                SecretName::parse(bad),
                Err(SecretError::InvalidName),
                "{bad}"
            );
        }
    }

    #[test]
    fn values_never_print_and_errors_carry_no_value() {
        let name = SecretName::parse("tok").unwrap();
        let value = SecretSource::Literal(SecretValue::new("s3cr3t-VALUE").unwrap())
            .resolve(&name)
            .unwrap();
        assert_eq!(format!("{value} {value:?}"), "[redacted] [redacted]");
        assert_eq!(value.expose(), "s3cr3t-VALUE");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tok");
        std::fs::write(&file, "line1\nline2-s3cr3t\n").unwrap();
        let err = SecretSource::File(file.clone()).resolve(&name).unwrap_err();
        assert_eq!(err.code(), "secret-invalid");
        let shown = format!("{err} {err:?} {:?}", SecretSource::File(file));
        assert!(!shown.contains("s3cr3t") && !shown.contains(dir.path().to_str().unwrap()));
        std::fs::write(dir.path().join("ok"), "v-1\n").unwrap();
        let ok = SecretSource::File(dir.path().join("ok")).resolve(&name);
        assert_eq!(ok.unwrap().expose(), "v-1");
        let missing = SecretSource::Env("YOI_TEST_SURELY_UNSET_VAR".into()).resolve(&name);
        assert_eq!(missing.unwrap_err().code(), "secret-unavailable");
        assert!(SecretValue::new("").is_none());
        assert!(SecretValue::new("a\nb").is_none());
        assert!(SecretValue::new(&"x".repeat(MAX_SECRET_BYTES + 1)).is_none());
    }

    #[test]
    fn cli_sources_parse_strictly() {
        assert_eq!(
            SecretSource::parse_cli("env:GH_TOKEN"),
            Some(SecretSource::Env("GH_TOKEN".into()))
        );
        assert!(SecretSource::parse_cli("file:/run/secrets/x").is_some());
        for bad in ["env:", "env:A-B", "file:relative", "value:x", "GH_TOKEN"] {
            assert!(SecretSource::parse_cli(bad).is_none(), "{bad}");
        }
    }
}
