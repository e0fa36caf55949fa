import * as Y from 'yjs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryNetwork } from '../../src/testing.js';
import { joinDoc, shareDoc } from '../../src/yjs/index.js';
import { closeVats, converged, same, vatOn } from './helpers.js';

afterEach(closeVats);

/** One step of a run: an edit by one of the three docs (0 the host), or a pause that lets the network deliver. */
type Step = { kind: 'insert'; who: number; at: number; text: string } | { kind: 'delete'; who: number; at: number; length: number } | { kind: 'yield' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('insert' as const), who: fc.integer({ min: 0, max: 2 }), at: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.string({ minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), who: fc.integer({ min: 0, max: 2 }), at: fc.double({ min: 0, max: 1, noNaN: true }), length: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'yield' as const }) },
);

function apply(doc: Y.Doc, s: Step): void {
  const text = doc.getText('t');
  if (s.kind === 'insert') text.insert(Math.floor(s.at * text.length), s.text);
  else if (s.kind === 'delete' && text.length > 0) {
    const at = Math.min(Math.floor(s.at * text.length), text.length - 1);
    text.delete(at, Math.min(s.length, text.length - at));
  }
}

describe('convergence under concurrent edits', () => {
  // Acknowledgement requests interleave with the pushes at any batch size; a small budget drops members now and then, and they rejoin.
  const acks = fc.record({ ackEvery: fc.integer({ min: 1, max: 8 }), ackDelayMs: fc.integer({ min: 1, max: 3 }), maxQueuedBytesPerMember: fc.integer({ min: 32, max: 1024 }) });

  it('host and two editors end with the same state whatever the edits, the delivery interleaving and the ack batching (seeded)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), fc.array(step, { minLength: 1, maxLength: 40 }), fc.boolean(), acks, async (seed, steps, editBeforeSync, ackOptions) => {
        const network = createMemoryNetwork({ seed, log: false });
        const [host, a, b] = await Promise.all([vatOn(network), vatOn(network), vatOn(network)]);
        const docs = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
        docs[0]!.getText('t').insert(0, 'seed text');
        const share = await shareDoc(host, docs[0]!, ackOptions);
        if (editBeforeSync) docs[1]!.getText('t').insert(0, 'early ');
        const joined = await Promise.all([joinDoc(a, share.editor, docs[1]!), joinDoc(b, share.editor, docs[2]!)]);
        // Edits start while the joins may still be syncing: the state exchange at join must cover them.
        for (const s of steps) {
          if (s.kind === 'yield') await new Promise<void>((resolve) => setImmediate(resolve));
          else apply(docs[s.who]!, s);
        }
        await Promise.all(joined.map((j) => j.synced));
        await converged(docs);
        expect(same(docs)).toBe(true);
        for (const j of joined) j.close();
        await share.close();
        await closeVats();
      }),
      { seed: 20261130, numRuns: Number(process.env.CAPMESH_YJS_RUNS ?? 25) },
    );
  }, 120_000);
});
