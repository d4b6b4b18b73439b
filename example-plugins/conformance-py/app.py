"""``conformance-py``: the conformance guest in Python.

One tool, ``ops``, the same contract as the Rust ``hostile`` plugin's
``ops``: input ``{"ops": [CALL, ...]}``, each CALL ``{"op": "read" | "list" |
"write" | "stat", "path", "offset", "max_len", "cursor", "max_entries",
"text", "fill_bytes", "mode", "expected_digest", "max_text"}`` (all but
``op`` and ``path`` optional), run in order in one invocation through the
Python SDK's raw ``fs`` calls; output ``{"results": [OUTCOME, ...]}``, each
``{"ok": RESULT}`` or ``{"error": {"code", "message"}}``. The conformance
suite (``conformance/``) runs every case through it, so the same cases
check the Python bindings.

Build: ``cargo xtask build-plugins``.
"""

from yoi_plugin import ToolError, Tools, fs

tools = Tools()

_ALL = 0xFFFF_FFFF


def _run(call):
    op, path = call.get("op"), call.get("path")
    if not isinstance(path, str):
        raise ToolError.invalid_input("path must be a string")
    if op == "read":
        r = fs.read(path, call.get("offset", 0), call.get("max_len", _ALL))
        data = bytes(r.data)
        shown = data[: call["max_text"]] if call.get("max_text") is not None else data
        return {
            "text": shown.decode("utf-8", "replace"),
            "size": r.size,
            "truncated": r.truncated,
            "len": len(data),
        }
    if op == "list":
        entries, cursor = fs.list_page(path, call.get("cursor"), call.get("max_entries", _ALL))
        return {
            "entries": [{"name": e.name, "kind": e.kind, "size": e.size} for e in entries],
            "next_cursor": cursor,
        }
    if op == "write":
        fill = call.get("fill_bytes")
        data = b"x" * fill if fill is not None else call.get("text", "").encode("utf-8")
        w = fs.write_with(
            path,
            data,
            call.get("mode", "create-or-replace"),
            call.get("expected_digest"),
        )
        return {"size": w.size, "digest": w.digest}
    if op == "stat":
        m = fs.stat(path)
        return {"kind": m.kind, "size": m.size}
    raise ToolError.invalid_input("op must be read, list, write or stat")


@tools.tool("ops")
def ops(args):
    calls = args.get("ops") if isinstance(args, dict) else None
    if not isinstance(calls, list):
        raise ToolError.invalid_input("ops must be a list")
    results = []
    for call in calls:
        try:
            results.append({"ok": _run(call)})
        except fs.FsError as e:
            results.append({"error": {"code": e.code, "message": e.message}})
    return {"results": results}


Tool = tools.export()
