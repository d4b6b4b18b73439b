// Native tests of the router (it imports nothing from the host):
//   node --test sdk/js/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Tools, ToolError, exportTools, toWitError } from '../index.js';

const tools = new Tools()
  .tool('greet', ({ name }) => {
    if (!name) throw ToolError.invalidInput('name must be a non-empty string');
    return { greeting: `Hello, ${name}!` };
  })
  .tool('fail', () => {
    throw ToolError.failed('nope');
  })
  .tool('fs', () => {
    const e = new Error('not-found: no such file');
    e.name = 'FsError';
    e.code = 'not-found';
    throw e;
  })
  .tool('plain', () => {
    throw new Error('boom');
  })
  .tool('undef', () => undefined)
  .tool('async', async ({ n }) => ({ twice: n * 2 }))
  .tool('async-fail', async () => {
    throw ToolError.failed('later');
  })
  .tool('async-invalid', async () => {
    throw ToolError.invalidInput('bad later');
  })
  .tool('async-plain', async () => {
    throw new TypeError('NetworkError when attempting to fetch resource');
  })
  .tool('async-undef', async () => undefined)
  .tool('async-cycle', async () => {
    const o = {};
    o.self = o;
    return o;
  })
  .tool('thenable', () => ({ then: (resolve) => resolve({ ok: true }) }))
  .tool('rejects-string', () => Promise.reject('a string'));

const tool = exportTools(tools);

function witError(name, input = '{}') {
  try {
    tool.call(name, input);
  } catch (e) {
    return e;
  }
  assert.fail(`${name} did not fail`);
}

test('routes JSON in and out', () => {
  assert.equal(tool.call('greet', '{"name":"Ada"}'), '{"greeting":"Hello, Ada!"}');
  assert.deepEqual(tools.names(), [
    'async',
    'async-cycle',
    'async-fail',
    'async-invalid',
    'async-plain',
    'async-undef',
    'fail',
    'fs',
    'greet',
    'plain',
    'rejects-string',
    'thenable',
    'undef',
  ]);
});

test('synchronous handlers stay synchronous', () => {
  const out = tool.call('greet', '{"name":"Ada"}');
  assert.equal(typeof out, 'string');
  assert.equal(tools.call('greet', '{"name":"Ada"}'), out);
});

/** The rejection of an async call (it must reject, never resolve). */
async function asyncWitError(name, input = '{}') {
  const pending = tool.call(name, input);
  assert.ok(pending instanceof Promise, `${name} returned a Promise`);
  try {
    await pending;
  } catch (e) {
    return e;
  }
  assert.fail(`${name} did not fail`);
}

test('an async handler resolves to the JSON text', async () => {
  const pending = tool.call('async', '{"n":21}');
  assert.ok(pending instanceof Promise);
  assert.equal(await pending, '{"twice":42}');
  // A thenable that is not a Promise is awaited too.
  assert.equal(await tool.call('thenable', '{}'), '{"ok":true}');
});

test('an async failure is the same tool-error, never an Error', async () => {
  assert.deepEqual(await asyncWitError('async-fail'), { tag: 'failed', val: 'later' });
  assert.deepEqual(await asyncWitError('async-invalid'), { tag: 'invalid-input', val: 'bad later' });
  assert.deepEqual(await asyncWitError('async-plain'), {
    tag: 'failed',
    val: 'NetworkError when attempting to fetch resource',
  });
  assert.deepEqual(await asyncWitError('async-undef'), { tag: 'failed', val: 'the tool returned no JSON value' });
  const cycle = await asyncWitError('async-cycle');
  assert.equal(cycle.tag, 'failed');
  assert.match(cycle.val, /^cannot serialize the tool output/);
  assert.deepEqual(await asyncWitError('rejects-string'), { tag: 'failed', val: 'a string' });
  // The payload is a plain { tag, val } object: componentize-js lowers a
  // rejection to `err(payload)` unless it is an Error (then it traps).
  assert.ok(!((await asyncWitError('async-plain')) instanceof Error));
});

test('errors before an async handler runs are still thrown synchronously', () => {
  assert.deepEqual(witError('nope'), { tag: 'unknown-tool', val: 'nope' });
  assert.equal(witError('async', 'not json').tag, 'invalid-input');
});

test('maps every failure onto a tool-error variant', () => {
  assert.deepEqual(witError('nope'), { tag: 'unknown-tool', val: 'nope' });
  assert.equal(witError('greet', 'not json').tag, 'invalid-input');
  assert.deepEqual(witError('greet', '{}'), { tag: 'invalid-input', val: 'name must be a non-empty string' });
  assert.deepEqual(witError('fail'), { tag: 'failed', val: 'nope' });
  assert.deepEqual(witError('fs'), { tag: 'failed', val: 'not-found: no such file' });
  assert.deepEqual(witError('plain'), { tag: 'failed', val: 'boom' });
  assert.equal(witError('undef').tag, 'failed');
  assert.deepEqual(toWitError('a string'), { tag: 'failed', val: 'a string' });
});

test('refuses a tool registered twice', () => {
  assert.throws(() => new Tools().tool('a', () => 1).tool('a', () => 2), /registered twice/);
});
