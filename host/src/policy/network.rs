//! The policy's `[network.<name>]` and `[secrets.<name>]` tables: network
//! grants a bundle enables by reference (`network:<name>`), and where each
//! secret lives on this host. Bundles never carry a URL's secret or a
//! secret's source; they name entries here.
//!
//! ```toml
//! [runtime]
//! network = true    # provides network: references
//! secrets = true    # resolves secret: references
//!
//! [network.github]
//! url = "https://api.github.com/repos"
//! methods = ["GET"]
//! inject = [{ header = "authorization", format = "bearer", secret = "github-token" }]
//!
//! [secrets.github-token]
//! env = "GITHUB_TOKEN"          # or: file = "/run/secrets/github-token"
//! ```
//!
//! A profile's plugin enables it with `"network": ["network:github"]`; the
//! grant's secrets resolve when a worker is created (a missing variable is
//! `secret-unavailable` then, not a leak later).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{HostPolicy, PolicyError};
use crate::bundle::{DeclarationKind, validate_reference};
use crate::net::{InjectFormat, NetGrantSpec, NetGrants, grant::InjectSpec};
use crate::secrets::{SecretName, SecretSource, SecretSources};

/// One `[network.<name>]` entry: a network grant (grammar in `net::grant`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicy {
    /// `scheme://host[:port][/path-prefix]`.
    pub url: String,
    /// Methods (default GET and HEAD).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Whether special addresses may be reached through the host name.
    #[serde(default)]
    pub private: bool,
    /// Secret injections.
    #[serde(default)]
    pub inject: Vec<InjectPolicy>,
}

/// One secret injection of a network entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectPolicy {
    /// Header name.
    pub header: String,
    /// `bearer`, `basic` or `raw`.
    pub format: String,
    /// A `[secrets]` name.
    pub secret: String,
}

/// One `[secrets.<name>]` entry: exactly one source.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretPolicy {
    /// An environment variable of the runtime process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// An absolute file path (content, one trailing newline removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
}

impl std::fmt::Debug for SecretPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretPolicy")
            .field("env", &self.env)
            .field("file", &self.file.as_ref().map(|_| "[host path]"))
            .finish()
    }
}

fn invalid(field: String, reason: impl Into<String>) -> PolicyError {
    PolicyError::InvalidNetwork {
        field,
        reason: reason.into(),
    }
}

