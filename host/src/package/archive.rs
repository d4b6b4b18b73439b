//! The `.yoi-plugin` archive: deterministic gzip'd tar, read defensively.
//!
//! Writing: entries sorted by path, regular files only, mode 0644, uid/gid
//! 0, mtime 0, no owner names, gzip header mtime 0 — the same files always
//! give the same bytes. Reading: only regular-file entries (directory
//! entries are ignored; symlinks, hardlinks, devices, FIFOs and anything
//! else are rejected), every path checked, sizes checked from the header
//! before reading, the expansion bounded in total and in ratio while
//! decompressing.

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
        None => PackageError::MalformedArchive(crate::diag::bound(&err.to_string(), 120)),
    }
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
