//! Config bundles: what a backend syncs to a runtime so the runtime can
//! create workers from named profiles.
//!
//! A [`ConfigBundle`] is plain data: an id (path-safe), a revision, the
//! workspace it belongs to, when and by what it was made (provenance),
//! profiles (which plugins to enable, which mounts each requests, which
//! capabilities the profile needs) and typed declarations of what the
//! runtime host must provide. Its `digest` is SHA-256 over a canonical
//! encoding of everything else (see [`canonical`]), so a runtime can tell
//! exactly which content a worker request refers to ([`BundleRef`]).
//!
//! What a bundle never carries: secret values, socket or session paths,
//! host-local mount directories, cache paths. There is no field for a
//! directory anywhere, and every string is checked by [`rules`]: secrets
//! travel as `secret:<name>` references the runtime host resolves; mounts
//! as names the host policy ([`crate::policy`]) maps to directories.
//!
//! ```json
//! {
//!   "id": "team-a", "revision": 3, "workspace_id": "ws-1",
//!   "created_at": "2026-06-25T16:44:57Z",
//!   "provenance": { "source": "yoi-plugin bundle create", "author": "alice" },
//!   "profiles": {
//!     "notes": {
//!       "description": "journal helper",
//!       "plugins": [{ "id": "user:notes", "version": "0.1.0", "digest": "<64 hex>",
//!                     "grants": [{ "mount": "notes", "ops": ["read", "list"],
//!                                  "include": ["journal/**"], "exclude": [] }] }],
//!       "capabilities": ["capability:fs"]
//!     }
//!   },
//!   "declarations": [{ "kind": "mount", "reference": "mount:notes" },
//!                    { "kind": "secret", "reference": "secret:github-token" }],
//!   "digest": "<64 hex>"
//! }
//! ```
//!
//! Bundles are stored, listed and checked by [`store::BundleStore`].

pub mod canonical;
pub mod error;
pub mod reference;
pub mod rules;
pub mod store;
mod validate;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use error::BundleError;
pub use reference::{Declaration, DeclarationKind, parse_reference, validate_reference};
pub use store::{Availability, BundleStore, StoreError, StoreOutcome};

use crate::grant::Operation;

/// Largest bundle, in bytes of its canonical form ([`canonical`]): the one
/// size rule `seal`, `verify`, the store and the service all apply.
pub const MAX_BUNDLE_JSON_BYTES: usize = 1024 * 1024;
/// Largest bundle JSON *text* parsed (whitespace and key order are free, so
/// text may be larger than the canonical form; this only bounds parsing).
pub const MAX_BUNDLE_TEXT_BYTES: usize = 4 * MAX_BUNDLE_JSON_BYTES;
/// Most profiles in one bundle.
pub const MAX_PROFILES: usize = 64;
/// Most declarations in one bundle.
pub const MAX_DECLARATIONS: usize = 256;
/// Most plugins one profile enables.
pub const MAX_PLUGINS_PER_PROFILE: usize = 64;
/// Most capabilities one profile lists.
pub const MAX_CAPABILITIES_PER_PROFILE: usize = 64;
/// Most grant requests of one plugin enablement.
pub const MAX_GRANTS_PER_PLUGIN: usize = 32;
/// Most include (or exclude) patterns of one grant request.
pub const MAX_PATTERNS_PER_GRANT: usize = 32;

/// A config bundle. Construct with [`ConfigBundle::new`], add profiles and
/// declarations, then [`ConfigBundle::seal`] to fill the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigBundle {
    /// Path-safe identifier ([`rules::is_identifier`]); stable across
    /// revisions of the same bundle.
    pub id: String,
    /// Revision number chosen by the producer; informational (the digest,
    /// not the revision, identifies content).
    pub revision: u64,
    /// The workspace the bundle belongs to (identifier rules).
    pub workspace_id: String,
    /// When the bundle was made: RFC 3339 UTC ([`rules::is_timestamp`]).
    pub created_at: String,
    /// Who or what made the bundle.
    pub provenance: Provenance,
    /// Profiles by name (identifier rules).
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// What the runtime host must provide, by reference.
    #[serde(default)]
    pub declarations: Vec<Declaration>,
    /// SHA-256 (64 lowercase hex) of the canonical content; empty in a
    /// draft that is not sealed yet.
    #[serde(default)]
    pub digest: String,
}