impl NetworkPolicy {
    fn spec(&self, field: &str) -> Result<NetGrantSpec, PolicyError> {
        let inject = self
            .inject
            .iter()
            .enumerate()
            .map(|(i, inj)| {
                let format = match inj.format.as_str() {
                    "bearer" => InjectFormat::Bearer,
                    "basic" => InjectFormat::Basic,
                    "raw" => InjectFormat::Raw,
                    _ => {
                        return Err(invalid(
                            format!("{field}.inject[{i}].format"),
                            "bearer, basic or raw",
                        ));
                    }
                };
                Ok(InjectSpec {
                    header: inj.header.to_ascii_lowercase(),
                    format,
                    secret: inj.secret.clone(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(NetGrantSpec {
            url: self.url.clone(),
            methods: self.methods.clone(),
            private: self.private,
            inject,
        })
    }
}

impl SecretPolicy {
    fn source(&self, field: &str) -> Result<SecretSource, PolicyError> {
        match (&self.env, &self.file) {
            (Some(var), None)
                if !var.is_empty()
                    && var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                Ok(SecretSource::Env(var.clone()))
            }
            (None, Some(file)) if file.is_absolute() => Ok(SecretSource::File(file.clone())),
            _ => Err(invalid(
                field.to_owned(),
                "exactly one of env = \"VAR\" or file = \"/absolute/path\"",
            )),
        }
    }
}

impl HostPolicy {
    /// Where this host's secrets come from (`[secrets]`).
    pub fn secret_sources(&self) -> Result<SecretSources, PolicyError> {
        let mut sources = SecretSources::default();
        for (name, policy) in &self.secrets {
            let field = format!("secrets.{name}");
            let parsed =
                SecretName::parse(name).map_err(|e| invalid(field.clone(), e.to_string()))?;
            sources.insert(parsed, policy.source(&field)?);
        }
        Ok(sources)
    }

    /// Checks `[network]` and `[secrets]` without reading any secret:
    /// grammar, and every injected secret is defined.
    pub(super) fn validate_network(&self) -> Result<(), PolicyError> {
        let sources = self.secret_sources()?;
        for (name, entry) in &self.network {
            let field = format!("network.{name}");
            validate_reference(DeclarationKind::Network, &format!("network:{name}"), &field)
                .map_err(|e| invalid(field.clone(), e.to_string()))?;
            let mut spec = entry.spec(&field)?;
            for (i, inject) in spec.inject.iter().enumerate() {
                let at = format!("{field}.inject[{i}]");
                if !crate::net::grant::injectable_header(&inject.header) {
                    return Err(invalid(
                        format!("{at}.header"),
                        "a plain header name (not host, content-length, ...)",
                    ));
                }
                let known = SecretName::parse(&inject.secret)
                    .ok()
                    .is_some_and(|n| self.secrets.contains_key(n.as_str()));
                if !known {
                    return Err(invalid(format!("{at}.secret"), "not defined in [secrets]"));
                }
            }
            // Grammar only: secrets are resolved when a grant is built.
            spec.inject.clear();
            spec.open(&sources)
                .map_err(|e| invalid(field.clone(), e.to_string()))?;
        }
        Ok(())
    }

    /// The network grants for `references` (`network:<name>` each), with
    /// their secrets resolved now.
    pub fn network_grants(&self, references: &[String]) -> Result<NetGrants, PolicyError> {
        if references.is_empty() {
            return Ok(NetGrants::default());
        }
        if !self.runtime.network {
            return Err(PolicyError::UnsupportedDeclaration(
                DeclarationKind::Network,
            ));
        }
        let mut specs = Vec::with_capacity(references.len());
        for reference in references {
            let name = reference.strip_prefix("network:").unwrap_or(reference);
            let entry = self
                .network
                .get(name)
                .ok_or_else(|| PolicyError::UnknownNetwork(name.to_owned()))?;
            let spec = entry.spec(&format!("network.{name}"))?;
            if !spec.inject.is_empty() && !self.runtime.secrets {
                return Err(PolicyError::UnsupportedDeclaration(DeclarationKind::Secret));
            }
            specs.push(spec);
        }
        NetGrants::open(&specs, &self.secret_sources()?).map_err(PolicyError::Network)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const POLICY: &str = r#"
        [runtime]
        network = true
        secrets = true

        [network.api]
        url = "https://api.example.com/v1"
        methods = ["GET", "POST"]
        inject = [{ header = "Authorization", format = "bearer", secret = "api-token" }]

        [network.local]
        url = "http://127.0.0.1:8080/"

        [secrets.api-token]
        env = "YOI_POLICY_TEST_TOKEN"
    "#;

    #[test]
    fn named_network_grants_resolve_with_their_secrets() {
        let policy = HostPolicy::from_toml_str(POLICY).unwrap();
        policy.validate().unwrap();
        assert!(policy.network_grants(&[]).unwrap().is_empty());
        let local = policy.network_grants(&["network:local".into()]).unwrap();
        assert_eq!(local.iter().count(), 1);
        // The variable is read when the grant is built, not at validation.
        let err = policy.network_grants(&["network:api".into()]).unwrap_err();
        assert_eq!(err.code(), "secret-unavailable");
        assert!(!format!("{err}").contains("YOI_POLICY_TEST_TOKEN_VALUE"));
        let err = policy.network_grants(&["network:nope".into()]).unwrap_err();
        assert_eq!(err.code(), "network-not-available");
        let mut off = policy.clone();
        off.runtime.network = false;
        let err = off.network_grants(&["network:local".into()]).unwrap_err();
        assert_eq!(err.code(), "unsupported-declaration");
        let mut no_secrets = policy.clone();
        no_secrets.runtime.secrets = false;
        let err = no_secrets
            .network_grants(&["network:api".into()])
            .unwrap_err();
        assert_eq!(err.code(), "unsupported-declaration");
    }

    #[test]
    fn bad_entries_are_refused_at_validation() {
        for (bad, field) in [
            ("[network.x]\nurl = \"ftp://a.example\"", "network.x"),
            (
                "[network.x]\nurl = \"https://a.example\"\ninject = [{ header = \"a\", format = \"bearer\", secret = \"missing\" }]",
                "network.x.inject[0].secret",
            ),
            (
                "[network.x]\nurl = \"https://a.example\"\ninject = [{ header = \"a\", format = \"weird\", secret = \"s\" }]\n[secrets.s]\nenv = \"S\"",
                "network.x.inject[0].format",
            ),
            (
                "[network.x]\nurl = \"https://a.example\"\ninject = [{ header = \"host\", format = \"raw\", secret = \"s\" }]\n[secrets.s]\nenv = \"S\"",
                "network.x.inject[0].header",
            ),
            ("[secrets.s]\nenv = \"S\"\nfile = \"/x\"", "secrets.s"),
            ("[secrets.s]\nfile = \"relative\"", "secrets.s"),
            ("[secrets.S]\nenv = \"S\"", "secrets.S"),
        ] {
            let err = HostPolicy::from_toml_str(bad)
                .and_then(|p| p.validate())
                .unwrap_err();
            assert_eq!(err.code(), "invalid-network", "{bad}: {err}");
            assert!(err.to_string().contains(field), "{bad}: {err}");
        }
    }

    #[test]
    fn secret_sources_never_print_paths() {
        let policy =
            HostPolicy::from_toml_str("[secrets.s]\nfile = \"/run/secrets/very-private\"").unwrap();
        let shown = format!("{policy:?}");
        assert!(!shown.contains("very-private"), "{shown}");
    }
}
