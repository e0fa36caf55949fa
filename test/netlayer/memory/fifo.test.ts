import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryNetwork } from '../../../src/netlayer/index.js';
import type { MemoryLink, MemoryNetwork } from '../../../src/netlayer/index.js';
import { connectedPair, flushMicrotasks, text, type Pair } from './helpers.js';

type Side = 'alice' | 'bob';

type Command =
  | { readonly op: 'send'; readonly from: Side }
  | { readonly op: 'hold' }
  | { readonly op: 'release' }
  | { readonly op: 'step'; readonly from: Side | undefined }
  | { readonly op: 'flush' }
  | { readonly op: 'latency'; readonly ms: number }
  | { readonly op: 'advance'; readonly ms: number };

const side = fc.constantFrom<Side>('alice', 'bob');

const baseCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: side.map((from) => ({ op: 'send', from }) as const) },
  { weight: 1, arbitrary: fc.constant({ op: 'hold' } as const) },
  { weight: 1, arbitrary: fc.constant({ op: 'release' } as const) },
  { weight: 2, arbitrary: fc.option(side, { nil: undefined }).map((from) => ({ op: 'step', from }) as const) },
  { weight: 2, arbitrary: fc.constant({ op: 'flush' } as const) },
);

const timedCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 8, arbitrary: baseCommand },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }).map((ms) => ({ op: 'latency', ms }) as const) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 20 }).map((ms) => ({ op: 'advance', ms }) as const) },
);

/** Runs `commands`, then lets everything through; returns what was sent per side. */
async function drive(
  network: MemoryNetwork,
  pair: Pair,
  commands: readonly Command[],
  timed: boolean,
): Promise<Record<Side, string[]>> {
  const link = network.linkBetween('alice', 'bob') as MemoryLink;
  const sent: Record<Side, string[]> = { alice: [], bob: [] };
  for (const command of commands) {
    switch (command.op) {
      case 'send': {
        const payload = `${command.from}-${sent[command.from].length}`;
        sent[command.from].push(payload);
        (command.from === 'alice' ? pair.toBob : pair.toAlice).send(text(payload));
        break;
      }
      case 'hold':
        link.hold();
        break;
      case 'release':
        link.release();
        break;
      case 'step':
        link.step(command.from);
        break;
      case 'flush':
        await flushMicrotasks(3);
        break;
      case 'latency':
        link.setLatency(command.ms);
        break;
      case 'advance':
        vi.advanceTimersByTime(command.ms);
        break;
    }
    // What was received is always a prefix of what was sent.
    expect(sent.alice.slice(0, pair.atBob.messages.length)).toEqual(pair.atBob.messages);
    expect(sent.bob.slice(0, pair.atAlice.messages.length)).toEqual(pair.atAlice.messages);
  }
  link.release();
  if (timed) vi.runAllTimers();
  await flushMicrotasks();
  return sent;
}

function checkLog(network: MemoryNetwork, total: number): void {
  const sent = network.log.filter((e) => e.at === 'sent').map((e) => e.seq);
  const delivered = network.log.filter((e) => e.at === 'delivered');
  expect(sent).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  expect(delivered).toHaveLength(total);
  expect(new Set(delivered.map((e) => e.seq)).size).toBe(total);
  for (const from of ['alice', 'bob']) {
    const seqs = delivered.filter((e) => e.from === from).map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  }
  expect(network.log.some((e) => e.at === 'dropped')).toBe(false);
}

describe('memory links: FIFO, exactly once, under random interleavings', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('without latency, with random hold/step/release', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(baseCommand, { maxLength: 60 }), fc.option(fc.integer(), { nil: undefined }), async (commands, seed) => {
        const network = createMemoryNetwork(seed === undefined ? {} : { seed });
        const pair = await connectedPair(network);
        const sent = await drive(network, pair, commands, false);
        expect(pair.atBob.messages).toEqual(sent.alice);
        expect(pair.atAlice.messages).toEqual(sent.bob);
        expect(network.pending()).toBe(0);
        checkLog(network, sent.alice.length + sent.bob.length);
      }),
      { seed: 0x5eed, numRuns: 150 },
    );
  });

  it('with random latencies and clock advances (fake timers)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(timedCommand, { maxLength: 60 }), async (commands) => {
        vi.useFakeTimers();
        try {
          const network = createMemoryNetwork();
          const pair = await connectedPair(network);
          const sent = await drive(network, pair, commands, true);
          expect(pair.atBob.messages).toEqual(sent.alice);
          expect(pair.atAlice.messages).toEqual(sent.bob);
          expect(vi.getTimerCount()).toBe(0);
          checkLog(network, sent.alice.length + sent.bob.length);
        } finally {
          vi.useRealTimers();
        }
      }),
      { seed: 0xf1f0, numRuns: 150 },
    );
  });
});
