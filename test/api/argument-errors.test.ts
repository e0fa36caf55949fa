import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVat, far, memoryStore, parseSturdyRef, reconnecting, type EngineVat } from '../../src/index.js';
import { fileStore, relayNetlayer, tcpTestingOnlyNetlayer, websocketNetlayer } from '../../src/node.js';
import { createMemoryNetwork } from '../../src/testing.js';
import { startRelay } from '../../relay/index.js';
import type { CapmeshErrorCode } from '../../src/util/errors.js';

/**
 * Every public entry point refuses a bad argument with a typed error that
 * names it: `INVALID_ARGUMENT` (a wrong type, an empty string, a negative or
 * NaN limit), `URI_MALFORMED` for a string that is not a sturdyref. Never a
 * bare TypeError from deep inside, never a vat or relay half started.
 */
const network = createMemoryNetwork();
let vat: EngineVat;
const ok = 'ocapn://x.memory/s/abc';
beforeAll(async () => {
  vat = await createVat({ netlayers: [network.netlayer()] });
});
afterAll(async () => {
  await vat.close();
});

// Casts: each call is wrong on purpose, as plain JavaScript (or `any`) may make it.
/* eslint-disable @typescript-eslint/no-explicit-any */
const bad = (x: unknown): any => x;

type Case = readonly [name: string, call: () => unknown, code: CapmeshErrorCode, argument: string];
const cases: readonly Case[] = [
  ['createVat()', () => bad(createVat)(), 'INVALID_ARGUMENT', 'options'],
  ['createVat({})', () => createVat(bad({})), 'INVALID_ARGUMENT', 'netlayers'],
  ['createVat: a null netlayer', () => createVat({ netlayers: [bad(null)] }), 'INVALID_ARGUMENT', 'netlayers[0]'],
  ['createVat: an unknown dialect', () => createVat({ netlayers: [network.netlayer()], dialect: bad('bogus') }), 'INVALID_ARGUMENT', 'dialect'],
  ['createVat: a dialect with the old framing knob', () => createVat({ netlayers: [network.netlayer()], dialect: bad({ name: 'x', framing: 'none' }) }), 'INVALID_ARGUMENT', 'dialect'],
  ['createVat: dialects not a function', () => createVat({ netlayers: [network.netlayer()], dialects: bad('endo') }), 'INVALID_ARGUMENT', 'dialects'],
  ['createVat: learnDialects not a boolean', () => createVat({ netlayers: [network.netlayer()], learnDialects: bad('no') }), 'INVALID_ARGUMENT', 'learnDialects'],
  ['createVat: giftTimeoutMs -1', () => createVat({ netlayers: [network.netlayer()], giftTimeoutMs: -1 }), 'INVALID_ARGUMENT', 'giftTimeoutMs'],
  ['createVat: giftTimeoutMs NaN', () => createVat({ netlayers: [network.netlayer()], giftTimeoutMs: NaN }), 'INVALID_ARGUMENT', 'giftTimeoutMs'],
  ['createVat: limits.maxBytes -1', () => createVat({ netlayers: [network.netlayer()], limits: { maxBytes: -1 } }), 'INVALID_ARGUMENT', 'limits.maxBytes'],
  ['createVat: limits.maxInboundSessions NaN', () => createVat({ netlayers: [network.netlayer()], limits: { maxInboundSessions: NaN } }), 'INVALID_ARGUMENT', 'limits.maxInboundSessions'],
  ['createVat: liveness.timeoutMs NaN', () => createVat({ netlayers: [network.netlayer()], liveness: { timeoutMs: NaN } }), 'INVALID_ARGUMENT', 'liveness.timeoutMs'],
  ['createVat: a store without methods', () => createVat({ netlayers: [network.netlayer()], store: bad({}) }), 'INVALID_ARGUMENT', 'store'],
  ['register(null)', () => vat.register(bad(null)), 'INVALID_ARGUMENT', 'obj'],
  ['register(1)', () => vat.register(bad(1)), 'INVALID_ARGUMENT', 'obj'],
  ['register: swiss as a string', () => vat.register(far('x', {}), { swiss: bad('abc') }), 'INVALID_ARGUMENT', 'swiss'],
  ['enliven(undefined)', () => vat.enliven(bad(undefined)), 'INVALID_ARGUMENT', 'ref'],
  ['enliven({})', () => vat.enliven(bad({})), 'INVALID_ARGUMENT', 'ref'],
  ['enliven("")', () => vat.enliven(''), 'URI_MALFORMED', ''],
  ['enliven("http://x")', () => vat.enliven('http://x'), 'URI_MALFORMED', ''],
  ['revoke(5)', () => vat.revoke(bad(5)), 'INVALID_ARGUMENT', 'ref'],
  ['whenSessionEnds(null)', () => vat.whenSessionEnds(bad(null)), 'INVALID_ARGUMENT', 'peer'],
  ['onSessionsChanged(5)', () => vat.onSessionsChanged(bad(5)), 'INVALID_ARGUMENT', 'listener'],
  ['defineKind("", maker)', () => vat.defineKind('', () => far('x', {})), 'INVALID_ARGUMENT', 'kind'],
  ['defineKind(kind, null)', () => vat.defineKind('k', bad(null)), 'INVALID_ARGUMENT', 'maker'],
  ['registerPersistent("", data)', () => vat.registerPersistent('', {}), 'INVALID_ARGUMENT', 'kind'],
  ['registerPersistent(5, data)', () => vat.registerPersistent(bad(5), {}), 'INVALID_ARGUMENT', 'kind'],
  ['registerPersistent of an undefined kind', () => vat.registerPersistent('nokind', {}), 'INVALID_ARGUMENT', 'kind'],
  ['reconnecting(null, uri)', () => reconnecting(bad(null), ok), 'INVALID_ARGUMENT', 'vat'],
  ['reconnecting(vat, 5)', () => reconnecting(vat, bad(5)), 'INVALID_ARGUMENT', 'uri'],
  ['reconnecting(vat, "nope")', () => reconnecting(vat, 'nope'), 'URI_MALFORMED', ''],
  ['reconnecting: initialDelayMs -1', () => reconnecting(vat, ok, { initialDelayMs: -1 }), 'INVALID_ARGUMENT', 'initialDelayMs'],
  ['reconnecting: maxDelayMs NaN', () => reconnecting(vat, ok, { maxDelayMs: NaN }), 'INVALID_ARGUMENT', 'maxDelayMs'],
  ['reconnecting: factor 0', () => reconnecting(vat, ok, { factor: 0 }), 'INVALID_ARGUMENT', 'factor'],
  ['reconnecting: onChange not a function', () => reconnecting(vat, ok, { onChange: bad(5) }), 'INVALID_ARGUMENT', 'onChange'],
  ['parseSturdyRef(5)', () => parseSturdyRef(bad(5)), 'URI_MALFORMED', ''],
  ['parseSturdyRef("http://x")', () => parseSturdyRef('http://x'), 'URI_MALFORMED', ''],
  ['far(5, methods)', () => far(bad(5), {}), 'INVALID_ARGUMENT', 'name'],
  ['far(name, null)', () => far('x', bad(null)), 'INVALID_ARGUMENT', 'methods'],
  ['far(name, { a: 5 })', () => far('x', bad({ a: 5 })), 'INVALID_ARGUMENT', 'methods.a'],
  ['startRelay: port -1', () => startRelay({ port: -1 }), 'INVALID_ARGUMENT', 'port'],
  ['startRelay: host 5', () => startRelay({ host: bad(5), port: 0 }), 'INVALID_ARGUMENT', 'host'],
  ['startRelay: limits.maxConnections NaN', () => startRelay({ port: 0, limits: { maxConnections: NaN } }), 'INVALID_ARGUMENT', 'limits.maxConnections'],
  ['relayNetlayer()', () => bad(relayNetlayer)(), 'INVALID_ARGUMENT', 'url'],
  ['relayNetlayer({ url: "nope" })', () => relayNetlayer({ url: 'nope' }), 'INVALID_ARGUMENT', 'url'],
  ['websocketNetlayer: port -1', () => websocketNetlayer({ port: -1 }), 'INVALID_ARGUMENT', 'options.port'],
  ['websocketNetlayer: port NaN', () => websocketNetlayer({ port: NaN }), 'INVALID_ARGUMENT', 'options.port'],
  ['websocketNetlayer: host 5', () => websocketNetlayer({ host: bad(5) }), 'INVALID_ARGUMENT', 'options.host'],
  ['websocketNetlayer: maxMessageBytes -1', () => websocketNetlayer({ maxMessageBytes: -1 }), 'INVALID_ARGUMENT', 'options.maxMessageBytes'],
  ['websocketNetlayer: connectTimeoutMs 0', () => websocketNetlayer({ connectTimeoutMs: 0 }), 'INVALID_ARGUMENT', 'options.connectTimeoutMs'],
  ['tcpTestingOnlyNetlayer: port -1', () => tcpTestingOnlyNetlayer({ port: -1 }), 'INVALID_ARGUMENT', 'options.port'],
  ['fileStore("")', () => fileStore(''), 'INVALID_ARGUMENT', 'dir'],
  ['memoryStore().set("", value)', () => memoryStore().set('', 1n), 'INVALID_ARGUMENT', 'key'],
];

/** What the call threw or rejected with (synchronous throws and rejections alike). */
async function failureOf(call: () => unknown): Promise<unknown> {
  try {
    const out = call();
    if (out instanceof Promise) await out;
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('argument errors of the public API', () => {
  const rows = cases.map(([name, call, code, argument]) => [`${name} → ${code}${argument ? ` naming ${argument}` : ''}`, call, code, argument] as const);
  it.each(rows)('%s', async (_title, call, code, argument) => {
    const e = (await failureOf(call)) as { name?: string; code?: string; message?: string; detail?: { argument?: string } } | undefined;
    expect(e, 'it must fail').toBeDefined();
    expect(e!.name).toBe('CapmeshError');
    expect(e!.code).toBe(code);
    if (argument !== '') {
      expect(e!.detail?.argument).toBe(argument);
      // The message names it too (a relay limit by its own name: "relay limit `maxConnections` …").
      expect(e!.message).toContain(`\`${argument.startsWith('limits.') && e!.message!.startsWith('relay') ? argument.slice(7) : argument}\``);
    }
  });
});
