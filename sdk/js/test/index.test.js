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
  .tool('async', async () => 1);

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
  assert.deepEqual(tools.names(), ['async', 'fail', 'fs', 'greet', 'plain', 'undef']);
});

test('maps every failure onto a tool-error variant', () => {
  assert.deepEqual(witError('nope'), { tag: 'unknown-tool', val: 'nope' });
  assert.equal(witError('greet', 'not json').tag, 'invalid-input');
  assert.deepEqual(witError('greet', '{}'), { tag: 'invalid-input', val: 'name must be a non-empty string' });
  assert.deepEqual(witError('fail'), { tag: 'failed', val: 'nope' });
  assert.deepEqual(witError('fs'), { tag: 'failed', val: 'not-found: no such file' });
  assert.deepEqual(witError('plain'), { tag: 'failed', val: 'boom' });
  assert.equal(witError('undef').tag, 'failed');
  assert.equal(witError('async').tag, 'failed');
  assert.deepEqual(toWitError('a string'), { tag: 'failed', val: 'a string' });
});

test('refuses a tool registered twice', () => {
  assert.throws(() => new Tools().tool('a', () => 1).tool('a', () => 2), /registered twice/);
});
