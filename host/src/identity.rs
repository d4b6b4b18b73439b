//! Who a plugin is: the key grants are bound to and logs are tagged with.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A plugin's exact identity: source-qualified id (e.g. `user:notes`),
/// exact version, and the SHA-256 digest (64 lowercase hex) of what was
/// loaded. Grants and enablements pin all three.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PluginIdentity {
    /// Source-qualified plugin id.
    pub id: String,
    /// Exact version.
    pub version: String,
    /// Content digest, 64 lowercase hex.
    pub digest: String,
}

impl PluginIdentity {
    /// An identity from its three parts.
    pub fn new(
        id: impl Into<String>,
        version: impl Into<String>,
        digest: impl Into<String>,
    ) -> Self {
        PluginIdentity {
            id: id.into(),
            version: version.into(),
            digest: digest.into(),
        }
    }
}

impl fmt::Display for PluginIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = self.digest.get(..12).unwrap_or(&self.digest);
        write!(f, "{}@{}#{}", self.id, self.version, short)
    }
}

/// SHA-256 of `bytes` as 64 lowercase hex characters.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Whether `s` is a well-formed digest: 64 lowercase hex characters.
pub fn is_digest(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
