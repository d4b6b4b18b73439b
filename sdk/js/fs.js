// yoi plugin SDK for JavaScript: the `fs` host API, with errors as values
// a tool can handle.
//
// Paths are `<mount>/<path inside the mount>`; only what the host granted to
// this plugin is reachable (see wit/v1/yoi-plugin.wit). Importing this
// module makes the component import `yoi:plugin/fs@1.0.0`, so the manifest
// must list "fs" in `permissions.host_apis`.
//
// Every function throws an `FsError` (with a stable `code` such as
// 'not-found' or 'denied') instead of the raw binding error. Left uncaught
// in a handler, the router (./index.js) turns it into the tool error
// `failed("<code>: <message>")`; nothing traps.
//
// Sizes are returned as Numbers (the host bounds make them exact).

import * as host from 'yoi:plugin/fs@1.0.0';

/** The `expectedDigest` meaning "the file must not exist yet". */
export const ABSENT = 'absent';

/** Ask for as much as the host allows per call (it caps every request). */
const PAGE_REQUEST = 0xffff_ffff;

/** An fs error: a stable code and a short, redacted message from the host. */
export class FsError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.name = 'FsError';
    /** e.g. 'denied', 'not-found', 'invalid-path', 'conflict', 'limit-exceeded' */
    this.code = code;
    /** The host's message alone (never parse it). */
    this.detail = message;
  }
}

/** Runs one host call, turning the binding's error into an FsError. */
function call(f) {
  try {
    return f();
  } catch (e) {
    const p = e !== null && typeof e === 'object' ? e.payload : undefined;
    if (p !== null && typeof p === 'object' && typeof p.code === 'string') {
      throw new FsError(p.code, String(p.message ?? ''));
    }
    throw e;
  }
}

function bytesOf(data) {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('data must be a string, a Uint8Array or an ArrayBuffer');
}

// -- raw calls: one host call each ------------------------------------------

/** One page: `{ data: Uint8Array, size, truncated }`. */
export function read(path, offset = 0, maxLen = PAGE_REQUEST) {
  const r = call(() => host.read(path, BigInt(offset), maxLen));
  return { data: r.data, size: Number(r.size), truncated: r.truncated };
}

/** One page of a listing: `{ entries: [{ name, kind, size }], nextCursor }`. */
export function listPage(path, cursor = undefined, maxEntries = PAGE_REQUEST) {
  const page = call(() => host.list(path, cursor ?? undefined, maxEntries));
  return {
    entries: page.entries.map((e) => ({ name: e.name, kind: e.kind, size: Number(e.size) })),
    nextCursor: page.nextCursor ?? undefined,
  };
}

/** `{ kind: 'file' | 'directory' | 'symlink' | 'other', size }` (symlinks are not followed). */
export function stat(path) {
  const m = call(() => host.stat(path));
  return { kind: m.kind, size: Number(m.size) };
}

/**
 * The whole content of `path`, atomically. `mode`: 'create-or-replace'
 * (default), 'create-new' or 'replace-existing'; `expectedDigest`: SHA-256
 * hex (or ABSENT) for compare-and-swap. Returns `{ size, digest }`.
 */
export function writeWith(path, data, { mode = 'create-or-replace', expectedDigest } = {}) {
  const r = call(() => host.write(path, bytesOf(data), { mode, expectedDigest: expectedDigest ?? undefined }));
  return { size: Number(r.size), digest: r.digest };
}

// -- conveniences ------------------------------------------------------------

/** Create or replace `path` with `data` (string or bytes). */
export function write(path, data) {
  return writeWith(path, data);
}

/** Create `path`; FsError 'already-exists' if it exists. */
export function createNew(path, data) {
  return writeWith(path, data, { mode: 'create-new' });
}

/**
 * Compare-and-swap: write only if the current content has digest `expected`
 * (a previous write's `digest`), or, with `expected` null, only if the file
 * does not exist. FsError 'conflict' otherwise, and nothing changes.
 */
export function writeIfUnchanged(path, data, expected) {
  return writeWith(path, data, { expectedDigest: expected ?? ABSENT });
}

/**
 * The whole file as bytes, paging until the host says it is complete. A
 * size change between pages fails with FsError 'conflict': read again.
 */
export function readBytes(path) {
  const pages = [];
  let offset = 0;
  let size;
  for (;;) {
    const page = read(path, offset);
    if (size === undefined) {
      size = page.size;
    } else if (page.size !== size) {
      throw new FsError('conflict', 'the file changed while it was read');
    }
    pages.push(page.data);
    offset += page.data.length;
    if (!page.truncated) break;
    if (page.data.length === 0) {
      throw new FsError('conflict', 'the file changed while it was read');
    }
  }
  const out = new Uint8Array(offset);
  let at = 0;
  for (const p of pages) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The whole file as UTF-8 text; FsError 'io' if it is not UTF-8. */
export function readText(path) {
  const bytes = readBytes(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FsError('io', 'the file is not valid UTF-8');
  }
}

/** Every entry of a directory, in name order, following the cursors. */
export function list(path) {
  const entries = [];
  let cursor;
  do {
    const page = listPage(path, cursor);
    entries.push(...page.entries);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return entries;
}
