// yoi plugin SDK for JavaScript: logging through the `log` host API.
//
// Records go to the host operator (bounded, never part of a tool result).
// Importing this module makes the component import `yoi:plugin/log@1.0.0`,
// so the plugin's manifest must list "log" in `permissions.host_apis`.
//
//   import { info } from './sdk/log.js';
//   info(`reading ${path}`);

import { log as hostLog } from 'yoi:plugin/log@1.0.0';

/** Levels, lowest first: the WIT `level` enum. */
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

/** Record `message` at `level` ('trace' ... 'error'). */
export function log(level, message) {
  if (!LEVELS.includes(level)) {
    throw new TypeError(`unknown log level: ${level}`);
  }
  hostLog(level, String(message));
}

export const trace = (message) => log('trace', message);
export const debug = (message) => log('debug', message);
export const info = (message) => log('info', message);
export const warn = (message) => log('warn', message);
export const error = (message) => log('error', message);
