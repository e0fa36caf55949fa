import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createVat, E, far, type Remote, type EngineVat } from '../../src/index.js';
import { createMemoryNetwork } from '../../src/testing.js';
import { run, scenario } from './model/commands.js';
import { World, type Coverage } from './model/world.js';

interface Sink {
  hit(from: string, seq: number): void;
  relay(target: Remote<Sink>, from: string, seq: number): void;
}

const gc = (globalThis as { gc?: () => void }).gc!;

async function quiet(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 20_000; i++) {
    gc();
    if (predicate()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never quiet: ${what}`);
}

/**
 * A model-based run over three vats: random sends, direct and relayed through
 * a third vat (which passes a reference it imported from another vat), on a
 * seeded memory network. Every message must arrive exactly once, messages on
 * one reference in the order sent; afterwards, with every reference dropped
 * and collected, every session's tables are empty and consistent.
 */
describe('three vats under random traffic', () => {
  it('delivers every message once, in order per reference, and ends with empty tables', async () => {
    expect(gc).toBeTypeOf('function');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(fc.record({ from: fc.nat(2), to: fc.nat(2), via: fc.option(fc.nat(2), { nil: undefined }) }), { minLength: 1, maxLength: 40 }),
        async (seed, plan) => {
          const network = createMemoryNetwork({ seed, log: false });
          const names = ['A', 'B', 'C'];
          const received: string[][] = [[], [], []];
          const vats: EngineVat[] = [];
          for (let i = 0; i < 3; i++) vats.push(await createVat({ netlayers: [network.netlayer()] }));
          const uris = await Promise.all(
            vats.map((vat, i) =>
              vat.register(
                far(`sink ${names[i]}`, {
                  hit: (from: string, seq: bigint) => void received[i]!.push(`${from}#${seq}`),
                  relay: (target: Remote<Sink>, from: string, seq: bigint) => E(target).hit(from, Number(seq)),
                }),
              ),
            ),
          );
          await (async () => {
            // refs[i][j]: vat i's reference to vat j's sink.
            const refs = await Promise.all(vats.map((vat) => Promise.all(uris.map((u) => vat.enliven<Sink>(u)))));
            const expected: string[][] = [[], [], []];
            const sends: Promise<unknown>[] = [];
            plan.forEach(({ from, to, via }, seq) => {
              const tag = `${names[from]}${via === undefined ? '' : `>${names[via]}`}`;
              expected[to]!.push(`${tag}#${seq}`);
              if (via === undefined) sends.push(E(refs[from]![to]!).hit(tag, seq));
              else sends.push(E(refs[from]![via]!).relay(refs[from]![to]!, tag, seq));
            });
            await Promise.all(sends);
            for (let i = 0; i < 3; i++) {
              // Exactly once each…
              expect([...received[i]!].sort()).toEqual([...expected[i]!].sort());
              // …and direct sends from one vat arrive in the order they were sent.
              for (const sender of names) {
                const direct = (list: string[]) => list.filter((m) => m.startsWith(`${sender}#`));
                expect(direct(received[i]!)).toEqual(direct(expected[i]!));
              }
            }
          })();
          await quiet(
            () => vats.every((v) => v.sessions().every((s) => s.stats.imports === 0 && s.stats.exports === 0 && s.stats.questions === 0 && s.stats.answers === 0)),
            'tables drain',
          );
          for (const vat of vats) vat.check();
          await Promise.all(vats.map((v) => v.close()));
        },
      ),
      { seed: 20261122, numRuns: 15 },
    );
  });
});

/** Model runs: 200 normally; `npm run fuzz` sets CAPMESH_MODEL_RUNS (10 000). */
const MODEL_RUNS = (() => {
  const env = Number(process.env.CAPMESH_MODEL_RUNS);
  return Number.isSafeInteger(env) && env > 0 ? env : 200;
})();

/**
 * The model-based run with every kind of step (see `model/commands.ts`):
 * sends, promise pipelining, third-party handoffs (relayed once, or kept and
 * used later by the new holder) and releases at steps the plan chooses, on a
 * seeded memory network, with the shadow graph checking targets, per-channel
 * order and, at every `sync` and at the end, the exact tables.
 */
describe('three vats under a model: sends, pipelining, handoffs and releases', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it(
    'every message reaches the object the model names, in order per sender and reference; tables hold exactly what is still referenced',
    async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
      const coverage: Coverage = { handoffs: 0, pipelined: 0, releases: 0 };
      await fc.assert(
        fc.asyncProperty(scenario(40), async ({ seed, latencies, steps }) => {
          const world = await World.create(seed, latencies, coverage);
          try {
            for (const step of steps) await run(world, step);
            await world.settle();
            world.check();
            // Let go of everything: every table empties.
            for (const list of world.handles) for (const h of [...list]) world.drop(h);
            await world.settle();
            world.check();
            for (const vat of world.vats) {
              for (const s of vat.sessions()) expect([s.stats.imports, s.stats.exports, s.stats.questions, s.stats.answers]).toEqual([0, 0, 0, 0]);
            }
          } finally {
            await world.close();
          }
        }),
        { seed: 20261130, numRuns: MODEL_RUNS },
      );
      // The plans really reach what the model is about (per run on average: 1.2 handoffs, 3.2 pipelined sends, 19 gc-exports).
      expect(coverage.handoffs, 'handoffs').toBeGreaterThanOrEqual(MODEL_RUNS / 2);
      expect(coverage.pipelined, 'pipelined sends').toBeGreaterThanOrEqual(MODEL_RUNS);
      expect(coverage.releases, 'gc-exports').toBeGreaterThanOrEqual(MODEL_RUNS);
    },
    Math.max(60_000, MODEL_RUNS * 300),
  );
});
