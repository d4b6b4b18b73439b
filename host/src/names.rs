//! Names: one type per concept, one rule per type.
//!
//! Every name that crosses a boundary (a manifest, the store, a grant, a
//! bundle, the policy file, a worker request) is parsed into one of these
//! types by the one function that holds its rule. Nothing else in the
//! crate re-states a rule.
//!
//! | type | rule | example |
//! |---|---|---|
//! | [`PluginName`] | 1–64 of `[a-z0-9_-]`, starting with a letter | `notes` |
//! | [`PluginId`] | `<source>:<name>`, source `builtin`, `user` or `project` | `user:notes` |
//! | [`Version`] | an exact semantic version (semver 2.0), at most 64 bytes | `0.1.0` |
//! | [`Digest`] | SHA-256, 64 lowercase hex | `9f86d0…` |
//! | [`MountName`] | 1–64 of `[a-z0-9._-]`, not starting with `.` | `notes` |
//! | [`ToolName`] | 1–64 of `[a-z0-9_-]`, starting with a letter | `read` |
//!
//! A config bundle can therefore never pin a plugin id the store cannot
//! hold: both parse it with [`PluginId::parse`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a name was refused: which kind of name, and the rule it breaks.
/// The offending text is not kept (it may be anything a client sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {rule}")]
pub struct NameError {
    /// What was being parsed, e.g. `plugin id`.
    pub kind: &'static str,
    /// The rule, e.g. `1-64 of [a-z0-9_-], starting with a letter`.
    pub rule: &'static str,
}

impl crate::error::ErrorCode for NameError {
    fn code(&self) -> &'static str {
        "invalid-name"
    }
}

const NAME_RULE: &str = "1-64 of [a-z0-9_-], starting with a letter";

fn lower_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

macro_rules! string_name {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $rule:expr, $check:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses `text` by this name's rule.
            pub fn parse(text: &str) -> Result<Self, NameError> {
                let check: fn(&str) -> bool = $check;
                if check(text) {
                    Ok($name(text.to_owned()))
                } else {
                    Err(NameError { kind: $kind, rule: $rule })
                }
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                $name::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_name!(
    /// A plugin's own name, as `plugin.toml` declares it (`id = "notes"`).
    PluginName,
    "plugin name",
    NAME_RULE,
    lower_name
);

string_name!(
    /// A tool's name within its plugin.
    ToolName,
    "tool name",
    NAME_RULE,
    lower_name
);

string_name!(
    /// The name a guest uses as the first segment of its paths.
    MountName,
    "mount name",
    "1-64 of [a-z0-9._-], not starting with '.'",
    |s| {
        !s.is_empty()
            && s.len() <= 64
            && !s.starts_with('.')
            && s
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    }
);

string_name!(
    /// A SHA-256 digest as 64 lowercase hex characters.
    Digest,
    "digest",
    "64 lowercase hex characters (SHA-256)",
    |s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
);

string_name!(
    /// An exact semantic version (`0.1.0`, `1.2.3-rc.1+build.5`). Ranges
    /// (`^1`, `>=1`), a leading `v` and whitespace are refused.
    Version,
    "version",
    "an exact semantic version such as 0.1.0",
    |s| s.len() <= 64 && semver::Version::parse(s).is_ok()
);

impl Digest {
    /// The SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        use sha2::Digest as _;
        Digest(hex::encode(sha2::Sha256::digest(bytes)))
    }

    /// A digest from a finished SHA-256 hasher.
    pub fn from_hasher(hasher: sha2::Sha256) -> Digest {
        use sha2::Digest as _;
        Digest(hex::encode(hasher.finalize()))
    }

    /// The first 12 characters, for display.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

/// Where an installed plugin comes from: the qualifier of its [`PluginId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// Shipped with the host.
    Builtin,
    /// Installed by the user.
    User,
    /// Installed for a project.
    Project,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 3] = [Source::Builtin, Source::User, Source::Project];

    /// The qualifier text.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Builtin => "builtin",
            Source::User => "user",
            Source::Project => "project",
        }
    }

    /// Parses a qualifier.
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|src| src.as_str() == s)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A source-qualified plugin id, `<source>:<name>` (`user:notes`): how the
/// store, enablements, bundles and workers name an installed plugin.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PluginId {
    source: Source,
    name: PluginName,
}

impl PluginId {
    /// The id of `name` installed under `source`.
    pub fn new(source: Source, name: PluginName) -> PluginId {
        PluginId { source, name }
    }

    /// Parses `<source>:<name>`.
    pub fn parse(text: &str) -> Result<PluginId, NameError> {
        let bad = NameError {
            kind: "plugin id",
            rule: "<source>:<name>, source builtin, user or project, name 1-64 of [a-z0-9_-] starting with a letter",
        };
        let (source, name) = text.split_once(':').ok_or(bad)?;
        let source = Source::parse(source).ok_or(bad)?;
        let name = PluginName::parse(name).map_err(|_| bad)?;
        Ok(PluginId { source, name })
    }

    /// The source.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The plugin's own name.
    pub fn name(&self) -> &PluginName {
        &self.name
    }
}

impl fmt::Display for PluginId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.name)
    }
}

impl FromStr for PluginId {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        PluginId::parse(s)
    }
}

