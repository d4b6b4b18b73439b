// yoi plugin SDK for JavaScript: the tools router.
//
// A plugin module exports the `yoi:plugin/tool@1.0.0` interface as `tool`:
//
//   import { Tools, ToolError, exportTools } from './sdk/index.js';
//
//   const tools = new Tools()
//     .tool('greet', ({ name }) => ({ greeting: `Hello, ${name}!` }));
//
//   export const tool = exportTools(tools);
//
// Handlers take the parsed input JSON and return a JSON-serialisable value,
// or (an `async` handler, e.g. one awaiting `fetch()`) a Promise of one.
// Whatever a handler throws, or its Promise rejects with, becomes a
// `tool-error`, never a trap:
//
// | thrown                            | tool-error                      |
// |-----------------------------------|---------------------------------|
// | (no tool of that name)            | unknown-tool(name)              |
// | (input is not JSON)               | invalid-input(parser message)   |
// | ToolError.invalidInput(msg)       | invalid-input(msg)              |
// | ToolError.failed(msg)             | failed(msg)                     |
// | an FsError from ./fs.js           | failed("<code>: <message>")     |
// | anything else                     | failed(String(error.message))   |
//
// This module imports nothing from the host, so a plugin that uses only the
// router imports neither `fs` nor `log`. fs helpers are in ./fs.js, logging
// in ./log.js.

/** Why a tool call failed; becomes the WIT `tool-error` variant. */
export class ToolError extends Error {
  /**
   * @param {'unknown-tool' | 'invalid-input' | 'failed'} kind
   * @param {string} message
   */
  constructor(kind, message) {
    super(message);
    this.name = 'ToolError';
    this.kind = kind;
  }

  /** The input was well-formed but a value in it is unacceptable. */
  static invalidInput(message) {
    return new ToolError('invalid-input', String(message));
  }

  /** The tool ran and failed. */
  static failed(message) {
    return new ToolError('failed', String(message));
  }
}

/** The router of a plugin's tools: tool name -> handler. */
export class Tools {
  #handlers = new Map();

  /**
   * Register `handler(input) -> output` under `name`; returns the router.
   * Registering one name twice throws (a bug better caught at build time:
   * module top-level code runs when the component is built).
   */
  tool(name, handler) {
    if (typeof handler !== 'function') {
      throw new TypeError(`yoi plugin: the handler of tool "${name}" is not a function`);
    }
    if (this.#handlers.has(name)) {
      throw new Error(`yoi plugin: tool "${name}" registered twice`);
    }
    this.#handlers.set(name, handler);
    return this;
  }

  /** The registered tool names, sorted. */
  names() {
    return [...this.#handlers.keys()].sort();
  }

  /**
   * Dispatch one call: input JSON text -> output JSON text. Throws a
   * ToolError (or whatever the handler threw). A handler that returns a
   * thenable (an `async` handler) makes this return a Promise of the JSON
   * text, rejected with whatever the handler rejected with.
   */
  call(name, input) {
    const handler = this.#handlers.get(name);
    if (handler === undefined) {
      throw new ToolError('unknown-tool', name);
    }
    let value;
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw ToolError.invalidInput(`input is not JSON: ${messageOf(e)}`);
    }
    const output = handler(value);
    if (isThenable(output)) {
      return Promise.resolve(output).then(serialize);
    }
    return serialize(output);
  }
}

/** Whether `value` is a thenable (a Promise or Promise-like). */
function isThenable(value) {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof value.then === 'function'
  );
}

/** A handler's output value -> its JSON text. */
function serialize(output) {
  let text;
  try {
    text = JSON.stringify(output);
  } catch (e) {
    throw ToolError.failed(`cannot serialize the tool output: ${messageOf(e)}`);
  }
  if (text === undefined) {
    throw ToolError.failed('the tool returned no JSON value');
  }
  return text;
}

/**
 * The `tool` export for a router: `export const tool = exportTools(tools);`.
 * Every error is mapped onto the WIT `tool-error` variant (see the table at
 * the top of this file), so a failing tool never traps. For an async
 * handler `call` returns a Promise, rejected with the mapped error: the
 * componentize-js export binding awaits it (the engine runs its event loop,
 * e.g. pending `fetch()` I/O, until the Promise settles) and lowers a
 * rejection with a `{ tag, val }` payload to the same `tool-error`.
 */
export function exportTools(tools) {
  return {
    call(name, input) {
      let result;
      try {
        result = tools.call(name, input);
      } catch (e) {
        throw toWitError(e);
      }
      if (isThenable(result)) {
        return result.then(undefined, (e) => {
          throw toWitError(e);
        });
      }
      return result;
    },
  };
}

/** Maps anything thrown to the `{ tag, val }` form of the WIT `tool-error`. */
export function toWitError(e) {
  if (e instanceof ToolError) {
    return { tag: e.kind, val: e.message };
  }
  if (e !== null && typeof e === 'object' && e.name === 'FsError' && typeof e.code === 'string') {
    return { tag: 'failed', val: e.message };
  }
  return { tag: 'failed', val: messageOf(e) };
}

function messageOf(e) {
  if (e !== null && typeof e === 'object' && 'message' in e) {
    return String(e.message);
  }
  return String(e);
}
