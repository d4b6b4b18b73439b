#!/usr/bin/env node
// Builds a yoi plugin written in JavaScript into a component, headless.
//
//   node build.mjs --wit <dir> [--imports fs,log] [--root <dir>]
//                  [--enable clocks,random,stdio,http] -o <out.wasm> <source.js>
//
// --wit      the ABI's WIT directory (this repository's wit/v1).
// --imports  the host APIs the plugin uses (its manifest's
//            `permissions.host_apis`, comma-separated, may be empty). The
//            component is built against a world that imports exactly these
//            and exports `yoi:plugin/tool@1.0.0`. Without the flag the
//            ABI's own world `plugin` is used (imports fs and log).
// --root     directory the engine sees as `/` while it pre-initialises the
//            module (default: the source's directory). Relative imports
//            must stay inside it, e.g. `--root .` at the repository root
//            for the examples that import ../../sdk/js.
// --enable   engine features to keep (all are disabled by default):
//            `clocks` (a live Date.now()/performance.now()) and `random`
//            (Math.random() seeded by the host) import
//            wasi:clocks, wasi:random, wasi:io and wasi:cli/stderr; `stdio`
//            (console.* to the host's captured stdout/stderr) also imports
//            wasi:cli/std*, terminal-* and wasi:filesystem/{types,preopens}
//            (the engine's stdio goes through the preview1 adapter), which
//            a host must link without preopens; `http` (the global
//            fetch() over wasi:http/outgoing-handler) imports wasi:http/types,
//            wasi:http/outgoing-handler and wasi:io, whatever the --imports
//            world says (the engine merges them in). Importing wasi:http
//            grants nothing: a yoi host checks every request against the
//            plugin's network grants and refuses all of them without one.
//            Disabled, Date.now() and Math.random()'s sequence are frozen at
//            build time (the same in every call), console.* output is
//            dropped and fetch() is absent.
//
// Run it with the pinned toolchain installed next to this file's
// package.json (`npm ci`), or with NODE_PATH-free resolution from a
// node_modules that holds @bytecodealliance/componentize-js and
// @bytecodealliance/preview2-shim (the xtask installs both under
// target/toolchains/js).
//
// Why a script and not `jco componentize`: the splicer and jco's WIT reader
// are themselves components run on @bytecodealliance/preview2-shim, whose
// filesystem has no preopens by default since 0.2x, so reading the WIT
// directory fails with "failed to get path metadata ... (os error 44)".
// Here the shim's preopens are set to the WIT directory alone before
// componentize() runs. Every optional WASI feature of the engine is
// disabled unless --enable keeps it (fetch-event, an incoming-handler
// export, never), so by default the component imports nothing but the yoi
// host APIs.

import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';
import { componentize, version } from '@bytecodealliance/componentize-js';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const HOST_APIS = ['fs', 'log'];
const ABI_PACKAGE = 'yoi:plugin@1.0.0';
const FEATURES = ['stdio', 'random', 'clocks', 'http', 'fetch-event'];
/**
 * Features a yoi host can link: authority-free WASI, and outbound wasi:http,
 * which the host gates by network grants (no grant, no request). Never
 * fetch-event: a plugin exports the tool interface, not an HTTP handler.
 */
const ENABLEABLE = ['stdio', 'random', 'clocks', 'http'];

function usage(message) {
  console.error(`error: ${message}`);
  console.error(
    'usage: node build.mjs --wit <dir> [--imports fs,log] [--root <dir>] [--enable clocks,random,stdio,http] -o <out.wasm> <source.js>',
  );
  process.exit(2);
}

/**
 * A WIT directory whose root world imports exactly `apis` and exports the
 * tool interface, with the ABI package copied under deps/.
 */
export async function narrowWorld(abiWit, apis, into) {
  const deps = join(into, 'deps', 'yoi-plugin');
  await mkdir(deps, { recursive: true });
  for (const f of await readdir(abiWit)) {
    if (f.endsWith('.wit')) await cp(join(abiWit, f), join(deps, f));
  }
  const [pkg, version] = ABI_PACKAGE.split('@');
  const lines = [
    'package yoi:plugin-guest;',
    '',
    'world plugin {',
    ...apis.map((api) => `  import ${pkg}/${api}@${version};`),
    `  export ${pkg}/tool@${version};`,
    '}',
    '',
  ];
  await writeFile(join(into, 'world.wit'), lines.join('\n'));
  return into;
}

async function main() {
  const { values, positionals } = parseArgs({
    options: {
      wit: { type: 'string' },
      imports: { type: 'string' },
      root: { type: 'string' },
      enable: { type: 'string' },
      out: { type: 'string', short: 'o' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1) usage('exactly one source file');
  if (!values.wit) usage('--wit is required');
  if (!values.out) usage('-o is required');
  const source = resolve(positionals[0]);
  const out = resolve(values.out);
  const root = resolve(values.root ?? dirname(source));
  const inside = relative(root, source);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    usage(`the source ${source} is not inside --root ${root}`);
  }

  const enabled = (values.enable ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const f of enabled) {
    if (!ENABLEABLE.includes(f)) usage(`cannot enable "${f}" (a yoi plugin can enable only: ${ENABLEABLE.join(', ')})`);
  }
  const disableFeatures = FEATURES.filter((f) => !enabled.includes(f));

  let witPath = resolve(values.wit);
  let scratch;
  if (values.imports !== undefined) {
    const apis = values.imports.split(',').map((s) => s.trim()).filter(Boolean);
    for (const api of apis) {
      if (!HOST_APIS.includes(api)) usage(`unknown host API "${api}" (known: ${HOST_APIS.join(', ')})`);
    }
    scratch = await mkdtemp(join(tmpdir(), 'yoi-js-wit-'));
    witPath = await narrowWorld(witPath, [...new Set(apis)].sort(), scratch);
  }

  // The splicer reads the WIT through the shim: make that directory, and
  // only it, visible under its own absolute path.
  _setPreopens({ [witPath]: witPath });

  // componentize-js maps the working directory to `/` for the engine when
  // the source is inside it; pin it to --root and restore it afterwards.
  const started = Date.now();
  const callerCwd = process.cwd();
  let result;
  try {
    process.chdir(root);
    result = await componentize({
      sourcePath: source,
      witPath,
      worldName: 'plugin',
      disableFeatures,
    });
  } finally {
    process.chdir(callerCwd);
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, result.component);
  const used = [...new Set(result.imports.map(([specifier]) => specifier))].sort();
  console.log(
    `componentize-js ${version}: ${out} (${result.component.length} bytes, ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s; JS imports: ${used.join(', ') || 'none'})`,
  );
}

await main();
