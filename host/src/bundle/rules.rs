//! The text rules every bundle value is checked against: path-safe
//! identifiers, reference tokens, labels, free text, versions, plugin ids,
//! mount names, glob patterns and timestamps — plus the two detectors that
//! keep secrets and host-local paths out of bundles.
//!
//! # Secret-like values
//!
//! Checked by the crate's one heuristic, [`crate::secret`].
//!
//! # Path-like values
//!
//! [`looks_path_like`] is true when the text contains `/` or `\`, starts
//! with `.` or `~`, contains `..`, or is a bare drive (`C:`; `C:\x` has a `\`).
//! Reference tokens are also path-like when they end with an extension of
//! a runtime-local file: `.sock`, `.socket`, `.jsonl`, `.db`, `.sqlite`,
//! `.sqlite3`, `.pid`, `.lock`, `.log`, `.tmp`, `.pem`, `.key`.

use std::fmt;

pub use crate::secret::looks_secret_value;
use crate::secret::secret_shaped;

/// Why a value was refused, before it is tied to a field location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// Looks like a host-local path.
    PathLike,
    /// Looks like a secret value.
    SecretLike,
    /// Breaks a shape rule; the text says which.
    Invalid(&'static str),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::PathLike => f.write_str("looks like a path"),
            Rejection::SecretLike => f.write_str("looks like a secret value"),
            Rejection::Invalid(reason) => f.write_str(reason),
        }
    }
}

/// Longest identifier (bundle id, workspace id, profile name), in bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 128;
/// Longest reference token (after the kind prefix), in bytes.
pub const MAX_TOKEN_BYTES: usize = 128;
/// Longest provenance label, in bytes.
pub const MAX_LABEL_BYTES: usize = 128;
/// Longest free-text description, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 512;
/// Longest include/exclude pattern, in bytes.
pub use crate::names::MAX_PATTERN_BYTES;

const RUNTIME_FILE_EXTENSIONS: [&str; 12] = [
    ".sock", ".socket", ".jsonl", ".db", ".sqlite", ".sqlite3", ".pid", ".lock", ".log", ".tmp",
    ".pem", ".key",
];

/// Whether `text` looks like a filesystem path (see the module docs).
pub fn looks_path_like(text: &str) -> bool {
    let b = text.as_bytes();
    let drive = b.len() == 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    text.contains(['/', '\\']) || text.starts_with(['.', '~']) || text.contains("..") || drive
}

fn runtime_file_extension(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    RUNTIME_FILE_EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

fn id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._-".contains(&b)
}

/// Whether `s` is a path-safe identifier: 1–128 of `[A-Za-z0-9._-]`, not
/// starting with `.`, no `..`, and not secret-like. Bundle ids, workspace
/// ids and profile names follow this rule; it makes `s` safe as one file
/// name and one URL path segment.
pub fn is_identifier(s: &str) -> bool {
    identifier(s).is_ok()
}

/// Checks an identifier (see [`is_identifier`]).
pub(crate) fn identifier(s: &str) -> Result<(), Rejection> {
    if s.is_empty() {
        return Err(Rejection::Invalid("must not be empty"));
    }
    if looks_path_like(s) {
        return Err(Rejection::PathLike);
    }
    if looks_secret_value(s) {
        return Err(Rejection::SecretLike);
    }
    if !s.bytes().all(id_char) {
        return Err(Rejection::Invalid("use only [A-Za-z0-9._-]"));
    }
    if s.len() > MAX_IDENTIFIER_BYTES {
        return Err(Rejection::Invalid("longer than 128 bytes"));
    }
    Ok(())
}

/// Checks the token of a reference (the part after `kind:`): the
/// identifier rule plus the runtime-file-extension rule.
pub(crate) fn reference_token(token: &str) -> Result<(), Rejection> {
    identifier(token)?;
    if runtime_file_extension(token) {
        return Err(Rejection::PathLike);
    }
    Ok(())
}

/// Checks a mount name by the one rule, [`crate::names::MountName`], and
/// refuses secret-like names.
pub(crate) fn mount_name(s: &str) -> Result<(), Rejection> {
    if looks_path_like(s) {
        return Err(Rejection::PathLike);
    }
    if let Err(e) = crate::names::MountName::parse(s) {
        return Err(Rejection::Invalid(e.rule));
    }
    if looks_secret_value(s) {
        return Err(Rejection::SecretLike);
    }
    Ok(())
}

