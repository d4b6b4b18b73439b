//! Typed declarations: what a bundle says its profiles need from the
//! runtime host (a secret, a mount, network, shell, git, a capability),
//! always by *reference*, never by value or host path.
//!
//! A reference is `<kind>:<token>`; the token follows
//! [`super::rules`]: 1–128 of `[A-Za-z0-9._-]`, not starting with `.`, no
//! `..`, not path-like, not secret-like, not a runtime-file name. `mount:`
//! tokens additionally follow the mount-name rule (`[a-z0-9._-]`, ≤ 64) so
//! they can be looked up in the host policy as written.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::BundleError;
use super::rules::{self, Rejection};

/// The kind of a declaration; each kind has its reference prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeclarationKind {
    /// A secret the runtime host resolves by name (`secret:github-token`).
    Secret,
    /// A mount name the runtime host maps to a directory (`mount:notes`).
    Mount,
    /// A network policy the runtime host may provide (`network:api.github.com`).
    Network,
    /// A shell the runtime host may provide (`shell:bash`).
    Shell,
    /// Git access the runtime host may provide (`git:origin`).
    Git,
    /// A host capability (`capability:fs`).
    Capability,
}

impl DeclarationKind {
    /// Every kind, in a stable order.
    pub const ALL: [DeclarationKind; 6] = [
        DeclarationKind::Secret,
        DeclarationKind::Mount,
        DeclarationKind::Network,
        DeclarationKind::Shell,
        DeclarationKind::Git,
        DeclarationKind::Capability,
    ];

    /// The stable name of the kind (`secret`, `mount`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DeclarationKind::Secret => "secret",
            DeclarationKind::Mount => "mount",
            DeclarationKind::Network => "network",
            DeclarationKind::Shell => "shell",
            DeclarationKind::Git => "git",
            DeclarationKind::Capability => "capability",
        }
    }

    /// The reference prefix of the kind, e.g. `secret:`.
    pub fn prefix(self) -> &'static str {
        match self {
            DeclarationKind::Secret => "secret:",
            DeclarationKind::Mount => "mount:",
            DeclarationKind::Network => "network:",
            DeclarationKind::Shell => "shell:",
            DeclarationKind::Git => "git:",
            DeclarationKind::Capability => "capability:",
        }
    }
}

impl fmt::Display for DeclarationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One typed declaration: a kind and a reference carrying its prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    /// What is declared.
    pub kind: DeclarationKind,
    /// `<kind>:<token>`, e.g. `secret:github-token`.
    pub reference: String,
}

impl Declaration {
    /// A declaration of `kind` for `token` (the prefix is added).
    pub fn new(kind: DeclarationKind, token: &str) -> Self {
        Declaration {
            kind,
            reference: format!("{}{token}", kind.prefix()),
        }
    }

    /// The token after the prefix, if the reference carries the kind's
    /// prefix.
    pub fn token(&self) -> Option<&str> {
        self.reference.strip_prefix(self.kind.prefix())
    }

    /// Checks the reference against the kind; `field` locates it in
    /// errors.
    pub fn validate(&self, field: &str) -> Result<(), BundleError> {
        validate_reference(self.kind, &self.reference, field)
    }
}

/// Checks that `reference` is `<kind prefix><token>` with a valid token
/// (module docs); `field` locates it in errors. The rejected value is never
/// part of the error.
pub fn validate_reference(
    kind: DeclarationKind,
    reference: &str,
    field: &str,
) -> Result<(), BundleError> {
    let Some(token) = reference.strip_prefix(kind.prefix()) else {
        // Even a malformed reference may carry a secret or a path: classify
        // it so the error code says so, without echoing it.
        let reason = match DeclarationKind::ALL
            .into_iter()
            .find(|k| reference.starts_with(k.prefix()))
        {
            Some(_) => "the reference prefix does not match the declaration kind",
            None => "a reference starts with its kind prefix, e.g. secret:, mount:, capability:",
        };
        if rules::looks_path_like(reference) {
            return Err(BundleError::PathLike {
                field: field.to_owned(),
            });
        }
        if rules::looks_secret_value(reference) {
            return Err(BundleError::SecretLike {
                field: field.to_owned(),
            });
        }
        return Err(BundleError::InvalidReference {
            field: field.to_owned(),
            reason,
        });
    };
    let checked = if kind == DeclarationKind::Mount {
        rules::reference_token(token).and_then(|()| rules::mount_name(token))
    } else {
        rules::reference_token(token)
    };
    checked.map_err(|rejection| match rejection {
        Rejection::PathLike => BundleError::PathLike {
            field: field.to_owned(),
        },
        Rejection::SecretLike => BundleError::SecretLike {
            field: field.to_owned(),
        },
        Rejection::Invalid(reason) => BundleError::InvalidReference {
            field: field.to_owned(),
            reason,
        },
    })
}

