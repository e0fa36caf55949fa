import { utf8Decode, utf8Encode } from '../../../src/util/bytes.js';
import type { MemoryNetwork } from '../../../src/netlayer/index.js';
import type { Connection, ConnectionCloseReason, ConnectionReceiver, Netlayer } from '../../../src/netlayer/index.js';
import { testSigner } from '../../crypto/test-signer.js';

/** A receiver that records what it gets, as text. */
export interface Recorder extends ConnectionReceiver {
  readonly messages: string[];
  readonly closes: ConnectionCloseReason[];
  /** Messages and closes in one timeline (`close:<kind>` for closes). */
  readonly events: string[];
}

export function recorder(onMessage?: (text: string) => void): Recorder {
  const messages: string[] = [];
  const closes: ConnectionCloseReason[] = [];
  const events: string[] = [];
  return {
    messages,
    closes,
    events,
    message(bytes) {
      const text = utf8Decode(bytes);
      messages.push(text);
      events.push(text);
      onMessage?.(text);
    },
    closed(reason) {
      closes.push(reason);
      events.push(`close:${reason.kind}`);
    },
  };
}

export const text = utf8Encode;

/** Lets every queued microtask (and the ones they queue) run. Not a sleep: no timer involved. */
export async function flushMicrotasks(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await Promise.resolve();
}

export function memoryLocator(designator: string) {
  return { transport: 'memory', designator, hints: {} } as const;
}

export interface Vat {
  readonly designator: string;
  readonly netlayer: Netlayer;
  /** Inbound connections in arrival order. */
  readonly inbound: Connection[];
}

export async function attachVat(network: MemoryNetwork, designator: string, latencyMs?: number): Promise<Vat> {
  const netlayer = network.netlayer(latencyMs === undefined ? {} : { latencyMs });
  const inbound: Connection[] = [];
  await netlayer.attach({
    designator,
    signer: testSigner(),
    onConnection: (connection) => inbound.push(connection),
  });
  return { designator, netlayer, inbound };
}

export interface Pair {
  readonly alice: Vat;
  readonly bob: Vat;
  /** Alice's outbound end. */
  readonly toBob: Connection;
  /** Bob's inbound end. */
  readonly toAlice: Connection;
  readonly atAlice: Recorder;
  readonly atBob: Recorder;
}

/** Alice dials Bob; both ends get recorders. */
export async function connectedPair(network: MemoryNetwork, latency: { alice?: number; bob?: number } = {}): Promise<Pair> {
  const alice = await attachVat(network, 'alice', latency.alice);
  const bob = await attachVat(network, 'bob', latency.bob);
  const toBob = await alice.netlayer.connect(memoryLocator('bob'));
  const toAlice = bob.inbound[0];
  if (toAlice === undefined) throw new Error('bob saw no inbound connection');
  const atAlice = recorder();
  const atBob = recorder();
  toBob.setReceiver(atAlice);
  toAlice.setReceiver(atBob);
  return { alice, bob, toBob, toAlice, atAlice, atBob };
}
