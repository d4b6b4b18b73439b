// `conformance-js`: the conformance guest in JavaScript.
//
// One tool, `ops`, the same contract as the Rust `hostile` plugin's `ops`:
// input `{"ops": [CALL, ...]}`, each CALL `{"op": "read" | "list" | "write" |
// "stat", "path", "offset", "max_len", "cursor", "max_entries", "text",
// "fill_bytes", "mode", "expected_digest", "max_text"}` (all but `op` and
// `path` optional), run in order in one invocation through the JavaScript
// SDK's raw `fs` calls; output `{"results": [OUTCOME, ...]}`, each
// `{"ok": RESULT}` or `{"error": {"code", "message"}}`. The conformance
// suite (`conformance/`) runs every case through it, so the same cases check
// the JavaScript bindings.
//
// Build: `cargo xtask build-plugins`.

import { Tools, ToolError, exportTools } from '../../sdk/js/index.js';
import { FsError, listPage, read, stat, writeWith } from '../../sdk/js/fs.js';

const ALL = 0xffff_ffff;

function run(call) {
  const { op, path } = call;
  if (typeof path !== 'string') throw ToolError.invalidInput('path must be a string');
  switch (op) {
    case 'read': {
      const r = read(path, call.offset ?? 0, call.max_len ?? ALL);
      const shown = call.max_text == null ? r.data : r.data.subarray(0, call.max_text);
      return {
        text: new TextDecoder().decode(shown),
        size: r.size,
        truncated: r.truncated,
        len: r.data.length,
      };
    }
    case 'list': {
      const page = listPage(path, call.cursor ?? undefined, call.max_entries ?? ALL);
      return { entries: page.entries, next_cursor: page.nextCursor ?? null };
    }
    case 'write': {
      const data = call.fill_bytes == null
        ? (call.text ?? '')
        : new Uint8Array(call.fill_bytes).fill(0x78);
      return writeWith(path, data, {
        mode: call.mode ?? 'create-or-replace',
        expectedDigest: call.expected_digest ?? undefined,
      });
    }
    case 'stat':
      return stat(path);
    default:
      throw ToolError.invalidInput('op must be read, list, write or stat');
  }
}

function ops({ ops: calls }) {
  if (!Array.isArray(calls)) throw ToolError.invalidInput('ops must be a list');
  const results = calls.map((call) => {
    try {
      return { ok: run(call) };
    } catch (e) {
      if (e instanceof FsError) return { error: { code: e.code, message: e.detail } };
      throw e;
    }
  });
  return { results };
}

const tools = new Tools().tool('ops', ops);

export const tool = exportTools(tools);
