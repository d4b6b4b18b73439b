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
        BundleError::Malformed(diag::scrub_parser_message(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn codes_are_stable() {
        let e = BundleError::SecretLike {
            field: "declarations[0].reference".into(),
        };
        assert_eq!(e.code(), "secret-like-value");
        assert!(e.to_string().contains("declarations[0].reference"));
    }
}
