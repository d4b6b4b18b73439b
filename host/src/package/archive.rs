//! The `.yoi-plugin` archive: deterministic gzip'd tar, read defensively.
//!
//! Writing: entries sorted by path, regular files only, mode 0644, uid/gid
//! 0, mtime 0, no owner names, gzip header mtime 0 — the same files always
//! give the same bytes. Reading: only regular-file entries (directory
//! entries are ignored; symlinks, hardlinks, devices, FIFOs and anything
//! else are rejected), no pax extended headers, every path checked, sizes
//! checked from the header before reading, the expansion bounded in total
//! and in ratio while decompressing; error messages carry neither header
//! bytes nor unmasked entry names.

use std::io::{self, Read};

use flate2::Compression;
use flate2::read::GzDecoder;
use tar::{Archive, Builder, EntryType, Header};

use super::{
    MAX_COMPRESSION_RATIO, MAX_ENTRIES, MAX_FILE_BYTES, MAX_TOTAL_BYTES, PackageError,
    PackageFiles, shown,
};

/// Serialises `files` deterministically.
pub(super) fn write(files: &PackageFiles) -> Vec<u8> {
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::best());
    let mut builder = Builder::new(gz);
    builder.mode(tar::HeaderMode::Deterministic);
    for (path, content) in files.iter() {
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        builder
            .append_data(&mut header, path, content)
            .expect("writing to memory cannot fail");
    }
    let gz = builder.into_inner().expect("writing to memory cannot fail");
    gz.finish().expect("writing to memory cannot fail")
}

/// Which bound the expansion hit.
#[derive(Debug)]
struct Expansion(&'static str);

impl std::fmt::Display for Expansion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Expansion {}

/// Counts decompressed bytes and fails past the total or ratio bound.
struct Bounded<R> {
    inner: R,
    produced: u64,
    archive_len: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        // tar framing adds up to 1 KiB per entry plus the end blocks.
        if self.produced > MAX_TOTAL_BYTES + (MAX_ENTRIES as u64 + 2) * 1024 {
            return Err(io::Error::other(Expansion("total")));
        }
        if self.produced > 1024 * 1024
            && self.produced > self.archive_len.saturating_mul(MAX_COMPRESSION_RATIO)
        {
            return Err(io::Error::other(Expansion("ratio")));
        }
        Ok(n)
    }
}

fn map_io(err: io::Error) -> PackageError {
    match err.get_ref().and_then(|e| e.downcast_ref::<Expansion>()) {
        Some(Expansion("ratio")) => PackageError::CompressionBomb,
        Some(_) => PackageError::TooLarge,
        None => PackageError::MalformedArchive(malformed(&err.to_string())),
    }
}

/// The fixed part of a tar or gzip error: the text before the first `:`
/// (the parsers append the header bytes or entry name they choked on,
/// which may hold control characters or a secret-looking name), with
/// control characters replaced and bounded.
fn malformed(message: &str) -> String {
    let fixed = message.split([':', '\n']).next().unwrap_or_default().trim();
    let fixed = if fixed.is_empty() {
        "unreadable"
    } else {
        fixed
    };
    crate::diag::bound(
        &fixed
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect::<String>(),
        120,
    )
}

