//! Where a package digest is computed.
//!
//! The digest is SHA-256 (64 lowercase hex) over a normalised description of
//! the content, never over archive bytes, so timestamps, owners, entry order
//! and compression settings cannot change it:
//!
//! ```text
//! yoi-plugin-package-v1\n
//! for each file, sorted bytewise by path:
//!   <path>\n<length in decimal>\n<sha256 hex of content>\n
//! ```
//!
//! Paths cannot contain newlines (control characters are rejected), so the
//! encoding is unambiguous.

use sha2::{Digest as _, Sha256};

use super::PackageFiles;
use crate::names::Digest;

/// The format tag that starts the digested text.
pub const FORMAT_VERSION: &str = "yoi-plugin-package-v1";

/// The content digest of a package's files.
pub fn package_digest(files: &PackageFiles) -> Digest {
    package_digest_with(files, |_, _| {})
}

/// [`package_digest`], reporting each file's own SHA-256 to `each` (so the
/// component is hashed once per load, not once per use).
pub(crate) fn package_digest_with(
    files: &PackageFiles,
    mut each: impl FnMut(&str, &Digest),
) -> Digest {
    let mut hasher = Sha256::new();
    hasher.update(FORMAT_VERSION.as_bytes());
    hasher.update(b"\n");
    for (path, content) in files.iter() {
        hasher.update(path.as_bytes());
        hasher.update(b"\n");
        hasher.update(content.len().to_string().as_bytes());
        hasher.update(b"\n");
        let file_digest = Digest::of(content);
        each(path, &file_digest);
        hasher.update(file_digest.as_str().as_bytes());
        hasher.update(b"\n");
    }
    Digest::from_hasher(hasher)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_depends_on_content_only() {
        let mut a = PackageFiles::new();
        a.insert("plugin.toml", b"x".to_vec()).unwrap();
        a.insert("c.wasm", b"yy".to_vec()).unwrap();
        let mut b = PackageFiles::new();
        b.insert("c.wasm", b"yy".to_vec()).unwrap();
        b.insert("plugin.toml", b"x".to_vec()).unwrap();
        assert_eq!(package_digest(&a), package_digest(&b));
        let mut c = PackageFiles::new();
        c.insert("plugin.toml", b"x".to_vec()).unwrap();
        c.insert("c.wasm", b"yz".to_vec()).unwrap();
        assert_ne!(package_digest(&a), package_digest(&c));
        assert_eq!(package_digest(&a).as_str().len(), 64);
    }
}
