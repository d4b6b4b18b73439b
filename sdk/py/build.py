#!/usr/bin/env python3
"""Builds a yoi plugin written in Python into a component.

    python build.py --wit <dir> [--imports fs,log] -o <out.wasm> [-p DIR ...] APP

--wit      the ABI's WIT directory (this repository's wit/v1).
--imports  the host APIs the plugin uses (its manifest's
           ``permissions.host_apis``, comma-separated, may be empty). The
           component is built against a world that imports exactly these
           and exports ``yoi:plugin/tool@1.0.0``. Without the flag the ABI's
           own world ``plugin`` is used (imports fs and log).
-p         directories holding the app and its dependencies (the SDK
           package ``yoi_plugin`` next to this file is always added). They
           are copied first, so no ``__pycache__`` lands in the tree.
APP        the app module's name (e.g. ``app`` for app.py).

Run it with the Python that has the pinned componentize-py installed
(requirements.txt); it calls that installation's ``componentize-py``.
WASI is not stubbed (no ``--stub-wasi``): CPython's runtime imports
wasi:cli, wasi:clocks, wasi:random, wasi:filesystem and wasi:sockets, which
a yoi host links without authority (no preopens, sockets that refuse).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST_APIS = ("fs", "log")
ABI_PACKAGE, ABI_VERSION = "yoi:plugin", "1.0.0"
SDK_DIR = Path(__file__).resolve().parent


def narrow_world(abi_wit: Path, apis: list[str], into: Path) -> Path:
    """A WIT directory whose world ``plugin`` imports exactly ``apis`` and
    exports the tool interface, with the ABI package under deps/."""
    deps = into / "deps" / "yoi-plugin"
    deps.mkdir(parents=True, exist_ok=True)
    for f in sorted(abi_wit.glob("*.wit")):
        shutil.copy(f, deps / f.name)
    lines = ["package yoi:plugin-guest;", "", "world plugin {"]
    lines += [f"  import {ABI_PACKAGE}/{api}@{ABI_VERSION};" for api in apis]
    lines += [f"  export {ABI_PACKAGE}/tool@{ABI_VERSION};", "}", ""]
    (into / "world.wit").write_text("\n".join(lines))
    return into


def componentize_py() -> str:
    exe = Path(sys.executable).parent / "componentize-py"
    if exe.exists():
        return str(exe)
    found = shutil.which("componentize-py")
    if not found:
        sys.exit("error: componentize-py not found (pip install -r requirements.txt)")
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wit", required=True, type=Path)
    ap.add_argument("--imports")
    ap.add_argument("-o", "--out", required=True, type=Path)
    ap.add_argument("-p", "--python-path", action="append", default=[], type=Path)
    ap.add_argument("app")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="yoi-py-wit-") as scratch:
        wit = args.wit.resolve()
        if args.imports is not None:
            apis = sorted({a.strip() for a in args.imports.split(",") if a.strip()})
            unknown = [a for a in apis if a not in HOST_APIS]
            if unknown:
                sys.exit(f"error: unknown host API(s) {unknown} (known: {', '.join(HOST_APIS)})")
            wit = narrow_world(wit, apis, Path(scratch) / "wit")
        # componentize-py compiles what it imports and writes __pycache__
        # next to the sources: give it copies, so the tree stays clean.
        cmd = [componentize_py(), "-q", "-d", str(wit), "-w", "plugin", "componentize"]
        skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
        for i, src in enumerate(p.resolve() for p in args.python_path):
            copy = Path(scratch) / "src" / str(i)
            shutil.copytree(src, copy, ignore=skip)
            cmd += ["-p", str(copy)]
        sdk = Path(scratch) / "src" / "sdk"
        shutil.copytree(SDK_DIR / "yoi_plugin", sdk / "yoi_plugin", ignore=skip)
        cmd += ["-p", str(sdk)]
        out = args.out.resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd += ["-o", str(out), args.app]
        started = time.monotonic()
        # Run from a scratch directory: componentize-py's default python
        # path is "." and nothing of the caller's should be picked up.
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        subprocess.run(cmd, check=True, cwd=scratch, env=env)
    print(
        f"componentize-py: {out} ({out.stat().st_size} bytes, "
        f"{time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
