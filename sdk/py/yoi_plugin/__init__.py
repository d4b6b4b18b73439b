"""yoi plugin SDK for Python: the tools router.

A plugin module (the app componentize-py is pointed at) defines its tools
and binds the ``yoi:plugin/tool@1.0.0`` export as ``Tool``::

    from yoi_plugin import Tools, ToolError

    tools = Tools()

    @tools.tool("greet")
    def greet(args):
        return {"greeting": f"Hello, {args['name']}!"}

    Tool = tools.export()

Handlers take the parsed input JSON and return a JSON-serialisable value.
Whatever a handler raises becomes a ``tool-error``, never a trap:

=================================  ================================
raised                             tool-error
=================================  ================================
(no tool of that name)             unknown-tool(name)
(input is not JSON)                invalid-input(parser message)
``ToolError.invalid_input(msg)``   invalid-input(msg)
``ToolError.failed(msg)``          failed(msg)
``yoi_plugin.fs.FsError``          failed("<code>: <message>")
any other ``Exception``            failed("<Type>: <message>")
=================================  ================================

This module imports nothing from the host, so it also runs natively (unit
tests: ``Tools.call``). fs helpers are in ``yoi_plugin.fs``, logging in
``yoi_plugin.log``; importing either makes the component import that host
API, which the manifest's ``permissions.host_apis`` must list.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List

__all__ = ["ToolError", "Tools"]

Handler = Callable[[Any], Any]


class ToolError(Exception):
    """Why a tool call failed; becomes the WIT ``tool-error`` variant."""

    KINDS = ("unknown-tool", "invalid-input", "failed")

    def __init__(self, kind: str, message: str) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown tool-error kind: {kind}")
        super().__init__(message)
        self.kind = kind
        self.message = message

    @classmethod
    def invalid_input(cls, message: object) -> "ToolError":
        """The input was well-formed but a value in it is unacceptable."""
        return cls("invalid-input", str(message))

    @classmethod
    def failed(cls, message: object) -> "ToolError":
        """The tool ran and failed."""
        return cls("failed", str(message))

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class Tools:
    """The router of a plugin's tools: tool name -> handler."""

    def __init__(self) -> None:
        self._handlers: Dict[str, Handler] = {}

    def add(self, name: str, handler: Handler) -> "Tools":
        """Register ``handler(input) -> output`` under ``name``; returns the router."""
        if not callable(handler):
            raise TypeError(f"yoi plugin: the handler of tool {name!r} is not callable")
        if name in self._handlers:
            raise ValueError(f"yoi plugin: tool {name!r} registered twice")
        self._handlers[name] = handler
        return self

    def tool(self, name: str) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`add`."""

        def register(handler: Handler) -> Handler:
            self.add(name, handler)
            return handler

        return register

    def names(self) -> List[str]:
        """The registered tool names, sorted."""
        return sorted(self._handlers)

    def call(self, name: str, input: str) -> str:
        """Dispatch one call: input JSON text -> output JSON text.

        Raises :class:`ToolError`, or whatever the handler raised.
        """
        handler = self._handlers.get(name)
        if handler is None:
            raise ToolError("unknown-tool", name)
        try:
            args = json.loads(input)
        except ValueError as e:
            raise ToolError.invalid_input(f"input is not JSON: {e}") from None
        output = handler(args)
        try:
            return json.dumps(output, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise ToolError.failed(f"cannot serialize the tool output: {e}") from None

    def export(self) -> type:
        """The class componentize-py binds to the ``tool`` export.

        Assign it to ``Tool`` at module level: ``Tool = tools.export()``.
        Every exception is mapped onto the WIT ``tool-error`` variant (see
        the module docs), so a failing tool never traps.
        """
        # The generated bindings exist only inside componentize-py's build;
        # importing them here keeps this module importable natively.
        from componentize_py_types import Err
        from wit_world import exports
        from wit_world.exports import tool as wit

        variants = {
            "unknown-tool": wit.ToolError_UnknownTool,
            "invalid-input": wit.ToolError_InvalidInput,
            "failed": wit.ToolError_Failed,
        }
        router = self

        class Tool(exports.Tool):
            def call(self, name: str, input: str) -> str:
                try:
                    return router.call(name, input)
                except Exception as e:  # noqa: BLE001 - every error becomes a tool-error
                    kind, message = to_tool_error(e)
                    raise Err(variants[kind](message)) from None

        return Tool


def to_tool_error(e: BaseException) -> "tuple[str, str]":
    """``(kind, message)`` of the WIT ``tool-error`` for an exception."""
    if isinstance(e, ToolError):
        return e.kind, e.message
    code = getattr(e, "code", None)
    if type(e).__name__ == "FsError" and isinstance(code, str):
        return "failed", str(e)
    return "failed", f"{type(e).__name__}: {e}"
