//! `notes`: a journal kept in files under a granted mount.
//!
//! Needs a grant on the mount with `read` and `write` (and `list` for the
//! `list` tool). Paths are guest paths, `<mount>/<path>`.
//!
//! Tools:
//!
//! * `append` — input `{"path": "notes/journal.md", "text": "one line"}`,
//!   output `{"size": n, "digest": "<sha-256 hex>"}` (of the whole new
//!   file). Appends `text` as one line. It reads the file and writes it back
//!   with compare-and-swap on the digest it read, so a concurrent append is
//!   never lost: on `conflict` it re-reads and retries, a bounded number of
//!   times.
//! * `read` — input `{"path": ...}`, output `{"text": "..."}`: the whole file
//!   (paged reads), which must be UTF-8.
//! * `list` — input `{"path": "notes"}`, output
//!   `{"entries": [{"name": "journal.md", "kind": "file", "size": n}, ...]}`:
//!   every entry of the directory in name order (following list cursors);
//!   `kind` is `file`, `directory`, `symlink` or `other`.
//! * `digest` — input `{"path": ...}`, output
//!   `{"sha256": "<hex>", "bytes": n}`: the SHA-256 of the whole file,
//!   hashed page by page as it is read (the file is never held whole; the
//!   benchmark of fs read throughput inside a guest uses it).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use yoi_plugin_sdk::fs::{self, DirEntry, ErrorCode, Reader, WriteResult};
use yoi_plugin_sdk::{Plugin, ToolError, Tools, debug, export_plugin};

/// How many read + compare-and-swap rounds `append` tries before giving up.
const MAX_ATTEMPTS: u32 = 8;

/// Input of `append`.
#[derive(Deserialize)]
struct AppendIn {
    path: String,
    text: String,
}

/// Input of `read` and `list`.
#[derive(Deserialize)]
struct PathIn {
    path: String,
}

/// Output of `read`.
#[derive(Serialize)]
struct ReadOut {
    text: String,
}

/// Output of `list`.
#[derive(Serialize)]
struct ListOut {
    entries: Vec<DirEntry>,
}

/// Output of `digest`.
#[derive(Serialize)]
struct DigestOut {
    sha256: String,
    bytes: u64,
}

fn append(input: AppendIn) -> Result<WriteResult, ToolError> {
    if input.text.contains(['\n', '\r']) {
        return Err(ToolError::invalid_input("text must be a single line"));
    }
    for attempt in 1..=MAX_ATTEMPTS {
        let (mut content, expected) = match fs::read_to_bytes(&input.path) {
            Ok(old) => {
                let digest = fs::content_digest(&old);
                (old, Some(digest))
            }
            Err(e) if e.code == ErrorCode::NotFound => (Vec::new(), None),
            // The file changed between two pages of the read: start over.
            Err(e) if e.code == ErrorCode::Conflict => {
                debug!("append attempt {attempt}: journal changed while reading");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if !content.is_empty() && !content.ends_with(b"\n") {
            content.push(b'\n');
        }
        content.extend_from_slice(input.text.as_bytes());
        content.push(b'\n');
        match fs::write_if_unchanged(&input.path, &content, expected.as_deref()) {
            Ok(written) => return Ok(written),
            Err(e) if e.code == ErrorCode::Conflict => {
                debug!("append attempt {attempt}: journal changed before the write");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ToolError::failed(format!(
        "conflict: the journal kept changing; gave up after {MAX_ATTEMPTS} attempts"
    )))
}

fn read(input: PathIn) -> Result<ReadOut, ToolError> {
    Ok(ReadOut {
        text: fs::read_to_string(&input.path)?,
    })
}

fn list(input: PathIn) -> Result<ListOut, ToolError> {
    let entries = fs::list(&input.path).collect::<Result<Vec<_>, _>>()?;
    Ok(ListOut { entries })
}

fn digest(input: PathIn) -> Result<DigestOut, ToolError> {
    let mut reader = Reader::new(input.path);
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    loop {
        let page = reader.fill_page()?;
        if page.is_empty() {
            break;
        }
        hasher.update(page);
        let len = page.len();
        bytes += len as u64;
        std::io::BufRead::consume(&mut reader, len);
    }
    Ok(DigestOut {
        sha256: hex::encode(hasher.finalize()),
        bytes,
    })
}

struct Notes;

impl Plugin for Notes {
    fn tools() -> Tools {
        Tools::new()
            .tool("append", append)
            .tool("read", read)
            .tool("list", list)
            .tool("digest", digest)
    }
}

export_plugin!(Notes, tools = ["append", "read", "list", "digest"]);