/// Checks a source-qualified plugin id by the store's own rule,
/// [`crate::names::PluginId`]: a bundle can never pin an id the store
/// cannot hold.
pub(crate) fn plugin_id(s: &str) -> Result<(), Rejection> {
    if looks_path_like(s) {
        return Err(Rejection::PathLike);
    }
    if looks_secret_value(s) {
        return Err(Rejection::SecretLike);
    }
    crate::names::PluginId::parse(s)
        .map(drop)
        .map_err(|e| Rejection::Invalid(e.rule))
}

/// Checks an exact plugin version by the one rule,
/// [`crate::names::Version`].
pub(crate) fn version(s: &str) -> Result<(), Rejection> {
    crate::names::Version::parse(s)
        .map(drop)
        .map_err(|e| Rejection::Invalid(e.rule))
}

/// Checks a provenance label (`source`, `author`): 1–128 bytes of
/// `[A-Za-z0-9._:@+ -]`, no leading or trailing space, not path-like and
/// not secret-like.
pub(crate) fn label(s: &str) -> Result<(), Rejection> {
    if s.is_empty() {
        return Err(Rejection::Invalid("must not be empty"));
    }
    if s.contains(['/', '\\']) || s.starts_with(['.', '~']) || s.contains("..") {
        return Err(Rejection::PathLike);
    }
    if looks_secret_value(s) {
        return Err(Rejection::SecretLike);
    }
    let ok = s.len() <= MAX_LABEL_BYTES
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:@+ -".contains(&b))
        && !s.starts_with(' ')
        && !s.ends_with(' ');
    if ok {
        Ok(())
    } else {
        Err(Rejection::Invalid(
            "labels are 1-128 of [A-Za-z0-9._:@+ -] without leading or trailing space",
        ))
    }
}

/// Checks free text (a profile description): at most 512 bytes, no
/// control characters, no word that is path-like (starts with `/`, `~`,
/// `./`, `../`; contains `\`; starts with `.` and contains `/`; has three
/// or more `/`-separated segments; or has a segment after the first that
/// starts with `.`) and no word that is secret-shaped (rules 1, 3, 4).
pub(crate) fn free_text(s: &str) -> Result<(), Rejection> {
    if s.len() > MAX_DESCRIPTION_BYTES {
        return Err(Rejection::Invalid("longer than 512 bytes"));
    }
    if s.chars().any(char::is_control) {
        return Err(Rejection::Invalid("must not contain control characters"));
    }
    for word in s.split_whitespace() {
        let word = word.trim_matches(|c: char| "()[]{}<>,;:'\"!?`".contains(c));
        if secret_shaped(word) {
            return Err(Rejection::SecretLike);
        }
        let segments: Vec<&str> = word.split('/').collect();
        let path_like = word.starts_with(['/', '~'])
            || word.contains('\\')
            || (word.starts_with('.') && word.contains('/'))
            || segments.len() >= 3
            || segments.iter().skip(1).any(|s| s.starts_with('.'));
        if path_like {
            return Err(Rejection::PathLike);
        }
    }
    Ok(())
}

/// Checks an include/exclude glob over paths inside a mount: the one
/// pattern rule, [`crate::names::check_pattern`].
pub(crate) fn pattern(s: &str) -> Result<(), Rejection> {
    crate::names::check_pattern(s).map_err(|e| match e {
        crate::names::PatternError::PathLike => Rejection::PathLike,
        crate::names::PatternError::SecretLike => Rejection::SecretLike,
        crate::names::PatternError::Invalid(why) => Rejection::Invalid(why),
    })
}

