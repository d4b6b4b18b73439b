//! Errors of building, parsing and validating a config bundle.
//!
//! Every message is bounded and names *where* a rule was broken (a field
//! location such as `profiles.dev.plugins[0].grants[1].mount`), never the
//! rejected value itself: a value refused as secret-like or path-like must
//! not travel further inside the error that refused it.

use crate::diag;

/// Why a config bundle (or a bundle reference) is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The bundle id is not a path-safe identifier.
    #[error("invalid bundle id at '{field}': {reason}")]
    InvalidBundleId {
        /// Where the id was found (`id`, `bundle.id`, …).
        field: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// A digest is not 64 lowercase hex characters.
    #[error("invalid digest at '{field}': expected 64 lowercase hex characters")]
    InvalidDigest {
        /// Where the digest was found.
        field: String,
    },
    /// The bundle's `digest` does not match its canonical content.
    #[error("digest mismatch: the bundle says {claimed}…, its content hashes to {actual}…")]
    DigestMismatch {
        /// First 12 characters of the digest the bundle claims.
        claimed: String,
        /// First 12 characters of the digest of its content.
        actual: String,
    },
    /// A declaration or capability reference is malformed.
    #[error("invalid reference at '{field}': {reason}")]
    InvalidReference {
        /// Where the reference was found.
        field: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// A value looks like a secret (a credential, a password, an
    /// assignment). The value is deliberately not part of the message.
    #[error(
        "value at '{field}' looks like a secret value; bundles carry secret references (secret:<name>), never values"
    )]
    SecretLike {
        /// Where the value was found.
        field: String,
    },
    /// A value looks like a host-local path (socket, session, cache or
    /// mount path). The value is deliberately not part of the message.
    #[error(
        "value at '{field}' looks like a filesystem path; bundles never carry host-local paths"
    )]
    PathLike {
        /// Where the value was found.
        field: String,
    },
    /// `created_at` is not an RFC 3339 UTC timestamp.
    #[error("invalid timestamp at '{field}': expected YYYY-MM-DDTHH:MM:SS[.fraction]Z")]
    InvalidTimestamp {
        /// Where the timestamp was found.
        field: String,
    },
    /// Any other field rule.
    #[error("invalid field '{field}': {reason}")]
    InvalidField {
        /// Where the value was found.
        field: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// The same entry appears twice where entries must be unique.
    #[error("duplicate entry at '{field}'")]
    Duplicate {
        /// Where the second occurrence was found.
        field: String,
    },
    /// A count or size bound was exceeded.
    #[error("'{field}' is above its bound of {max}")]
    TooLarge {
        /// What was too large.
        field: String,
        /// The bound.
        max: usize,
    },
    /// The JSON text is not a bundle (syntax, unknown field, wrong type).
    #[error("malformed bundle JSON: {0}")]
    Malformed(String),
}

impl crate::error::ErrorCode for BundleError {
    fn code(&self) -> &'static str {
        match self {
            BundleError::InvalidBundleId { .. } => "invalid-bundle-id",
            BundleError::InvalidDigest { .. } => "invalid-digest",
            BundleError::DigestMismatch { .. } => "digest-mismatch",
            BundleError::InvalidReference { .. } => "invalid-reference",
            BundleError::SecretLike { .. } => "secret-like-value",
            BundleError::PathLike { .. } => "path-like-value",
            BundleError::InvalidTimestamp { .. } => "invalid-timestamp",
            BundleError::InvalidField { .. } => "invalid-field",
            BundleError::Duplicate { .. } => "duplicate-entry",
            BundleError::TooLarge { .. } => "bundle-too-large",
            BundleError::Malformed(_) => "malformed-bundle",
        }
    }
}

impl BundleError {
    /// A [`BundleError::Malformed`] from a parser message, scrubbed.
    pub(crate) fn malformed(message: &str) -> Self {
        BundleError::Malformed(scrub_parser_message(message))
    }
}

