//! [`Reader`]: a paging `io::Read` / `io::BufRead` over one file.

use std::io;

use super::*;

/// A sequential reader of one file that fetches pages on demand.
///
/// Implements [`io::Read`] and [`io::BufRead`], so `read_until`, `lines`
/// and `split` work across page boundaries; their [`io::Error`]s wrap an
/// [`FsError`], which `FsError::from(io_error)` recovers. The same
/// consistency rule as [`read_to_bytes`] applies: a size change between
/// pages fails with [`ErrorCode::Conflict`].
///
/// ```no_run
/// use std::io::BufRead;
/// use yoi_plugin_sdk::fs::{FsError, Reader};
///
/// let mut reader = Reader::new("logs/app.log");
/// let mut line = Vec::new();
/// let mut count = 0;
/// while reader.read_until(b'\n', &mut line).map_err(FsError::from)? > 0 {
///     count += 1;
///     line.clear();
/// }
/// # Ok::<(), FsError>(())
/// ```
#[derive(Debug)]
pub struct Reader {
    pub(super) path: String,
    /// File offset just past the current page.
    pub(super) offset: u64,
    pub(super) page: Vec<u8>,
    /// How much of `page` has been consumed.
    pub(super) pos: usize,
    /// The file size reported by the first page.
    pub(super) size: Option<u64>,
    /// The current page is the last one.
    pub(super) eof: bool,
}

impl Reader {
    /// A reader of `path` positioned at its start. Nothing is read until the
    /// first read call.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            offset: 0,
            page: Vec::new(),
            pos: 0,
            size: None,
            eof: false,
        }
    }

    /// The path being read.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file's size as reported by the first page; `None` before it.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The unread rest of the current page, fetching the next page when the
    /// current one is used up. Empty means end of file. Mark bytes as used
    /// with [`io::BufRead::consume`].
    pub fn fill_page(&mut self) -> Result<&[u8], FsError> {
        if self.pos == self.page.len() && !self.eof {
            self.fetch()?;
        }
        Ok(&self.page[self.pos..])
    }

    pub(super) fn fetch(&mut self) -> Result<(), FsError> {
        let page = read(&self.path, self.offset, PAGE_REQUEST)?;
        self.accept(page)
    }

    /// Take `page` (read at `self.offset`) as the next page, unless it is
    /// inconsistent with what was read so far.
    pub(super) fn accept(&mut self, page: ReadResult) -> Result<(), FsError> {
        let size = *self.size.get_or_insert(page.size);
        let end = u64::try_from(page.data.len())
            .ok()
            .and_then(|len| self.offset.checked_add(len));
        let consistent = page.size == size
            && end.is_some_and(|end| end <= size)
            && if page.truncated {
                !page.data.is_empty()
            } else {
                end == Some(size)
            };
        if !consistent {
            return Err(FsError::new(
                ErrorCode::Conflict,
                "the file changed while it was being read; read it again",
            ));
        }
        self.offset = end.unwrap_or(size);
        self.page = page.data;
        self.pos = 0;
        self.eof = !page.truncated;
        Ok(())
    }
}

impl io::Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let page = self.fill_page().map_err(io::Error::other)?;
        let n = page.len().min(buf.len());
        buf[..n].copy_from_slice(&page[..n]);
        self.pos += n;
        Ok(n)
    }
}

impl io::BufRead for Reader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.fill_page().map_err(io::Error::other)
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.page.len());
    }
}

// ---------------------------------------------------------------------------
// Paged listing.
