// jsdom for miniprogram-simulate, plus the Node globals the in-process local stack (gateway, simulator) needs: page
// tests drive real pages against the real stack in the same process.
const { TestEnvironment } = require('jest-environment-jsdom');

const NODE_GLOBALS = [
  'TextDecoder',
  'TextEncoder',
  'fetch',
  'Request',
  'Response',
  'Headers',
  'FormData',
  'AbortController',
  'AbortSignal',
  'setImmediate',
  'clearImmediate',
  'structuredClone',
  'queueMicrotask',
  'Buffer',
  'ReadableStream',
  'Blob',
  'crypto',
  'performance',
  // Node's typed arrays, as jest's node environment does: Buffers from Node must pass `instanceof Uint8Array` in the
  // functions' code (the notification verifier checks the raw body that way).
  'ArrayBuffer',
  'Uint8Array',
  // Node timers (with unref): the stack's background timers must not keep the process alive.
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
];

class JsdomWithNodeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of NODE_GLOBALS) {
      if (globalThis[name] !== undefined) this.global[name] = globalThis[name];
    }
  }
}

module.exports = JsdomWithNodeEnvironment;
