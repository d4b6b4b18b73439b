//! Who a plugin is: the key grants are bound to and logs are tagged with.
//!
//! Two kinds, with distinct types because their digests mean different
//! things:
//!
//! - an **installed** plugin is a [`PluginPin`]: source-qualified id, exact
//!   version and the **package** digest (over the manifest, the component
//!   and the optional files; `package/digest.rs`). Enablements, store
//!   pointers, bundles and workers all pin plugins with this one type.
//! - a **bare component** (the development path: `yoi-plugin run x.wasm`,
//!   tests) is a [`ComponentIdentity`]: a name and the SHA-256 of the
//!   **component bytes**. It has no manifest and no version.
//!
//! Grants issued for one identity are refused for any other
//! (`grant-mismatch`), across kinds too.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::names::{Digest, PluginId, PluginName, Version};

/// An installed plugin pinned exactly: id + version + package digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginPin {
    /// Source-qualified id, e.g. `user:notes`.
    pub id: PluginId,
    /// Exact version.
    pub version: Version,
    /// Package digest.
    pub digest: Digest,
}

impl PluginPin {
    /// A pin from its three parts.
    pub fn new(id: PluginId, version: Version, digest: Digest) -> Self {
        PluginPin {
            id,
            version,
            digest,
        }
    }
}

impl fmt::Display for PluginPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}#{}", self.id, self.version, self.digest.short())
    }
}

/// A bare component loaded without a package: a name for display and the
/// SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentIdentity {
    /// A name for logs (e.g. the file stem).
    pub name: PluginName,
    /// SHA-256 of the component bytes.
    pub digest: Digest,
}

/// A plugin's exact identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PluginIdentity {
    /// Installed from the store (package digest).
    Installed(PluginPin),
    /// A bare component (component digest).
    Component(ComponentIdentity),
}

impl PluginIdentity {
    /// The identity of a bare component: `name` and the SHA-256 of `bytes`.
    pub fn component(name: PluginName, bytes: &[u8]) -> Self {
        PluginIdentity::Component(ComponentIdentity {
            name,
            digest: Digest::of(bytes),
        })
    }

    /// The plugin's name (an installed plugin's id without its source).
    pub fn name(&self) -> &PluginName {
        match self {
            PluginIdentity::Installed(pin) => pin.id.name(),
            PluginIdentity::Component(c) => &c.name,
        }
    }

    /// The pin, when this is an installed plugin.
    pub fn pin(&self) -> Option<&PluginPin> {
        match self {
            PluginIdentity::Installed(pin) => Some(pin),
            PluginIdentity::Component(_) => None,
        }
    }
}

impl From<PluginPin> for PluginIdentity {
    fn from(pin: PluginPin) -> Self {
        PluginIdentity::Installed(pin)
    }
}

impl fmt::Display for PluginIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginIdentity::Installed(pin) => pin.fmt(f),
            PluginIdentity::Component(c) => {
                write!(f, "component:{}#{}", c.name, c.digest.short())
            }
        }
    }
}
