import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type Vat } from '../../src/index.js';
import { messagePortNetlayer } from '../../src/netlayer/port/message-port.js';
import { relayNetlayer } from '../../src/netlayer/relay/node.js';
import { formatSturdyRef } from '../../src/mesh/uri.js';
import { CapmeshError, isCapmeshError, withoutCodePrefix } from '../../src/util/errors.js';
import { makePair, makeSolo } from '../captp/harness.js';
import { sym } from '../../src/syrup/types.js';
import { identity, testRelay } from '../relay/helpers.js';

const vats: Vat[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

async function failure(p: Promise<unknown>): Promise<CapmeshError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!isCapmeshError(e)) throw new Error(`expected a CapmeshError, got ${String(e)}`);
  return e;
}

/** A message written as "CODE: text" would repeat the code, since `code` already says it. */
function expectNoCodePrefix(error: CapmeshError): void {
  expect(error.message.startsWith(`${error.code}:`), `${error.code}: ${error.message}`).toBe(false);
}

describe('withoutCodePrefix', () => {
  it('strips the leading "CODE: " (repeated too) and nothing else', () => {
    expect(withoutCodePrefix('PROTOCOL', 'PROTOCOL: bad op')).toBe('bad op');
    expect(withoutCodePrefix('PROTOCOL', 'PROTOCOL: PROTOCOL: bad op')).toBe('bad op');
    expect(withoutCodePrefix('PROTOCOL', 'LIMIT: bad op')).toBe('LIMIT: bad op');
    expect(withoutCodePrefix('PROTOCOL', 'a PROTOCOL: x')).toBe('a PROTOCOL: x');
  });
});

describe('error messages never start with their own code', () => {
  it('a CapTP session aborted for hostile input: the wire reason says "CODE: text", the local errors only the text', async () => {
    const slow = far('slow', { wait: () => new Promise(() => {}) });
    const pair = makePair({ bootstrapA: slow, bootstrapB: slow });
    const pending = E(pair.b.session.bootstrap() as typeof slow).wait();
    await pair.settle();
    pair.take();
    pair.b.session.receiveBytes(new TextEncoder().encode("<7'op:nope>"));
    expect(pair.take()).toEqual([expect.stringMatching(/^B>A abort "WIRE_UNKNOWN_OP: /)]);
    const closed = pair.b.closedWith!;
    expect(closed.code).toBe('WIRE_UNKNOWN_OP');
    expectNoCodePrefix(closed);
    expectNoCodePrefix(await failure(pending));
  });

  it('a session over a budget: BUDGET_EXCEEDED on the wire once, not in the local message', () => {
    const solo = makeSolo(far('slow', { wait: () => new Promise(() => {}) }), { limits: { maxAnswers: 1 } });
    for (let i = 0; i < 2; i++) {
      solo.session.receive({ op: 'deliver', to: { type: 'export', position: 0 }, args: [sym('wait')], answerPos: i, resolveMe: null });
    }
    expect(solo.sent.at(-1)).toMatch(/^abort "BUDGET_EXCEEDED: maxAnswers: /);
    expect(solo.closedWith?.code).toBe('BUDGET_EXCEEDED');
    expectNoCodePrefix(solo.closedWith!);
  });

  it('relay dial failures seen through a page↔worker link keep their code, and their message its text (PEER_OFFLINE, RELAY_UNREACHABLE, RELAY_POLICY)', async () => {
    const relay = await testRelay();
    // A worker vat on the relay, and a page vat reaching its admin over a MessagePort, as src/browser does.
    const workerVat = await createVat({ netlayers: [relayNetlayer({ url: relay.url, relayPolicy: 'never', connectTimeoutMs: 2_000_000_000 })] });
    const { port1, port2 } = new MessageChannel();
    const linked = await createVat({ netlayers: [messagePortNetlayer(port2, 'b')] });
    const page = await createVat({ netlayers: [messagePortNetlayer(port1, 'a')] });
    vats.push(workerVat, linked, page);
    const adminUri = await linked.register(far('admin', { enliven: (uri: string) => workerVat.enliven(uri) }));
    const admin = await page.enliven<{ enliven(uri: string): unknown }>(adminUri);
    const offline = formatSturdyRef({ peer: { transport: 'relay', designator: identity().designator, hints: { url: relay.url } }, swiss: new Uint8Array(32).fill(7) });
    const elsewhere = formatSturdyRef({ peer: { transport: 'relay', designator: identity().designator, hints: { url: 'ws://127.0.0.1:9/' } }, swiss: new Uint8Array(32).fill(7) });

    const inWorker = await failure(workerVat.enliven(offline));
    const onPage = await failure(E(admin).enliven(offline));
    expect(inWorker.code).toBe('PEER_OFFLINE');
    expect(onPage.code).toBe('PEER_OFFLINE');
    expect(onPage.message).toBe(inWorker.message);
    const policy = await failure(E(admin).enliven(elsewhere));
    expect(policy.code).toBe('RELAY_POLICY');

    // The relay goes away: dials now fail as RELAY_UNREACHABLE.
    const down = await createVat({ netlayers: [relayNetlayer({ url: `ws://127.0.0.1:${relay.port}`, connectTimeoutMs: 30, reconnect: false })] });
    vats.push(down);
    await relay.close();
    const unreachable = await failure(down.enliven(offline));
    expect(unreachable.code).toBe('RELAY_UNREACHABLE');

    for (const e of [inWorker, onPage, policy, unreachable]) expectNoCodePrefix(e);
  });
});