/// Parses and checks an archive into a file set.
pub(super) fn read(bytes: &[u8]) -> Result<PackageFiles, PackageError> {
    let decoder = Bounded {
        inner: GzDecoder::new(bytes),
        produced: 0,
        archive_len: bytes.len() as u64,
    };
    let mut archive = Archive::new(decoder);
    let mut files = PackageFiles::new();
    let mut seen = 0usize;
    for entry in archive.entries().map_err(map_io)? {
        let mut entry = entry.map_err(map_io)?;
        seen += 1;
        if seen > MAX_ENTRIES {
            return Err(PackageError::TooManyEntries);
        }
        // The writer never emits pax headers. Refused rather than read:
        // the tar crate drops a pax record it cannot parse (a value with a
        // newline) and falls back to the header's name, and takes a pax
        // `size` over the header's — the same bytes would name other files
        // or sizes for another reader.
        if entry.pax_extensions().map_err(map_io)?.is_some() {
            return Err(PackageError::MalformedArchive(
                "pax extended headers are not part of the package format".to_owned(),
            ));
        }
        let raw = entry.path_bytes().into_owned();
        let path = String::from_utf8(raw).map_err(|e| {
            PackageError::InvalidPath(shown(&String::from_utf8_lossy(e.as_bytes())))
        })?;
        let kind = entry.header().entry_type();
        match kind {
            EntryType::Regular | EntryType::Continuous => {}
            EntryType::Directory => {
                super::check_entry_path(path.trim_end_matches('/'))?;
                continue;
            }
            EntryType::Symlink => return Err(PackageError::Symlink(shown(&path))),
            EntryType::Link => return Err(PackageError::Hardlink(shown(&path))),
            _ => return Err(PackageError::SpecialFile(shown(&path))),
        }
        super::check_entry_path(&path)?;
        let size = entry.header().size().map_err(map_io)?;
        if size > MAX_FILE_BYTES {
            return Err(PackageError::FileTooLarge(shown(&path)));
        }
        let mut content = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(size)
            .read_to_end(&mut content)
            .map_err(map_io)?;
        files.insert(&path, content)?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::error::ErrorCode;

    /// One raw ustar entry (no data) and the end blocks, gzip'd.
    fn archive(name: &[u8], kind: EntryType, size_field: Option<&[u8]>) -> Vec<u8> {
        let mut h = Header::new_ustar();
        h.set_entry_type(kind);
        h.set_size(0);
        h.set_mode(0o644);
        let old = h.as_old_mut();
        old.name[..name.len()].copy_from_slice(name);
        if let Some(raw) = size_field {
            old.size = [0; 12];
            old.size[..raw.len()].copy_from_slice(raw);
        }
        h.set_cksum();
        let mut tar = h.as_bytes().to_vec();
        tar.resize(512 + 1024, 0);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    const SECRET: &[u8] = b"ghp_CanaryS3cretT0ken0123456789abcdef";

    /// Found by the archive fuzz harness: a pax `path` record whose value
    /// holds a newline was dropped by the tar crate, which then used the
    /// header's harmless name (`hello.wasm`) — the package was accepted,
    /// while another tar reader sees `x\n.wasm`. Any pax header is refused.
    #[test]
    fn pax_headers_are_refused() {
        let record = b"16 path=x\n.wasm\n";
        for data in [&record[..], b"19 path=plugin.toml\n", b"12 size=999\n"] {
            let mut pax = Header::new_ustar();
            pax.set_entry_type(EntryType::XHeader);
            pax.set_size(data.len() as u64);
            pax.set_path("PaxHeaders/x").unwrap();
            pax.set_cksum();
            let mut tar = pax.as_bytes().to_vec();
            tar.extend_from_slice(data);
            tar.resize(1024, 0);
            let mut file = Header::new_ustar();
            file.set_entry_type(EntryType::Regular);
            file.set_path("plugin.toml").unwrap();
            file.set_size(0);
            file.set_cksum();
            tar.extend_from_slice(file.as_bytes());
            tar.resize(tar.len() + 1024, 0);
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), Compression::fast());
            gz.write_all(&tar).unwrap();
            let err = read(&gz.finish().unwrap()).unwrap_err();
            assert_eq!(err.code(), "malformed-archive", "{err}");
        }
    }

    /// Found by the archive fuzz harness (`conformance/src/fuzz/`): the
    /// tar parser's message quoted the raw size field and the entry name
    /// (control characters, a secret-looking name) into
    /// `malformed-archive`.
    #[test]
    fn malformed_headers_are_reported_without_their_bytes() {
        let name = [SECRET, b"\x1b]0;x\x07"].concat();
        let err = read(&archive(&name, EntryType::Regular, Some(b"zz\x07\x1bzz"))).unwrap_err();
        assert_eq!(err.code(), "malformed-archive");
        let shown = err.to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(!shown.contains("ghp_") && !shown.contains("zz"), "{shown}");
    }

    /// Found by the archive fuzz harness: a refused entry's name was
    /// echoed even when it looked like a secret; it is masked now.
    #[test]
    fn refused_entry_names_mask_secret_segments() {
        for kind in [EntryType::Symlink, EntryType::Link, EntryType::Fifo] {
            let err = read(&archive(SECRET, kind, None)).unwrap_err();
            let shown = err.to_string();
            assert!(!shown.contains("ghp_"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
        let err = read(&archive(b"docs/a\x1b[2J", EntryType::Symlink, None)).unwrap_err();
        assert_eq!(err.code(), "symlink");
        assert!(err.to_string().contains("docs/a?[2J"), "{err}");
    }
}
