import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { relayNetlayer } from '../../../src/netlayer/relay/node.js';
import type { RelayNetlayer, RelayNetlayerOptions } from '../../../src/netlayer/relay/index.js';
import { webrtcNetlayer } from '../../../src/netlayer/webrtc/netlayer.js';
import type { FromBroker, ToBroker } from '../../../src/netlayer/webrtc/broker-protocol.js';
import type { Netlayer } from '../../../src/netlayer/types.js';
import { startBrowserVat } from '../../../src/browser/start.js';
import { CapmeshError, isCapmeshError } from '../../../src/util/errors.js';
import { identity, onCleanup, testRelay, type Identity } from '../../relay/helpers.js';

/**
 * Dials fail with a code that says why, as soon as the relay knows: a peer
 * that is not registered is `PEER_OFFLINE` (never after a timeout), a relay
 * we cannot reach is `RELAY_UNREACHABLE`, a malformed relay URL is
 * `INVALID_ARGUMENT` at construction; and no message repeats its code.
 */

/** Longer than any test may run, and still a valid setTimeout delay: a dial that waits for it never settles here. */
const HUGE_MS = 2_000_000_000;

async function attached(netlayer: Netlayer, who: Identity = identity()): Promise<Netlayer> {
  onCleanup(() => netlayer.close());
  await netlayer.attach({ designator: who.designator, signer: who.signer, onConnection: () => {} });
  return netlayer;
}

function relayNet(url: string, options: Partial<RelayNetlayerOptions> = {}): RelayNetlayer {
  return relayNetlayer({ url, reconnect: { initialDelayMs: 5, maxDelayMs: 40 }, ...options });
}

/** A loopback port nothing listens on (taken, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A page broker stand-in that makes an offer for every dial and builds nothing else. */
function offeringBroker() {
  const asked: ToBroker[] = [];
  const broker = {
    onmessage: null as ((e: MessageEvent) => void) | null,
    postMessage(m: ToBroker) {
      asked.push(m);
      if (m.type === 'dial') queueMicrotask(() => broker.onmessage?.({ data: { type: 'local', id: m.id, sdp: `offer-${m.id}` } satisfies FromBroker } as MessageEvent));
    },
  };
  return { broker, asked };
}

async function rejection(p: Promise<unknown>): Promise<CapmeshError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!isCapmeshError(e)) throw new Error(`expected a CapmeshError rejection, got ${String(e)}`);
  return e;
}

describe('relay dials: distinct codes, at once', () => {
  it('dialling an unregistered designator over the relay netlayer rejects with PEER_OFFLINE, before a huge connectTimeoutMs', async () => {
    const relay = await testRelay();
    const net = await attached(relayNet(relay.url, { connectTimeoutMs: HUGE_MS }));
    const nobody = identity().designator;
    const error = await rejection(net.connect({ transport: 'relay', designator: nobody, hints: {} }));
    expect(error.code).toBe('PEER_OFFLINE');
    expect(error.message).toContain(nobody.slice(0, 12));
    expect(error.message).not.toMatch(/^PEER_OFFLINE/);
  });

  it('a WebRTC dial to an unregistered designator ends when the relay bounces its offer (PEER_OFFLINE), not after a huge timeoutMs', async () => {
    const relay = await testRelay();
    const home = relayNet(relay.url, { connectTimeoutMs: HUGE_MS });
    const { broker, asked } = offeringBroker();
    const net = await attached(webrtcNetlayer({ relay: home, broker, timeoutMs: HUGE_MS }));
    const error = await rejection(net.connect({ transport: 'relay', designator: identity().designator, hints: {} }));
    expect(error.code).toBe('PEER_OFFLINE');
    // The direct attempt was made (an offer built), and given up: its peer connection closed.
    const dial = asked.find((m) => m.type === 'dial');
    expect(dial).toBeDefined();
    expect(asked).toContainEqual({ type: 'close', id: (dial as { id: number }).id });
  });

  it('a relay that cannot be reached is RELAY_UNREACHABLE, for the relay netlayer and the WebRTC netlayer', async () => {
    const url = `ws://127.0.0.1:${await deadPort()}`;
    const net = await attached(relayNet(url, { connectTimeoutMs: 30 }));
    expect((await rejection(net.connect({ transport: 'relay', designator: identity().designator, hints: {} }))).code).toBe('RELAY_UNREACHABLE');
    const rtc = await attached(webrtcNetlayer({ relay: relayNet(url, { connectTimeoutMs: 30 }), broker: offeringBroker().broker, timeoutMs: HUGE_MS }));
    const error = await rejection(rtc.connect({ transport: 'relay', designator: identity().designator, hints: {} }));
    expect(error.code).toBe('RELAY_UNREACHABLE');
    expect(error.message).not.toMatch(/^RELAY_UNREACHABLE/);
  });

  it('a relay that goes away while we wait to register is RELAY_UNREACHABLE, not DISCONNECTED', async () => {
    const relay = await testRelay();
    const url = relay.url;
    await relay.close();
    const net = await attached(relayNet(url, { connectTimeoutMs: 30 }));
    expect((await rejection(net.connect({ transport: 'relay', designator: identity().designator, hints: {} }))).code).toBe('RELAY_UNREACHABLE');
  });

  it('a malformed relay URL is INVALID_ARGUMENT at construction (relay netlayer) and before any worker starts (startBrowserVat)', async () => {
    for (const url of ['not a url', 'http://relay.example/', 'ws://user:pw@relay.example/']) {
      expect(() => relayNet(url)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      // No Worker exists in Node: reaching it would throw a ReferenceError, not a CapmeshError.
      expect((await rejection(startBrowserVat({ relay: url }))).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('a malformed url hint in a locator is INVALID_ARGUMENT, not DISCONNECTED', async () => {
    const relay = await testRelay();
    const net = await attached(relayNet(relay.url));
    const error = await rejection(net.connect({ transport: 'relay', designator: identity().designator, hints: { url: 'http://elsewhere/' } }));
    expect(error.code).toBe('INVALID_ARGUMENT');
  });
});