/// Where a bundle came from. Labels only: no paths, no URLs, no secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// What produced the bundle, e.g. `yoi-plugin bundle create` or
    /// `workspace-server`.
    pub source: String,
    /// Who produced it, e.g. a user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// A named profile: the plugins a worker created from it gets, the mounts
/// each plugin requests, and the capabilities the profile needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Human description (free text, bounded, no paths or secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Plugins enabled, each pinned by id + exact version + digest.
    #[serde(default)]
    pub plugins: Vec<PluginEnablement>,
    /// Capability references (`capability:<name>`) the profile needs.
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// One enabled plugin, pinned exactly, with the grants it requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginEnablement {
    /// Source-qualified id, e.g. `user:notes` or `builtin:hello`.
    pub id: String,
    /// Exact version (no ranges).
    pub version: String,
    /// SHA-256 of the plugin package, 64 lowercase hex.
    pub digest: String,
    /// Grant requests by mount name; the host policy decides the rest.
    #[serde(default)]
    pub grants: Vec<GrantRequest>,
    /// Network grants by reference (`network:<name>`): each names a
    /// `[network.<name>]` entry of the host policy, which holds the URL,
    /// methods and secret injections. Omitted from the canonical form when
    /// empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<String>,
    /// Per-call count limits for this plugin's calls (each optional; the
    /// host policy's limits fill the rest, and its ceiling caps them —
    /// above it, worker creation is refused). Omitted from the canonical
    /// form when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<CountLimits>,
}

/// Count limits a bundle may set for one plugin's calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountLimits {
    /// Core instances per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<usize>,
    /// Linear memories per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memories: Option<usize>,
    /// Tables per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tables: Option<usize>,
}

impl CountLimits {
    /// The fields by name, in key order.
    pub fn fields(&self) -> [(&'static str, Option<usize>); 3] {
        [
            ("instances", self.instances),
            ("memories", self.memories),
            ("tables", self.tables),
        ]
    }
}

impl PluginEnablement {
    /// The exact pin this enablement names (the same rules the store
    /// holds ids, versions and digests to).
    pub fn pin(&self) -> Result<crate::identity::PluginPin, crate::names::NameError> {
        Ok(crate::identity::PluginPin::new(
            self.id.parse()?,
            self.version.parse()?,
            self.digest.parse()?,
        ))
    }
}

/// A request for a mount, by name. Requests are not grants: the effective
/// grant is this request intersected with the runtime host's policy
/// ([`crate::policy::HostPolicy::effective_grants`]). There is no host
/// directory here, by design.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// Mount name: 1–64 of `[a-z0-9._-]`, not starting with `.`.
    pub mount: String,
    /// Operations requested (non-empty, no duplicates).
    pub ops: Vec<Operation>,
    /// Optional include globs over paths inside the mount (narrowing).
    #[serde(default)]
    pub include: Vec<String>,
    /// Optional exclude globs over paths inside the mount (narrowing).
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl GrantRequest {
    /// A request for `mount` with `ops` and no patterns.
    pub fn new(mount: &str, ops: &[Operation]) -> Self {
        GrantRequest {
            mount: mount.to_owned(),
            ops: ops.to_vec(),
            include: Vec::new(),
            exclude: Vec::new(),
        }
    }

    /// Checks the request (mount name, ops, patterns); `field` locates it
    /// in errors.
    pub fn validate(&self, field: &str) -> Result<(), BundleError> {
        validate::grant_request(self, field)
    }
}

/// What a worker request carries to name a synced bundle: id + digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleRef {
    /// The bundle id.
    pub id: String,
    /// The exact content digest.
    pub digest: String,
}

impl BundleRef {
    /// A reference from its parts (not validated; see
    /// [`BundleRef::validate`]).
    pub fn new(id: impl Into<String>, digest: impl Into<String>) -> Self {
        BundleRef {
            id: id.into(),
            digest: digest.into(),
        }
    }

    /// Checks that the id is path-safe and the digest well-formed.
    pub fn validate(&self) -> Result<(), BundleError> {
        validate::bundle_id(&self.id, "bundle_ref.id")?;
        validate::digest_field(&self.digest, "bundle_ref.digest")
    }
}

