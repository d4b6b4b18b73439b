"""``hostile-py``: a test fixture that tries to reach the host from inside
a stock componentize-py guest, through Python's own standard library.

Every tool reports what happened and never raises: the tests assert that
each attempt failed (``ok`` is false) and that nothing of the host came
back. A successful attempt reports only a count, never content.

* ``open`` -- ``open(path, "rb").read()``
* ``listdir`` -- ``os.listdir(path)``
* ``connect`` -- ``socket.socket(...).connect((host, port))``
* ``resolve`` -- ``socket.getaddrinfo(host, 80)``
* ``environ`` -- ``os.environ`` names and ``os.getcwd()``
"""

import encodings.idna  # noqa: F401 -- bundled: socket encodes host names with it
import os
import socket

from yoi_plugin import Tools, log

tools = Tools()


def _failed(e):
    return {"ok": False, "error": f"{type(e).__name__}: {e}"[:200]}


@tools.tool("open")
def open_file(args):
    try:
        with open(args["path"], "rb") as f:
            return {"ok": True, "bytes": len(f.read())}
    except Exception as e:  # noqa: BLE001 -- every failure is the answer
        return _failed(e)


@tools.tool("listdir")
def listdir(args):
    try:
        return {"ok": True, "entries": len(os.listdir(args["path"]))}
    except Exception as e:  # noqa: BLE001
        return _failed(e)


@tools.tool("connect")
def connect(args):
    try:
        family = socket.AF_INET6 if ":" in args["host"] else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect((args["host"], args["port"]))
        return {"ok": True}
    except Exception as e:  # noqa: BLE001
        return _failed(e)


@tools.tool("resolve")
def resolve(args):
    try:
        return {"ok": True, "addresses": len(socket.getaddrinfo(args["host"], 80))}
    except Exception as e:  # noqa: BLE001
        return _failed(e)


@tools.tool("environ")
def environ(args):
    log.info("environ probed")
    try:
        cwd = os.getcwd()
    except Exception as e:  # noqa: BLE001
        cwd = _failed(e)["error"]
    return {"names": sorted(os.environ.keys()), "cwd": cwd}


Tool = tools.export()