/// Makes a parser's error message safe to pass on. Parsers echo offending
/// values, which may be secrets or host paths: double-quoted values are
/// replaced by `"…"`; backticked words (field and variant names) are kept,
/// so the message still says *which* field is wrong, unless they look
/// secret-like or are not identifier-shaped (`[A-Za-z0-9_.:-]`, at most 64
/// bytes). A value holding a quote character desynchronises the quoting,
/// so the text between quotes is held to the parsers' own prose: a word
/// that looks secret-like or holds anything but letters, digits and
/// `_.,:;()'-` becomes `…`. Control characters become spaces and the
/// result is bounded.
pub(crate) fn scrub_parser_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(diag::MAX_DIAGNOSTIC_BYTES));
    let mut rest = message;
    while let Some(pos) = rest.find(['"', '`']) {
        push_prose(&mut out, &rest[..pos]);
        let quote = &rest[pos..pos + 1];
        let after = &rest[pos + 1..];
        let (inner, tail) = match after.find(quote) {
            Some(end) => (&after[..end], &after[end + 1..]),
            None => (after, ""),
        };
        // Field and variant names are identifiers: keep only words of
        // that shape (a credential glued to punctuation, `}sk_live_…`,
        // escapes the word-start rule of the secret heuristic).
        let keep = quote == "`"
            && !crate::secret::looks_secret_value(inner)
            && inner.len() <= 64
            && inner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b));
        out.push_str(quote);
        if keep {
            push_clean(&mut out, inner);
        } else {
            out.push('…');
        }
        out.push_str(quote);
        rest = tail;
    }
    push_prose(&mut out, rest);
    diag::bound(&out, diag::MAX_DIAGNOSTIC_BYTES - 64)
}

/// Pushes unquoted parser text word by word (see [`scrub_parser_message`]).
fn push_prose(out: &mut String, text: &str) {
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let prose = word
            .chars()
            .all(|c| c.is_alphanumeric() || "_.,:;()'-…".contains(c));
        if prose && !crate::secret::looks_secret_value(word) {
            push_clean(out, word);
        } else {
            out.push('…');
        }
    }
}

fn push_clean(out: &mut String, text: &str) {
    out.extend(text.chars().map(|c| if c.is_control() { ' ' } else { c }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn scrub_removes_quoted_values_but_keeps_field_names() {
        let s = scrub_parser_message(
            "invalid type: string \"/srv/secret/hunter2\", expected u64 at line 1 column 9",
        );
        assert!(!s.contains("hunter2"), "{s}");
        assert!(!s.contains("/srv"), "{s}");
        assert!(s.contains("expected u64"), "{s}");
        let s = scrub_parser_message("unknown field `dirr`, expected one of `dir`, `ops`");
        assert!(s.contains("`dirr`"), "{s}");
        let s = scrub_parser_message("unknown variant `ghp_0123456789abcdefghijklmnopqrstuv`");
        assert!(!s.contains("ghp_"), "{s}");
        // Found by the bundle fuzz harness (`conformance/src/fuzz/`): a
        // credential after punctuation inside an unknown field name.
        let s = scrub_parser_message("unknown field `capability:}sk_live_CanaryKey98765`");
        assert!(!s.contains("sk_live"), "{s}");
        assert!(s.contains("unknown field `…`"), "{s}");
        // …and a field name holding a backtick, which shifts the quoting.
        let s = scrub_parser_message(
            "unknown field `capa`ility:}sk_live_CanaryKey98765 /home/x`, expected `id`",
        );
        assert!(!s.contains("sk_live") && !s.contains("/home"), "{s}");
        assert!(s.starts_with("unknown field `capa`"), "{s}");
        let s = scrub_parser_message(&format!("\"{}", "x".repeat(1000)));
        assert!(s.len() <= diag::MAX_DIAGNOSTIC_BYTES);
    }

    #[test]
    fn codes_are_stable() {
        let e = BundleError::SecretLike {
            field: "declarations[0].reference".into(),
        };
        assert_eq!(e.code(), "secret-like-value");
        assert!(e.to_string().contains("declarations[0].reference"));
    }
}
