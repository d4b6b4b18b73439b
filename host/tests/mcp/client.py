"""Drives `yoi-plugin mcp` with the official MCP Python SDK (a real client).

Run by `host/tests/mcp.rs` as `python client.py CONFIG.json`; the config says
which transport to use and where everything is:

    {
      "transport": "stdio" | "http",
      "server": {"command": ..., "args": [...], "env": {...}, "cwd": ...},   # stdio: we spawn it
      "url": "http://127.0.0.1:PORT/mcp", "token": "...", "server_pid": N,  # http: already running
      "install": [argv...], "remove": [argv...],   # CLI commands run while connected
      "notes_text": "...",                          # content of notes/journal.md
      "forbidden": ["/host/path", "secret", ...]    # must appear in no message
    }

It uses the low-level `ClientSession` with an explicit `initialize()` (the
handshake era, protocol <= 2025-11-25). Each step prints `ok   <step>`; the
first failure prints `FAIL [transport] <step>: <why>` and exits 1.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
import traceback
import warnings
from contextlib import contextmanager
from typing import Any

import anyio
import anyio.to_thread
import httpx2
import mcp_types as types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

# `logging/setLevel` is deprecated as of 2026-07-28; this server is handshake-era.
warnings.filterwarnings("ignore", message=".*logging capability is deprecated.*")
warnings.filterwarnings("ignore", category=DeprecationWarning)

CALL_TIMEOUT_S = 60.0
"""Read timeout of one request (the first call may compile a plugin)."""
INIT_TIMEOUT_S = 180.0
"""Read timeout of `initialize` (a debug host may compile every plugin first)."""
TOOL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
"""MCP tool-name rule (SEP-986, spec 2025-11-25)."""
CODE_PREFIX = re.compile(r"^[a-z][a-z0-9-]*: ")


class StepFailed(Exception):
    step: str | None = None

    def __str__(self) -> str:
        return f"{self.step or '?'}: {super().__str__()}"


class Run:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.transport: str = config["transport"]
        self.step_name = "start"
        # Everything the server said, for the redaction check.
        self.transcript: list[str] = []
        self.logs: list[types.LoggingMessageNotificationParams] = []
        self.list_changed = 0
        self.list_changed_event = anyio.Event()
        self.stream_errors: list[Exception] = []

    # -- reporting -------------------------------------------------------

    @contextmanager
    def step(self, name: str):
        self.step_name = name
        started = time.monotonic()
        try:
            try:
                yield
            except StepFailed:
                raise
            except MCPError as e:
                raise StepFailed(f"unexpected MCP error {e.code}: {e.message} (data={e.data!r})") from e
            except TimeoutError as e:
                raise StepFailed(f"timed out\n{traceback.format_exc()}") from e
            except Exception as e:
                raise StepFailed(f"{type(e).__name__}: {e}\n{traceback.format_exc()}") from e
        except StepFailed as e:
            e.step = e.step or name
            raise
        print(f"ok   [{self.transport}] {name} ({(time.monotonic() - started) * 1000:.0f} ms)", flush=True)

    def check(self, cond: bool, why: str) -> None:
        if not cond:
            raise StepFailed(why)

    def record(self, obj: Any) -> None:
        if hasattr(obj, "model_dump_json"):
            self.transcript.append(obj.model_dump_json(by_alias=True))
        else:
            self.transcript.append(json.dumps(obj, default=str))

    # -- the session's inbound side --------------------------------------

    async def on_message(self, message: Any) -> None:
        if isinstance(message, Exception):
            self.stream_errors.append(message)
            return
        self.record(message)
        if isinstance(message, types.ToolListChangedNotification):
            self.list_changed += 1
            self.list_changed_event.set()

    async def on_log(self, params: types.LoggingMessageNotificationParams) -> None:
        self.logs.append(params)

    # -- helpers -----------------------------------------------------------

    async def list_all_tools(self, session: ClientSession) -> dict[str, types.Tool]:
        tools: dict[str, types.Tool] = {}
        cursor: str | None = None
        for _ in range(100):
            params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
            result = await session.list_tools(params=params)
            self.record(result)
            for tool in result.tools:
                self.check(tool.name not in tools, f"tool {tool.name} listed twice")
                tools[tool.name] = tool
            cursor = result.next_cursor
            if not cursor:
                return tools
        raise StepFailed("tools/list pagination did not end")

    async def call(self, session: ClientSession, name: str, args: dict[str, Any]) -> types.CallToolResult:
        result = await session.call_tool(name, args, read_timeout_seconds=CALL_TIMEOUT_S)
        self.record(result)
        return result

    def text_of(self, result: types.CallToolResult) -> str:
        self.check(len(result.content) >= 1, f"no content: {result!r}")
        block = result.content[0]
        self.check(isinstance(block, types.TextContent), f"content[0] is not text: {block!r}")
        return block.text

    def expect_ok(self, result: types.CallToolResult, what: str) -> Any:
        if result.is_error:
            raise StepFailed(f"{what}: isError: {self.text_of(result)}")
        text = self.text_of(result)
        self.check(result.structured_content is not None, f"{what}: no structuredContent: {result!r}")
        try:
            rendered = json.loads(text)
        except ValueError:
            raise StepFailed(f"{what}: content[0].text is not the JSON output: {text!r}") from None
        self.check(
            rendered == result.structured_content,
            f"{what}: text {rendered!r} != structuredContent {result.structured_content!r}",
        )
        return result.structured_content

    def expect_error(self, result: types.CallToolResult, what: str, *codes: str) -> str:
        self.check(result.is_error is True, f"{what}: expected isError, got {result!r}")
        text = self.text_of(result)
        self.check(CODE_PREFIX.match(text) is not None, f"{what}: text does not start with '<code>: ': {text!r}")
        self.check(
            any(code in text for code in codes),
            f"{what}: expected one of {codes} in the text, got {text!r}",
        )
        self.check(result.structured_content is None, f"{what}: structuredContent on an error: {result!r}")
        return text

    def no_leak(self, text: str, what: str) -> None:
        for secret in self.config.get("forbidden", []):
            self.check(secret not in text, f"{what} leaks {secret!r}: {text[:500]!r}")

    # -- the scenario --------------------------------------------------------

    async def scenario(self, session: ClientSession) -> None:
        cfg = self.config

        with self.step("initialize"):
            with anyio.fail_after(INIT_TIMEOUT_S):
                init = await session.initialize()
            self.record(init)
            self.check(init.protocol_version in HANDSHAKE_PROTOCOL_VERSIONS, f"version {init.protocol_version}")
            info = init.server_info
            self.check(bool(info.name) and bool(info.version), f"serverInfo {info!r}")
            caps = init.capabilities
            self.check(caps.tools is not None, f"no tools capability: {caps!r}")
            self.check(caps.tools.list_changed is True, f"tools.listChanged is not true: {caps.tools!r}")
            self.check(caps.logging is not None, f"no logging capability: {caps!r}")
            print(f"     server {info.name} {info.version}, protocol {init.protocol_version}", flush=True)

        with self.step("list tools"):
            tools = await self.list_all_tools(session)
            for name in tools:
                self.check(TOOL_NAME.match(name) is not None, f"tool name {name!r} breaks the MCP naming rule")
            for name in ("notes.read", "notes.list", "notes.append", "hostile.spin", "hostile.sleep"):
                self.check(name in tools, f"{name} missing from {sorted(tools)}")
            self.check("hello.greet" not in tools, "hello.greet listed before it was installed")
            read = tools["notes.read"]
            self.check(bool(read.description), "notes.read has no description")
            schema = read.input_schema
            self.check(schema.get("type") == "object", f"notes.read inputSchema {schema!r}")
            self.check("path" in (schema.get("required") or []), f"notes.read inputSchema lacks required path: {schema!r}")
            self.check(
                (schema.get("properties") or {}).get("path", {}).get("type") == "string",
                f"notes.read inputSchema path is not a string: {schema!r}",
            )
            self.check(read.output_schema is None, f"notes.read declares no outputSchema: {read.output_schema!r}")
            if "notes.digest" in tools:  # declared with an output_schema in plugin.toml
                out = tools["notes.digest"].output_schema
                self.check(
                    out is not None and set(out.get("required") or []) == {"sha256", "bytes"},
                    f"notes.digest outputSchema {out!r}",
                )
            spin = tools["hostile.spin"]
            self.check(spin.input_schema.get("type") == "object", f"hostile.spin inputSchema {spin.input_schema!r}")
            for name, tool in tools.items():
                a = tool.annotations
                self.check(a is not None, f"{name} has no annotations")
                # Only read + list are granted: every tool is read-only.
                self.check(a.read_only_hint is True, f"{name}: readOnlyHint {a.read_only_hint!r}")
                self.check(a.destructive_hint is False, f"{name}: destructiveHint {a.destructive_hint!r}")
                self.check(a.open_world_hint is False, f"{name}: openWorldHint {a.open_world_hint!r}")
            print(f"     {len(tools)} tools: {' '.join(sorted(tools))}", flush=True)

        with self.step("successful call"):
            out = self.expect_ok(await self.call(session, "notes.read", {"path": "notes/journal.md"}), "notes.read")
            self.check(out == {"text": cfg["notes_text"]}, f"notes.read returned {out!r}")
            listed = self.expect_ok(await self.call(session, "notes.list", {"path": "notes"}), "notes.list")
            names = [e.get("name") for e in listed.get("entries", [])]
            self.check("journal.md" in names, f"notes.list returned {listed!r}")
            if "notes.digest" in tools:
                # A tool with an outputSchema: the SDK validates structuredContent against it.
                data = cfg["notes_text"].encode()
                out = self.expect_ok(await self.call(session, "notes.digest", {"path": "notes/journal.md"}), "digest")
                self.check(
                    out == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)},
                    f"notes.digest returned {out!r}",
                )

        with self.step("invalid input"):
            result = await self.call(session, "notes.read", {})
            text = self.expect_error(result, "notes.read {}", "invalid-input")
            self.check(text.startswith("invalid-input"), f"expected 'invalid-input: …', got {text!r}")
            result = await self.call(session, "notes.read", {"path": "notes/journal.md", "extra": 1})
            self.expect_error(result, "notes.read with an extra property", "invalid-input")

        with self.step("escape attempts"):
            texts = [
                self.expect_error(
                    await self.call(session, "notes.read", {"path": "notes/../outside/secret.txt"}),
                    "'..' out of the mount",
                    "invalid-path",
                ),
                self.expect_error(
                    await self.call(session, "notes.read", {"path": "/etc/passwd"}), "absolute path", "invalid-path"
                ),
                self.expect_error(
                    await self.call(session, "notes.read", {"path": "notes/link/secret.txt"}),
                    "symlink pointing outside",
                    "symlink",
                    "denied",
                ),
                self.expect_error(
                    await self.call(session, "notes.read", {"path": "outside/secret.txt"}),
                    "mount never granted",
                    "denied",
                ),
                self.expect_error(
                    await self.call(session, "notes.append", {"path": "notes/journal.md", "text": "pwned"}),
                    "write with only read granted",
                    "denied",
                ),
            ]
            for text in texts:
                self.no_leak(text, "an error")
            # Nothing was written.
            out = self.expect_ok(await self.call(session, "notes.read", {"path": "notes/journal.md"}), "re-read")
            self.check(out == {"text": cfg["notes_text"]}, f"the journal changed: {out!r}")
            for text in texts:
                print(f"     {text[:120]}", flush=True)

        with self.step("unknown tool is a protocol error"):
            for name in ("nope.nothing", "notes.nothing"):
                try:
                    result = await self.call(session, name, {})
                except MCPError as e:
                    self.record({"code": e.code, "message": e.message, "data": e.data})
                    self.no_leak(f"{e.message} {e.data!r}", "the protocol error")
                    print(f"     {name}: error {e.code}: {e.message}", flush=True)
                else:
                    raise StepFailed(f"{name}: expected a JSON-RPC error, got a tool result {result!r}")

        with self.step("malformed request is a protocol error"):
            # Below the typed API (which cannot build these): the session's
            # JSON-RPC dispatcher sends the raw params.
            malformed = {
                "no name": {"arguments": {}},
                "arguments not an object": {"name": "notes.read", "arguments": "notes/journal.md"},
            }
            for what, params in malformed.items():
                try:
                    raw = await session._dispatcher.send_raw_request("tools/call", params, {"timeout": CALL_TIMEOUT_S})
                except MCPError as e:
                    self.record({"code": e.code, "message": e.message, "data": e.data})
                    print(f"     {what}: error {e.code}: {e.message}", flush=True)
                else:
                    raise StepFailed(f"{what}: expected a JSON-RPC error, got {raw!r}")

        with self.step("logging"):
            await session.set_logging_level("info")
            self.logs.clear()
            self.expect_ok(await self.call(session, "hostile.log_bomb", {"count": 3, "bytes": 7}), "log_bomb")
            with anyio.fail_after(5):
                while not any(p.logger == "hostile" for p in self.logs):
                    await anyio.sleep(0.02)
            await anyio.sleep(0.3)  # let the rest of this call's records arrive
            mine = [p for p in self.logs if p.logger == "hostile"]
            self.check(all(p.level == "info" for p in mine), f"levels {[p.level for p in mine]}")
            self.check(1 <= len(mine) <= 3, f"{len(mine)} records for 3 logged")
            got = len(self.logs)
            await session.set_logging_level("error")
            self.expect_ok(await self.call(session, "hostile.log_bomb", {"count": 2, "bytes": 5}), "log_bomb")
            await anyio.sleep(0.5)
            later = [p for p in self.logs[got:] if p.logger == "hostile"]
            self.check(not later, f"info records sent below the level set (error): {later!r}")
            await session.set_logging_level("info")
            print(f"     {len(mine)} records, e.g. {mine[0].model_dump(by_alias=True, exclude_none=True)}", flush=True)

        with self.step("cancel a spinning call"):
            await self.cancel_spin(session)

        with self.step("list_changed after install"):
            await self.expect_list_changed(cfg["install"])
            tools = await self.list_all_tools(session)
            self.check("hello.greet" in tools, f"hello.greet missing after install: {sorted(tools)}")
            greet = tools["hello.greet"]
            self.check("name" in (greet.input_schema.get("required") or []), f"hello.greet {greet.input_schema!r}")
            out = self.expect_ok(await self.call(session, "hello.greet", {"name": "mcp"}), "hello.greet")
            self.check(out == {"greeting": "Hello, mcp!"}, f"hello.greet returned {out!r}")

        with self.step("list_changed after remove"):
            await self.expect_list_changed(cfg["remove"])
            tools = await self.list_all_tools(session)
            self.check("hello.greet" not in tools, "hello.greet still listed after remove")
            self.check("notes.read" in tools, "notes.read gone after removing hello")

        with self.step("no host path or secret in any message"):
            self.check(not self.stream_errors, f"transport errors: {self.stream_errors!r}")
            for text in self.transcript:
                self.no_leak(text, "a server message")
            print(f"     {len(self.transcript)} messages checked", flush=True)

    async def cancel_spin(self, session: ClientSession) -> None:
        pid = self.server_pid()
        cpu_start = cpu_seconds(pid)
        started = time.monotonic()
        # Leaving the scope cancels call_tool; the SDK's dispatcher then sends
        # notifications/cancelled for the request (shielded courtesy cancel).
        with anyio.move_on_after(0.4) as scope:
            result = await session.call_tool("hostile.spin", {}, read_timeout_seconds=CALL_TIMEOUT_S)
            raise StepFailed(f"hostile.spin returned before the cancel: {result!r}")
        self.check(scope.cancelled_caught, "the cancel scope did not fire")
        cancelled_at = time.monotonic() - started
        spun = cpu_seconds(pid) - cpu_start if pid else None
        # The slot is free again: a following call answers promptly (the
        # test serves with one call slot, so a spin that kept it would hold
        # this call until its 10 s timeout).
        t0 = time.monotonic()
        out = self.expect_ok(
            await session.call_tool("hostile.sleep", {"ms": 1}, read_timeout_seconds=10), "hostile.sleep"
        )
        took = time.monotonic() - t0
        self.check(out == {}, f"hostile.sleep returned {out!r}")
        self.check(took < 2.0, f"the call after the cancel took {took:.2f} s")
        if pid is None:
            print("     (no /proc: CPU check skipped)", flush=True)
            return
        # The spin is really stopped: the server burns no CPU afterwards (a
        # spinning guest would use ~1 s per s until the 10 s call timeout).
        await anyio.sleep(0.3)
        before = cpu_seconds(pid)
        await anyio.sleep(1.0)
        burnt = cpu_seconds(pid) - before
        print(
            f"     cancelled after {cancelled_at:.2f} s; server CPU {spun:.2f} s while spinning, "
            f"{burnt:.2f} s in the 1 s after; next call {took * 1000:.0f} ms",
            flush=True,
        )
        self.check(burnt < 0.3, f"the server used {burnt:.2f} s of CPU in the second after the cancel: still spinning?")

    async def expect_list_changed(self, argv: list[str]) -> None:
        seen = self.list_changed
        self.list_changed_event = anyio.Event()
        done = await anyio.to_thread.run_sync(
            lambda: subprocess.run(argv, capture_output=True, text=True, timeout=120)
        )
        self.check(done.returncode == 0, f"{argv[-2:]} failed ({done.returncode}): {done.stdout}{done.stderr}")
        t0 = time.monotonic()
        with anyio.fail_after(10):
            while self.list_changed == seen:
                await self.list_changed_event.wait()
                self.list_changed_event = anyio.Event()
        print(f"     notifications/tools/list_changed {time.monotonic() - t0:.2f} s after the CLI returned", flush=True)

    def server_pid(self) -> int | None:
        if not os.path.isdir("/proc"):
            return None
        if self.transport == "http":
            return int(self.config["server_pid"])
        # stdio: the server is our child process.
        me = os.getpid()
        exe = os.path.basename(self.config["server"]["command"])
        children: dict[int, str] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    argv0 = f.read().split(b"\0")[0].decode(errors="replace")
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            if ppid == me:
                children[int(entry)] = os.path.basename(argv0)
        named = [pid for pid, name in children.items() if name == exe]
        if len(named) == 1:
            return named[0]
        if len(children) == 1:
            return next(iter(children))
        raise StepFailed(f"cannot tell the server process ({exe}) among this script's children {children}")

    # -- transports ------------------------------------------------------------

    def session(self, read: Any, write: Any) -> ClientSession:
        return ClientSession(
            read,
            write,
            read_timeout_seconds=CALL_TIMEOUT_S,
            message_handler=self.on_message,
            logging_callback=self.on_log,
            client_info=types.Implementation(name="yoi-mcp-test", version="0.1.0"),
        )

    async def run_stdio(self) -> None:
        server = self.config["server"]
        params = StdioServerParameters(
            command=server["command"],
            args=server["args"],
            env=server.get("env") or {},
            cwd=server.get("cwd"),
        )
        async with stdio_client(params, errlog=sys.stderr) as (read, write):
            async with self.session(read, write) as session:
                await self.scenario(session)

    async def run_http(self) -> None:
        url = self.config["url"]
        token = self.config["token"]
        with self.step("unauthenticated HTTP refused"):
            await self.refused_without_token(url, token)
        headers = {"Authorization": f"Bearer {token}"}
        timeout = httpx2.Timeout(30.0, read=300.0)
        async with httpx2.AsyncClient(headers=headers, timeout=timeout, trust_env=False) as http:
            async with streamable_http_client(url, http_client=http) as (read, write):
                async with self.session(read, write) as session:
                    await self.scenario(session)

    async def refused_without_token(self, url: str, token: str) -> None:
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "intruder", "version": "0"},
            },
        }
        base = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
        cases = {
            "no Authorization": {},
            "a wrong token": {"authorization": "Bearer wrong-" + token[:4]},
            "not a bearer": {"authorization": "Basic " + token},
        }
        async with httpx2.AsyncClient(timeout=30.0, trust_env=False) as http:
            for what, extra in cases.items():
                response = await http.post(url, json=body, headers=base | extra)
                text = response.text
                self.check(response.status_code == 401, f"{what}: HTTP {response.status_code}: {text[:300]!r}")
                self.check(token not in text, f"{what}: the 401 body contains the token")
                self.no_leak(text, f"{what}: the 401 body")
            response = await http.get(url, headers={"accept": "text/event-stream"})
            self.check(response.status_code == 401, f"GET without a token: HTTP {response.status_code}")


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


async def main(run: Run, config: dict[str, Any]) -> None:
    with anyio.fail_after(float(config.get("deadline_s", 600))):
        if run.transport == "stdio":
            await run.run_stdio()
        elif run.transport == "http":
            await run.run_http()
        else:
            raise StepFailed(f"unknown transport {run.transport!r}")


def first_step_failure(exc: BaseException) -> StepFailed | None:
    if isinstance(exc, StepFailed):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            if (found := first_step_failure(inner)) is not None:
                return found
    if exc.__cause__ is not None and exc.__cause__ is not exc:
        return first_step_failure(exc.__cause__)
    return None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: client.py CONFIG.json")
    with open(sys.argv[1]) as f:
        config = json.load(f)
    transport = config.get("transport", "?")
    run = Run(config)
    try:
        anyio.run(main, run, config)
    except BaseException as e:  # noqa: BLE001 - report every way out as a failed step
        failed = first_step_failure(e)
        if failed is not None:
            print(f"FAIL [{transport}] {failed}", flush=True)
        else:
            print(f"FAIL [{transport}] {run.step_name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exception(e)
        sys.exit(1)
    print(f"PASS [{transport}] every step", flush=True)
