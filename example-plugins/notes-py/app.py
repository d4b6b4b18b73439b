"""``notes-py``: a journal kept in files under a granted mount, in Python.

A simpler ``notes``. Needs a grant on the mount with ``read`` and ``write``.
Paths are guest paths, ``<mount>/<path>``.

Tools:

* ``read`` -- input ``{"path": "notes/journal.md"}``, output
  ``{"text": "..."}``: the whole file (paged reads), which must be UTF-8.
* ``append`` -- input ``{"path": ..., "text": "one line"}``, output
  ``{"size": n, "digest": "<sha-256 hex>"}`` of the whole new file. Appends
  ``text`` as one line with compare-and-swap on the digest it read, so a
  concurrent append is never lost: on ``conflict`` it re-reads and retries,
  a bounded number of times.

Build: ``cargo xtask build-plugins`` (or, by hand, with the pinned
componentize-py: ``python sdk/py/build.py --wit wit/v1 --imports fs,log
-p example-plugins/notes-py -o target/plugins/notes-py.wasm app``).
"""

from yoi_plugin import ToolError, Tools, fs, log

#: How many read + compare-and-swap rounds ``append`` tries before giving up.
MAX_ATTEMPTS = 8

tools = Tools()


def _str_field(args, name):
    value = args.get(name) if isinstance(args, dict) else None
    if not isinstance(value, str):
        raise ToolError.invalid_input(f"{name} must be a string")
    return value


@tools.tool("read")
def read(args):
    return {"text": fs.read_text(_str_field(args, "path"))}


@tools.tool("append")
def append(args):
    path, text = _str_field(args, "path"), _str_field(args, "text")
    if "\n" in text or "\r" in text:
        raise ToolError.invalid_input("text must be a single line")
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            old = fs.read_bytes(path)
            expected = fs.content_digest(old)
        except fs.FsError as e:
            if e.code == "not-found":
                old, expected = b"", None
            elif e.code == "conflict":  # changed between two pages: start over
                log.debug(f"append attempt {attempt}: journal changed while reading")
                continue
            else:
                raise
        if old and not old.endswith(b"\n"):
            old += b"\n"
        try:
            written = fs.write_if_unchanged(path, old + text.encode("utf-8") + b"\n", expected)
        except fs.FsError as e:
            if e.code != "conflict":
                raise
            log.debug(f"append attempt {attempt}: journal changed before the write")
            continue
        return {"size": written.size, "digest": written.digest}
    raise ToolError.failed(
        f"conflict: the journal kept changing; gave up after {MAX_ATTEMPTS} attempts"
    )


Tool = tools.export()