impl fmt::Display for BundleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = self.digest.get(..12).unwrap_or(&self.digest);
        write!(f, "{}@{short}", self.id)
    }
}

/// The listing entry of a stored bundle.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleSummary {
    /// The bundle id.
    pub id: String,
    /// Its revision.
    pub revision: u64,
    /// Its workspace.
    pub workspace_id: String,
    /// Its content digest.
    pub digest: String,
    /// When it was made.
    pub created_at: String,
}

impl ConfigBundle {
    /// An unsealed bundle with no profiles and no declarations.
    pub fn new(
        id: impl Into<String>,
        revision: u64,
        workspace_id: impl Into<String>,
        created_at: impl Into<String>,
        provenance: Provenance,
    ) -> Self {
        ConfigBundle {
            id: id.into(),
            revision,
            workspace_id: workspace_id.into(),
            created_at: created_at.into(),
            provenance,
            profiles: BTreeMap::new(),
            declarations: Vec::new(),
            digest: String::new(),
        }
    }

    /// Adds (or replaces) a profile. Clears the digest: reseal afterwards.
    pub fn with_profile(mut self, name: impl Into<String>, profile: Profile) -> Self {
        self.profiles.insert(name.into(), profile);
        self.digest.clear();
        self
    }

    /// Adds a declaration. Clears the digest: reseal afterwards.
    pub fn with_declaration(mut self, declaration: Declaration) -> Self {
        self.declarations.push(declaration);
        self.digest.clear();
        self
    }

    /// The digest of the current content (the `digest` field is ignored).
    pub fn compute_digest(&self) -> String {
        canonical::digest(self)
    }

    /// Fills `digest` from the current content.
    pub fn seal(mut self) -> ConfigBundle {
        self.digest = self.compute_digest();
        self
    }

    /// Checks every field rule and the size rule (no digest check): use
    /// before sealing.
    pub fn validate_content(&self) -> Result<(), BundleError> {
        validate::content(self)?;
        if canonical::canonical_bytes(self).len() > MAX_BUNDLE_JSON_BYTES {
            return Err(BundleError::TooLarge {
                field: "bundle (canonical form)".to_owned(),
                max: MAX_BUNDLE_JSON_BYTES,
            });
        }
        Ok(())
    }

    /// Checks every field rule and that `digest` matches the content.
    pub fn validate(&self) -> Result<(), BundleError> {
        self.validate_content()?;
        validate::digest_field(&self.digest, "digest")?;
        let actual = self.compute_digest();
        if actual != self.digest {
            return Err(BundleError::DigestMismatch {
                claimed: self.digest[..12].to_owned(),
                actual: actual[..12].to_owned(),
            });
        }
        Ok(())
    }

    /// Parses bundle JSON without validating it (a draft may be unsealed).
    /// Unknown fields, wrong types and texts above
    /// [`MAX_BUNDLE_TEXT_BYTES`] are refused; the size rule itself is on
    /// the canonical form ([`ConfigBundle::validate_content`]).
    pub fn parse_draft(text: &str) -> Result<ConfigBundle, BundleError> {
        if text.len() > MAX_BUNDLE_TEXT_BYTES {
            return Err(BundleError::TooLarge {
                field: "bundle JSON text".to_owned(),
                max: MAX_BUNDLE_TEXT_BYTES,
            });
        }
        serde_json::from_str(text).map_err(|e| BundleError::malformed(&e.to_string()))
    }

    /// Parses bundle JSON and validates it, digest included.
    pub fn from_json(text: &str) -> Result<ConfigBundle, BundleError> {
        let bundle = ConfigBundle::parse_draft(text)?;
        bundle.validate()?;
        Ok(bundle)
    }

    /// The reference a worker request uses for this bundle.
    pub fn bundle_ref(&self) -> BundleRef {
        BundleRef::new(self.id.clone(), self.digest.clone())
    }

    /// The listing entry of this bundle.
    pub fn summary(&self) -> BundleSummary {
        BundleSummary {
            id: self.id.clone(),
            revision: self.revision,
            workspace_id: self.workspace_id.clone(),
            digest: self.digest.clone(),
            created_at: self.created_at.clone(),
        }
    }

    /// The profile called `name`, if any.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }
}

#[cfg(test)]
pub(crate) mod tests;
