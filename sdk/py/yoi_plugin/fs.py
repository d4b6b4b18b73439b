"""yoi plugin SDK for Python: the ``fs`` host API, with errors as exceptions
a tool can handle.

Paths are ``<mount>/<path inside the mount>``; only what the host granted to
this plugin is reachable (see wit/v1/yoi-plugin.wit). Importing this module
makes the component import ``yoi:plugin/fs@1.0.0``, so the manifest must
list ``"fs"`` in ``permissions.host_apis``. (Python's own ``open()`` reaches
no host file: the host links ``wasi:filesystem`` without preopens.)

Every function raises :class:`FsError` (with a stable ``code`` such as
``"not-found"`` or ``"denied"``) instead of the bindings' ``Err``. Left
uncaught in a handler, the router turns it into the tool error
``failed("<code>: <message>")``; nothing traps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import List, Optional, Union

from componentize_py_types import Err
from wit_world.imports import fs as _host

__all__ = [
    "ABSENT",
    "DirEntry",
    "FsError",
    "content_digest",
    "create_new",
    "list",
    "list_page",
    "read",
    "read_bytes",
    "read_text",
    "stat",
    "write",
    "write_if_unchanged",
    "write_with",
]

#: The ``expected_digest`` meaning "the file must not exist yet".
ABSENT = "absent"

#: Ask for as much as the host allows per call (it caps every request).
_PAGE_REQUEST = 0xFFFF_FFFF

_MODES = {
    "create-or-replace": _host.WriteMode.CREATE_OR_REPLACE,
    "create-new": _host.WriteMode.CREATE_NEW,
    "replace-existing": _host.WriteMode.REPLACE_EXISTING,
}

Data = Union[bytes, bytearray, str]


def _kebab(enum_value) -> str:
    return enum_value.name.lower().replace("_", "-")


class FsError(Exception):
    """An fs error: a stable ``code`` and the host's short, redacted message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class DirEntry:
    name: str
    kind: str  # "file", "directory", "symlink" or "other"
    size: int


def _call(f, *args):
    try:
        return f(*args)
    except Err as e:
        v = e.value
        raise FsError(_kebab(v.code), v.message) from None


def _bytes(data: Data) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)


def content_digest(data: Data) -> str:
    """SHA-256 hex of ``data``: what writes report and compare-and-swap expects."""
    return hashlib.sha256(_bytes(data)).hexdigest()


# -- raw calls: one host call each ------------------------------------------


def read(path: str, offset: int = 0, max_len: int = _PAGE_REQUEST):
    """One page: ``.data`` (bytes), ``.size`` (whole file), ``.truncated``."""
    return _call(_host.read, path, offset, max_len)


def list_page(path: str, cursor: Optional[str] = None, max_entries: int = _PAGE_REQUEST):
    """One page of a listing: ``(entries, next_cursor)``."""
    page = _call(_host.list, path, cursor, max_entries)
    entries = [DirEntry(e.name, _kebab(e.kind), e.size) for e in page.entries]
    return entries, page.next_cursor


def stat(path: str) -> DirEntry:
    """Metadata of ``path`` (symlinks are not followed); ``name`` is the path."""
    m = _call(_host.stat, path)
    return DirEntry(path, _kebab(m.kind), m.size)


def write_with(
    path: str,
    data: Data,
    mode: str = "create-or-replace",
    expected_digest: Optional[str] = None,
):
    """Write the whole content atomically; returns ``.size`` and ``.digest``."""
    options = _host.WriteOptions(mode=_MODES[mode], expected_digest=expected_digest)
    return _call(_host.write, path, _bytes(data), options)


# -- conveniences ------------------------------------------------------------


def write(path: str, data: Data):
    """Create or replace ``path``."""
    return write_with(path, data)


def create_new(path: str, data: Data):
    """Create ``path``; ``FsError("already-exists")`` if it exists."""
    return write_with(path, data, mode="create-new")


def write_if_unchanged(path: str, data: Data, expected: Optional[str]):
    """Compare-and-swap: write only if the current content has digest
    ``expected`` (or, with ``None``, only if the file does not exist);
    ``FsError("conflict")`` otherwise, and nothing changes."""
    return write_with(path, data, expected_digest=expected if expected is not None else ABSENT)


def read_bytes(path: str) -> bytes:
    """The whole file, paging until complete. A size change between pages
    raises ``FsError("conflict")``: read again."""
    chunks: List[bytes] = []
    offset = 0
    size = None
    while True:
        page = read(path, offset)
        if size is None:
            size = page.size
        elif page.size != size:
            raise FsError("conflict", "the file changed while it was read")
        chunks.append(page.data)
        offset += len(page.data)
        if not page.truncated:
            return b"".join(chunks)
        if not page.data:
            raise FsError("conflict", "the file changed while it was read")


def read_text(path: str) -> str:
    """The whole file as UTF-8 text; ``FsError("io")`` if it is not UTF-8."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FsError("io", f"the file is not valid UTF-8 (at byte {e.start})") from None


def list(path: str) -> List[DirEntry]:  # noqa: A001 - mirrors the WIT name
    """Every entry of a directory, in name order, following the cursors."""
    entries: List[DirEntry] = []
    cursor = None
    while True:
        page, cursor = list_page(path, cursor)
        entries.extend(page)
        if cursor is None:
            return entries
