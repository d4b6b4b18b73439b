// `fetch-js`: the `fetch` example plugin in JavaScript, on the standard
// global `fetch()`.
//
// Tool `fetch`: input `{"url": string, "method"?: string, "body"?: string,
// "headers"?: {name: value}}`, output `{"status": number, "headers":
// {name: value}, "body": string}`.
//
// componentize-js implements `fetch()` over `wasi:http/outgoing-handler`
// when its `http` engine feature is kept (`build.mjs --enable http`).
// Importing wasi:http grants nothing: every request is checked by the host
// against the plugin's network grants (`--net URL`), and secrets are
// injected by the host into the request it sends, never seen here.
//
// The handler is `async`: the SDK's router returns its Promise and the
// componentize-js export binding awaits it, the engine running its event
// loop (the pending wasi:http I/O) until the Promise settles.
//
// Failures are tool errors, never traps:
// - a bad input: `invalid-input`;
// - a request the host refused or could not complete (no grant, a
//   connection error, a timeout, ...): `failed("network-error: ...")`. The
//   engine (StarlingMonkey) turns every wasi:http `error-code` into the same
//   `TypeError: NetworkError when attempting to fetch resource` and drops
//   the code, so the guest cannot report it; the host logs it
//   (`outgoing request refused code=...`);
// - a response body that fails mid-way (e.g. cut at the host's size
//   bound): `failed("http-body: ...")`.
// A refused request with a body fails the same way: StarlingMonkey streams
// the body after `outgoing-handler.handle`, and the host drains a refused
// request's body before refusing it (see sdk/js/README.md).
//
// Redirects are not followed: the engine's fetch returns the 3xx response
// as it is (a client that follows it makes a new request, checked again).
//
// Build: `cargo xtask build-plugins` (or, by hand, after `npm ci` in sdk/js,
// from the repository root: `node sdk/js/build.mjs --wit wit/v1 --imports=
// --enable http --root . -o target/plugins/fetch-js.wasm
// example-plugins/fetch-js/app.js`).

import { Tools, ToolError, exportTools } from '../../sdk/js/index.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The checked `fetch()` arguments of one tool input. */
function request({ url, method = 'GET', body, headers = {} }) {
  if (typeof url !== 'string' || url.length === 0) {
    throw ToolError.invalidInput('url must be a non-empty string');
  }
  let parsed;
  try {
    parsed = new URL(url);
  } catch (e) {
    throw ToolError.invalidInput(`url is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw ToolError.invalidInput(`url must be http or https, not ${parsed.protocol}`);
  }
  if (!METHODS.includes(method)) {
    throw ToolError.invalidInput(`method must be one of ${METHODS.join(', ')}`);
  }
  if (body !== undefined && typeof body !== 'string') {
    throw ToolError.invalidInput('body must be a string');
  }
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw ToolError.invalidInput(`a ${method} request has no body`);
  }
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw ToolError.invalidInput('headers must be an object of strings');
  }
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw ToolError.invalidInput(`header ${name} must be a string`);
    }
  }
  return [parsed.href, { method, body, headers }];
}

async function fetchTool(input) {
  const [url, init] = request(input);
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw ToolError.failed(`network-error: ${messageOf(e)}`);
  }
  const headers = {};
  for (const [name, value] of response.headers) {
    headers[name] = value;
  }
  let body;
  try {
    body = await response.text();
  } catch (e) {
    throw ToolError.failed(`http-body: ${messageOf(e)}`);
  }
  return { status: response.status, headers, body };
}

function messageOf(e) {
  return e !== null && typeof e === 'object' && 'message' in e ? String(e.message) : String(e);
}

const tools = new Tools().tool('fetch', fetchTool);

export const tool = exportTools(tools);