/// Parses a reference into its kind and token, validating it.
pub fn parse_reference(reference: &str) -> Result<(DeclarationKind, &str), BundleError> {
    let kind = DeclarationKind::ALL
        .into_iter()
        .find(|k| reference.starts_with(k.prefix()))
        .ok_or_else(|| BundleError::InvalidReference {
            field: "reference".to_owned(),
            reason: "a reference starts with its kind prefix, e.g. secret:, mount:, capability:",
        })?;
    validate_reference(kind, reference, "reference")?;
    Ok((kind, &reference[kind.prefix().len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn check(kind: DeclarationKind, token: &str) -> Result<(), BundleError> {
        Declaration::new(kind, token).validate("declarations[0].reference")
    }

    #[test]
    fn accepted_references() {
        use DeclarationKind::*;
        for (kind, token) in [
            (Secret, "github-token"),
            (Secret, "github_token"),
            (Mount, "notes"),
            (Network, "api.github.com"),
            (Shell, "bash"),
            (Git, "origin"),
            (Capability, "fs"),
            (Capability, "fs.read"),
        ] {
            assert_eq!(check(kind, token), Ok(()), "{kind}:{token}");
        }
    }

    #[test]
    fn path_like_tokens_are_rejected() {
        for token in [
            ".cache/yoi",
            ".yoi/sessions/foo.jsonl",
            "pods/foo/sock",
            "/srv/notes",
            "/home/alice/.ssh/id_ed25519",
            "..",
            ".",
            "C:\\Users\\x",
            "agent.sock",
            "session.jsonl",
            "~/.cache",
        ] {
            for kind in DeclarationKind::ALL {
                let err = check(kind, token).unwrap_err();
                assert_eq!(err.code(), "path-like-value", "{kind}:{token} -> {err}");
            }
        }
    }

    #[test]
    fn secret_like_tokens_are_rejected_without_echo() {
        for token in [
            "password=hunter2",
            "hunter2-secret-value",
            "ghp_0123456789abcdefghijABCDEFGHIJ",
            "AKIAIOSFODNN7EXAMPLE",
            "sk-proj-abcdef",
            "aB3dE5gH7jK9mN1pQ3rS5tU7",
        ] {
            let err = check(DeclarationKind::Secret, token).unwrap_err();
            assert_eq!(err.code(), "secret-like-value", "{token} -> {err}");
            assert!(!err.to_string().contains(token), "{err}");
        }
    }

    #[test]
    fn malformed_references() {
        let cases = [
            (DeclarationKind::Secret, "mount:notes"),
            (DeclarationKind::Secret, "github-token"),
            (DeclarationKind::Secret, "secret:"),
            (DeclarationKind::Secret, "secret:a b"),
            (DeclarationKind::Secret, "secret:a?b"),
            (DeclarationKind::Secret, "secret:a&b"),
            (DeclarationKind::Secret, "secret:a#b"),
            (DeclarationKind::Secret, "secret:a%2e"),
            (DeclarationKind::Mount, "mount:Notes"),
            (DeclarationKind::Capability, "capability:fs:read"),
        ];
        for (kind, reference) in cases {
            let d = Declaration {
                kind,
                reference: reference.to_owned(),
            };
            let err = d.validate("r").unwrap_err();
            assert_eq!(err.code(), "invalid-reference", "{reference} -> {err}");
        }
        let d = Declaration {
            kind: DeclarationKind::Secret,
            reference: "/run/secrets/token".to_owned(),
        };
        assert_eq!(d.validate("r").unwrap_err().code(), "path-like-value");
        let d = Declaration {
            kind: DeclarationKind::Secret,
            reference: "password=hunter2".to_owned(),
        };
        assert_eq!(d.validate("r").unwrap_err().code(), "secret-like-value");
    }

    #[test]
    fn parse() {
        assert_eq!(
            parse_reference("capability:fs").unwrap(),
            (DeclarationKind::Capability, "fs")
        );
        assert!(parse_reference("fs").is_err());
        assert!(parse_reference("mount:../x").is_err());
        let json = r#"{"kind":"network","reference":"network:api.github.com"}"#;
        let d: Declaration = serde_json::from_str(json).unwrap();
        assert_eq!(d.kind, DeclarationKind::Network);
        assert!(
            serde_json::from_str::<Declaration>(r#"{"kind":"ftp","reference":"ftp:x"}"#).is_err()
        );
        assert!(
            serde_json::from_str::<Declaration>(r#"{"kind":"git","reference":"git:x","extra":1}"#)
                .is_err()
        );
    }
}
