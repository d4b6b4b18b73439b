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

use sha2::{Digest, Sha256};

use super::PackageFiles;

/// The format tag that starts the digested text.
pub const FORMAT_VERSION: &str = "yoi-plugin-package-v1";

/// The content digest of a package's files.
pub fn package_digest(files: &PackageFiles) -> String {
    let mut hasher = Sha256::new();
    hasher.update(FORMAT_VERSION.as_bytes());
    hasher.update(b"\n");
    for (path, content) in files.iter() {
        hasher.update(path.as_bytes());
        hasher.update(b"\n");
        hasher.update(content.len().to_string().as_bytes());
        hasher.update(b"\n");
        hasher.update(hex::encode(Sha256::digest(content)).as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
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
        assert_eq!(package_digest(&a).len(), 64);
    }
}
