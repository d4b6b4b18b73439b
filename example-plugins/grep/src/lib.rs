//! `grep`: plain substring search through granted files.
//!
//! Needs a grant with `read` (and `list` to search directories; `stat` is
//! used on the starting path where the host implements it).
//!
//! Tool `search` — input:
//!
//! ```json
//! {"path": "<mount>/<dir or file>", "pattern": "substring", "max_matches": 100}
//! ```
//!
//! (`max_matches` is optional, default 100). Output:
//!
//! ```json
//! {"matches": [{"path": "src/a.rs", "line": 3, "text": "the line"}],
//!  "files_scanned": 2, "files_skipped": 0, "truncated": false}
//! ```
//!
//! Directories are walked recursively in name order with paged listings;
//! symlinks are skipped (never followed). Files are read page by page and
//! split into lines across page boundaries; `line` is 1-based, `text` is the
//! line without its line ending, decoded lossily as UTF-8 and cut to
//! [`MAX_TEXT_BYTES`]. A file or directory the grant does not cover (or that
//! vanishes, or turns into a symlink, mid-walk) is counted in
//! `files_skipped` instead of failing the search. `truncated` is true when
//! there were more matches than `max_matches`, or when the invocation's fs
//! budget ran out (`limit-exceeded`) before the walk finished.

use std::io::BufRead;

use serde::{Deserialize, Serialize};
use yoi_plugin_sdk::fs::{self, EntryKind, ErrorCode, FsError, Reader};
use yoi_plugin_sdk::{Plugin, ToolError, Tools, export_plugin, warn};

/// Matched lines longer than this are cut (at a character boundary).
const MAX_TEXT_BYTES: usize = 1024;

fn default_max_matches() -> usize {
    100
}

/// Input of `search`.
#[derive(Deserialize)]
struct SearchIn {
    path: String,
    pattern: String,
    #[serde(default = "default_max_matches")]
    max_matches: usize,
}

/// One matching line.
#[derive(Serialize)]
struct Match {
    path: String,
    line: u64,
    text: String,
}

/// Output of `search`.
#[derive(Serialize, Default)]
struct SearchOut {
    matches: Vec<Match>,
    files_scanned: u64,
    files_skipped: u64,
    truncated: bool,
}

/// Whether the walk goes on.
enum Flow {
    Continue,
    Stop,
}

/// Errors that concern one entry only: skip it and go on.
fn skippable(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Denied
            | ErrorCode::NotFound
            | ErrorCode::InvalidPath
            | ErrorCode::TooLarge
            | ErrorCode::NotAFile
            | ErrorCode::NotADirectory
            | ErrorCode::Symlink
            | ErrorCode::Conflict
    )
}

struct Search {
    pattern: String,
    max_matches: usize,
    out: SearchOut,
}

impl Search {
    /// Deal with an fs error met on `path` during the walk.
    fn on_error(&mut self, path: &str, err: FsError) -> Result<Flow, ToolError> {
        if err.code == ErrorCode::LimitExceeded {
            warn!("search stopped early: {err}");
            self.out.truncated = true;
            Ok(Flow::Stop)
        } else if skippable(err.code) {
            warn!("skipped {path}: {err}");
            self.out.files_skipped += 1;
            Ok(Flow::Continue)
        } else {
            Err(err.into())
        }
    }

    /// Scan one file; `Stop` once `max_matches` is exceeded.
    fn scan_file(&mut self, path: &str) -> Result<Flow, FsError> {
        let mut reader = Reader::new(path);
        let mut line = Vec::new();
        let mut number = 0u64;
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(FsError::from(e)),
            }
            number += 1;
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches('\n').trim_end_matches('\r');
            if !text.contains(&self.pattern) {
                continue;
            }
            if self.out.matches.len() == self.max_matches {
                self.out.truncated = true;
                return Ok(Flow::Stop);
            }
            self.out.matches.push(Match {
                path: path.to_owned(),
                line: number,
                text: cut(text, MAX_TEXT_BYTES).to_owned(),
            });
        }
        self.out.files_scanned += 1;
        Ok(Flow::Continue)
    }

    fn walk(&mut self, root: &str) -> Result<(), ToolError> {
        let mut pending = vec![root.to_owned()];
        while let Some(dir) = pending.pop() {
            let mut subdirs = Vec::new();
            for entry in fs::list(&dir) {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) if dir == root => return Err(e.into()),
                    Err(e) => match self.on_error(&dir, e)? {
                        Flow::Continue => break,
                        Flow::Stop => return Ok(()),
                    },
                };
                let path = format!("{dir}/{}", entry.name);
                match entry.kind {
                    EntryKind::File => {
                        let flow = match self.scan_file(&path) {
                            Ok(flow) => flow,
                            Err(e) => self.on_error(&path, e)?,
                        };
                        if let Flow::Stop = flow {
                            return Ok(());
                        }
                    }
                    EntryKind::Directory => subdirs.push(path),
                    EntryKind::Symlink | EntryKind::Other => {}
                }
            }
            // Depth first, in name order.
            pending.extend(subdirs.into_iter().rev());
        }
        Ok(())
    }
}

/// The longest prefix of `text` of at most `max` bytes, at a char boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn search(input: SearchIn) -> Result<SearchOut, ToolError> {
    if input.pattern.is_empty() {
        return Err(ToolError::invalid_input("pattern must not be empty"));
    }
    let mut search = Search {
        pattern: input.pattern,
        max_matches: input.max_matches,
        out: SearchOut::default(),
    };
    let kind = match fs::stat(&input.path) {
        Ok(meta) => meta.kind,
        Err(e) if e.code == ErrorCode::Symlink => EntryKind::Symlink,
        Err(e) => return Err(e.into()),
    };
    match kind {
        EntryKind::File => match search.scan_file(&input.path) {
            Ok(_) => {}
            Err(e) if e.code == ErrorCode::LimitExceeded => {
                search.on_error(&input.path, e)?;
            }
            Err(e) => return Err(e.into()),
        },
        EntryKind::Directory => search.walk(&input.path)?,
        EntryKind::Symlink | EntryKind::Other => {
            return Err(ToolError::invalid_input(
                "path must name a regular file or a directory (symlinks are not followed)",
            ));
        }
    }
    Ok(search.out)
}

struct Grep;

impl Plugin for Grep {
    fn tools() -> Tools {
        Tools::new().tool("search", search)
    }
}

export_plugin!(Grep, tools = ["search"]);

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("héllo", 3), "hé");
        assert_eq!(cut("abc", 10), "abc");
    }
}