/// Whether `s` is an RFC 3339 UTC timestamp of the exact shape
/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` with valid calendar ranges (leap years
/// and a leap second `:60` accepted). Offsets other than `Z` are refused so
/// one instant has one spelling.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || b.last() != Some(&b'Z') {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    };
    let seps = b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':';
    let fields = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    );
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = fields
    else {
        return false;
    };
    let fraction = &b[19..b.len() - 1];
    let fraction_ok = fraction.is_empty()
        || (fraction[0] == b'.'
            && (2..=10).contains(&fraction.len())
            && fraction[1..].iter().all(u8::is_ascii_digit));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    seps && fraction_ok
        && (1..=days_in_month).contains(&day)
        && hour <= 23
        && minute <= 59
        && second <= 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_detector() {
        for s in [
            "password=hunter2",
            "hunter2-secret-value",
            "db-password",
            "ghp_0123456789abcdefghij",
            "sk-live-abc",
            "AKIAIOSFODNN7EXAMPLE",
            "xoxb-123-456",
            "aB3dE5gH7jK9mN1pQ3rS5tU7",
            "0123456789abcdef0123456789abcdef",
            "eyJhbGciOiJIUzI1NiJ9",
        ] {
            assert!(looks_secret_value(s), "{s}");
        }
        for s in [
            "github-token",
            "github_token",
            "notes",
            "api.github.com",
            "openai-api-key",
            "task-runner",
            "averyveryverylongsimplelowercaseword",
        ] {
            assert!(!looks_secret_value(s), "{s}");
        }
    }

    #[test]
    fn identifiers() {
        for ok in ["team-a", "bundle_1", "A.b-c", "x"] {
            assert!(is_identifier(ok), "{ok}");
        }
        assert_eq!(identifier(""), Err(Rejection::Invalid("must not be empty")));
        for bad in [".", "..", ".hidden", "a/b", "a\\b", "a..b", "~x", "C:"] {
            assert_eq!(identifier(bad), Err(Rejection::PathLike), "{bad}");
        }
        for bad in ["a b", "a?b", "a&b", "a#b", "a%b", "é", "a:b"] {
            assert!(
                matches!(identifier(bad), Err(Rejection::Invalid(_))),
                "{bad}"
            );
        }
        assert_eq!(identifier("a=b"), Err(Rejection::SecretLike));
        assert!(identifier(&"a".repeat(128)).is_ok());
        assert!(identifier(&"a".repeat(129)).is_err());
    }

    #[test]
    fn tokens_refuse_runtime_files() {
        for bad in ["agent.sock", "session.jsonl", "state.db", "id.key"] {
            assert_eq!(reference_token(bad), Err(Rejection::PathLike), "{bad}");
        }
        assert!(reference_token("fs.read").is_ok());
    }

    #[test]
    fn plugin_ids_versions_mounts() {
        for ok in ["user:notes", "builtin:hello", "project:x", "project:a-b_1"] {
            assert!(plugin_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "notes",
            ":notes",
            "user:",
            "User:notes",
            "user:Notes",
            "user:.x",
            "a:b:c",
            // Ids the store can never hold are refused here too.
            "workspace:notes",
            "user:a.b",
            "user:1abc",
        ] {
            assert!(plugin_id(bad).is_err(), "{bad}");
        }
        assert_eq!(plugin_id("user:../x"), Err(Rejection::PathLike));
        assert!(version("0.1.0").is_ok());
        assert!(version("1.0.0-rc.1+build.5").is_ok());
        for bad in ["", " 1.0", "1.0 ", "^1.0", ">=1", "1 .0"] {
            assert!(version(bad).is_err(), "{bad}");
        }
        assert!(mount_name("notes").is_ok());
        for bad in ["", ".x", "Notes", "a/b", &"a".repeat(65)] {
            assert!(mount_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn labels_and_free_text() {
        assert!(label("yoi-plugin bundle create").is_ok());
        assert!(label("alice@example.com").is_ok());
        assert_eq!(label("/home/alice"), Err(Rejection::PathLike));
        assert_eq!(label("password hunter2"), Err(Rejection::SecretLike));
        assert!(label(" x").is_err());
        assert!(free_text("Read/write access to the notes; stores passwords? no.").is_ok());
        for bad in [
            "see /srv/notes",
            "at ~/x",
            "in .cache/yoi",
            "pods/foo/sock",
            "a\\b",
        ] {
            assert_eq!(free_text(bad), Err(Rejection::PathLike), "{bad}");
        }
        assert_eq!(free_text("token=abc"), Err(Rejection::SecretLike));
        assert!(free_text("a\nb").is_err());
    }

    #[test]
    fn patterns() {
        for ok in ["journal/**", "**/*.md", "todo.md", "pods/foo/sock"] {
            assert!(pattern(ok).is_ok(), "{ok}");
        }
        for bad in ["/etc/**", "~/x", "a/../b", "a\\b"] {
            assert_eq!(pattern(bad), Err(Rejection::PathLike), "{bad}");
        }
        for bad in ["", "a//b", "./a", "a/[", "a\u{0}"] {
            assert!(matches!(pattern(bad), Err(Rejection::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn timestamps() {
        for ok in [
            "2026-06-25T16:44:57Z",
            "2026-06-25T16:44:57.123Z",
            "2024-02-29T00:00:00.000000001Z",
            "2016-12-31T23:59:60Z",
        ] {
            assert!(is_timestamp(ok), "{ok}");
        }
        for bad in [
            "",
            "2026-06-25",
            "2026-06-25T16:44:57",
            "2026-06-25T16:44:57+00:00",
            "2026-06-25 16:44:57Z",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-06-31T00:00:00Z",
            "2026-06-25T24:00:00Z",
            "2026-06-25T16:44:57.Z",
            "2026-06-25T16:44:57.1234567890Z",
            "2026-06-25t16:44:57z",
            "+026-06-25T16:44:57Z",
        ] {
            assert!(!is_timestamp(bad), "{bad}");
        }
    }
}