impl Serialize for PluginId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PluginId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        PluginId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why a relative file path inside a package is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EntryPathError {
    /// Starts with `/` or a drive prefix (`C:`).
    #[error("absolute path")]
    Absolute,
    /// Has a `..` segment.
    #[error("'..' segment")]
    ParentTraversal,
    /// Has an empty segment (`a//b`, trailing `/`).
    #[error("empty segment")]
    EmptySegment,
    /// Empty, too long, a `.` segment, a backslash or a control character.
    #[error("invalid path")]
    Invalid,
}

impl crate::error::ErrorCode for EntryPathError {
    fn code(&self) -> &'static str {
        match self {
            EntryPathError::Absolute => "absolute-path",
            EntryPathError::ParentTraversal => "parent-traversal",
            EntryPathError::EmptySegment => "empty-segment",
            EntryPathError::Invalid => "invalid-path",
        }
    }
}

/// Longest path of a file inside a package, in bytes.
pub const MAX_ENTRY_PATH_BYTES: usize = 255;

/// Checks a path of a file inside a package (`plugin.toml`,
/// `bin/notes.wasm`): relative, `/`-separated, no empty / `.` / `..`
/// segments, no backslash, control character or drive prefix, at most
/// [`MAX_ENTRY_PATH_BYTES`]. The manifest's `component` and every archive
/// entry follow this one rule.
pub fn check_entry_path(path: &str) -> Result<(), EntryPathError> {
    if path.is_empty()
        || path.len() > MAX_ENTRY_PATH_BYTES
        || path.contains('\\')
        || path.chars().any(char::is_control)
    {
        return Err(EntryPathError::Invalid);
    }
    let b = path.as_bytes();
    if path.starts_with('/') || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':') {
        return Err(EntryPathError::Absolute);
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err(EntryPathError::EmptySegment),
            ".." => return Err(EntryPathError::ParentTraversal),
            "." => return Err(EntryPathError::Invalid),
            _ => {}
        }
    }
    Ok(())
}

/// Longest include/exclude glob pattern, in bytes.
pub const MAX_PATTERN_BYTES: usize = 256;

/// Why an include/exclude glob pattern is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Looks like a host-local path (leading `/` or `~`, `\`, `..`).
    #[error("looks like a path")]
    PathLike,
    /// Looks like a secret value.
    #[error("looks like a secret value")]
    SecretLike,
    /// Breaks a shape rule; the text says which.
    #[error("{0}")]
    Invalid(&'static str),
}

/// The one rule for an include/exclude glob over paths inside a mount
/// (grants, host policies and bundles): 1–256 bytes, no control characters,
/// relative (no leading `/` or `~`), no `\`, no `..`, `.` or empty segment
/// (so no trailing `/`), not secret-shaped, a valid glob. A pattern breaking
/// the shape rules could never match an inner path, so it would silently
/// exclude or include nothing.
pub fn check_pattern(s: &str) -> Result<(), PatternError> {
    if s.is_empty() || s.len() > MAX_PATTERN_BYTES {
        return Err(PatternError::Invalid("patterns are 1-256 bytes"));
    }
    if s.chars().any(char::is_control) {
        return Err(PatternError::Invalid("must not contain control characters"));
    }
    if s.starts_with(['/', '~']) || s.contains('\\') || s.split('/').any(|seg| seg == "..") {
        return Err(PatternError::PathLike);
    }
    if s.split('/').any(|seg| seg == "." || seg.is_empty()) {
        return Err(PatternError::Invalid(
            "patterns have no '.' or empty segments",
        ));
    }
    if crate::secret::secret_shaped(s) {
        return Err(PatternError::SecretLike);
    }
    if globset::Glob::new(s).is_err() {
        return Err(PatternError::Invalid("not a valid glob pattern"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_ids() {
        assert_eq!(
            PluginId::parse("user:notes").unwrap().to_string(),
            "user:notes"
        );
        for bad in [
            "notes",
            "evil:notes",
            "user:",
            "user:../x",
            "user:Notes",
            "user:a/b",
            "user:a.b",
            "user:1abc",
            "user:notes:x",
        ] {
            assert!(PluginId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_are_exact_semver() {
        for ok in ["0.1.0", "1.2.3-rc.1+build.5", "10.20.30"] {
            assert!(Version::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "1", "1.2", "v1.2.3", "^1.2.3", ">=1.0.0", "1.0.0 ", "01.0.0",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mounts_tools_digests() {
        assert!(MountName::parse("notes.v2").is_ok());
        for bad in ["", ".hidden", "a/b", "A", &"m".repeat(65)] {
            assert!(MountName::parse(bad).is_err(), "{bad}");
        }
        assert!(ToolName::parse("count_lines").is_ok());
        assert!(ToolName::parse("Count").is_err());
        let d = Digest::of(b"abc");
        assert_eq!(Digest::parse(d.as_str()).unwrap(), d);
        assert!(Digest::parse(&d.as_str().to_uppercase()).is_err());
        assert_eq!(d.short().len(), 12);
    }

    #[test]
    fn serde_round_trips_and_refuses() {
        let id: PluginId = serde_json::from_str("\"project:grep\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"project:grep\"");
        assert!(serde_json::from_str::<PluginId>("\"x:grep\"").is_err());
        assert!(serde_json::from_str::<Version>("\"1\"").is_err());
    }
}
