"""Native tests of the router (it imports nothing from the host):

    python3 -m unittest discover -s sdk/py/tests
"""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from yoi_plugin import Tools, ToolError, to_tool_error  # noqa: E402


class FsError(Exception):
    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code


tools = Tools()


@tools.tool("greet")
def greet(args):
    if not args.get("name"):
        raise ToolError.invalid_input("name must be a non-empty string")
    return {"greeting": f"Hello, {args['name']}!"}


@tools.tool("fs")
def fs_failure(_args):
    raise FsError("not-found", "no such file")


tools.add("plain", lambda _: 1 / 0)
tools.add("unserializable", lambda _: {"x": object()})


def error_of(name, input="{}"):
    try:
        tools.call(name, input)
    except Exception as e:  # noqa: BLE001
        return to_tool_error(e)
    raise AssertionError(f"{name} did not fail")


class ToolsTest(unittest.TestCase):
    def test_routes_json(self):
        self.assertEqual(tools.call("greet", '{"name": "Ada"}'), '{"greeting": "Hello, Ada!"}')
        self.assertEqual(tools.names(), ["fs", "greet", "plain", "unserializable"])

    def test_errors_become_tool_errors(self):
        self.assertEqual(error_of("nope"), ("unknown-tool", "nope"))
        self.assertEqual(error_of("greet", "not json")[0], "invalid-input")
        self.assertEqual(error_of("greet"), ("invalid-input", "name must be a non-empty string"))
        self.assertEqual(error_of("fs"), ("failed", "not-found: no such file"))
        self.assertEqual(error_of("plain"), ("failed", "ZeroDivisionError: division by zero"))
        self.assertEqual(error_of("unserializable")[0], "failed")

    def test_duplicate_names_are_refused(self):
        with self.assertRaises(ValueError):
            Tools().add("a", len).add("a", len)


if __name__ == "__main__":
    unittest.main()
