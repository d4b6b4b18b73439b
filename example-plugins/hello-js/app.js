// `hello-js`: the `hello` example plugin in JavaScript.
//
// Tool `greet`: input `{"name": string}`, output
// `{"greeting": "Hello, <name>!"}`. It needs no grants; it logs one debug
// record per call, so it imports only the `log` host API.
//
// Build: `cargo xtask build-plugins` (or, by hand, after `npm ci` in sdk/js,
// from the repository root: `node sdk/js/build.mjs --wit wit/v1 --imports log
// --root . -o target/plugins/hello-js.wasm example-plugins/hello-js/app.js`).

import { Tools, ToolError, exportTools } from '../../sdk/js/index.js';
import { debug } from '../../sdk/js/log.js';

function greet({ name }) {
  if (typeof name !== 'string' || name.length === 0) {
    throw ToolError.invalidInput('name must be a non-empty string');
  }
  debug(`greeting ${name.length} characters`);
  return { greeting: `Hello, ${name}!` };
}

const tools = new Tools().tool('greet', greet);

export const tool = exportTools(tools);
