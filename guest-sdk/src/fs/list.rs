//! [`list`]: an iterator over a whole directory that follows cursors.

use std::collections::VecDeque;
use std::iter::FusedIterator;

use super::*;

/// Iterate over all entries of the directory `path`, in name order,
/// following the host's cursors page by page.
///
/// Each page is one host call, fetched when the previous one is used up.
/// The first error (including a host that repeats a cursor, which would
/// loop forever) is yielded once and ends the iteration.
///
/// ```no_run
/// use yoi_plugin_sdk::fs::{self, EntryKind, FsError};
///
/// let mut files = Vec::new();
/// for entry in fs::list("notes") {
///     let entry = entry?;
///     if entry.kind == EntryKind::File {
///         files.push(entry.name);
///     }
/// }
/// # Ok::<(), FsError>(())
/// ```
pub fn list(path: &str) -> ListIter {
    ListIter {
        path: path.to_owned(),
        cursor: None,
        entries: VecDeque::new(),
        done: false,
    }
}

/// The iterator returned by [`list`].
#[derive(Debug)]
pub struct ListIter {
    pub(super) path: String,
    pub(super) cursor: Option<String>,
    pub(super) entries: VecDeque<DirEntry>,
    pub(super) done: bool,
}

impl Iterator for ListIter {
    type Item = Result<DirEntry, FsError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(entry) = self.entries.pop_front() {
                return Some(Ok(entry));
            }
            if self.done {
                return None;
            }
            let page = list_page(&self.path, self.cursor.as_deref(), PAGE_REQUEST);
            if let Err(e) = page.and_then(|page| self.accept(page)) {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}

impl ListIter {
    /// Take `page` (listed after `self.cursor`) as the next page.
    pub(super) fn accept(&mut self, page: ListPage) -> Result<(), FsError> {
        if page.next_cursor.is_some() && page.next_cursor == self.cursor {
            return Err(FsError::new(
                ErrorCode::Io,
                "the host returned the same list cursor twice",
            ));
        }
        self.entries.extend(page.entries);
        self.done = page.next_cursor.is_none();
        self.cursor = page.next_cursor;
        Ok(())
    }
}

impl FusedIterator for ListIter {}
