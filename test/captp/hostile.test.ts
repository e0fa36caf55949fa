import { describe, expect, it } from 'vitest';
import { E, far } from '../../src/vat/index.js';
import { sym } from '../../src/syrup/types.js';
import { makePair, makeSolo } from './harness.js';

const slow = () => {
  const never = new Promise(() => {});
  return far('slow', { wait: () => never, hi: () => 'hi' });
};
type Slow = ReturnType<typeof slow>;

describe('hostile input aborts the session, breaks what depended on it, and nothing else', () => {
  const cases: [string, (pair: ReturnType<typeof makePair>) => void, string][] = [
    ['garbage bytes', (p) => p.b.session.receiveBytes(new TextEncoder().encode('<<<not syrup')), 'SYRUP_MALFORMED'],
    ['trailing bytes', (p) => p.b.session.receiveBytes(new TextEncoder().encode("<8'op:aborte\"x>junk")), 'SYRUP_MALFORMED'],
    ['an unknown op', (p) => p.b.session.receiveBytes(new TextEncoder().encode("<7'op:nope>")), 'WIRE_UNKNOWN_OP'],
    [
      'a deliver to a position never exported',
      (p) => p.b.session.receive({ op: 'deliver', to: { type: 'export', position: 99 }, args: [sym('x')], answerPos: null, resolveMe: null }),
      'PROTOCOL',
    ],
    [
      'a deliver to an answer that does not exist',
      (p) => p.b.session.receive({ op: 'deliver', to: { type: 'answer', position: 99 }, args: [], answerPos: null, resolveMe: null }),
      'PROTOCOL',
    ],
    ['a GC of more references than were sent', (p) => p.b.session.receive({ op: 'gc-exports', entries: [{ position: 0, delta: 1 }, { position: 5, delta: 1 }] }), 'PROTOCOL'],
    ['a second start-session', (p) => p.b.session.receiveBytes(startSessionBytes()), 'PROTOCOL'],
    ['an obsolete op:bootstrap', (p) => p.b.session.receiveBytes(new TextEncoder().encode("<12'op:bootstrap0+>")), 'PROTOCOL'],
  ];

  for (const [name, attack, code] of cases) {
    it(`${name} → op:abort with ${code}`, async () => {
      const pair = makePair({ bootstrapA: slow(), bootstrapB: slow() });
      // B has a question outstanding towards A, which must break.
      const pending = E(pair.b.session.bootstrap() as Slow).wait();
      await pair.settle();
      pair.take();
      attack(pair);
      expect(pair.b.closedWith?.code).toBe(code);
      expect(pair.b.sentAbort).toBe(true);
      expect(pair.take()).toEqual([expect.stringMatching(new RegExp(`^B>A abort "${code}: `))]);
      await expect(pending).rejects.toMatchObject({ code });
      await expect(E(pair.b.session.bootstrap() as Slow).hi()).rejects.toMatchObject({ code });
      await pair.settle();
      expect(pair.a.closedWith?.code).toBe('ABORTED');
      pair.a.session.check();
      pair.b.session.check();
    });
  }

  it('a peer over the answer-table budget is aborted with BUDGET_EXCEEDED naming maxAnswers', () => {
    const solo = makeSolo(slow(), { limits: { maxAnswers: 2 } });
    for (let i = 0; i < 3; i++) {
      solo.session.receive({ op: 'deliver', to: { type: 'export', position: 0 }, args: [sym('wait')], answerPos: i, resolveMe: null });
    }
    expect(solo.closedWith?.code).toBe('BUDGET_EXCEEDED');
    expect(solo.closedWith?.detail).toEqual({ budget: 'maxAnswers' });
    expect(solo.sent.at(-1)).toMatch(/^abort "BUDGET_EXCEEDED: maxAnswers: /);
  });

  it('reusing an answer position before op:gc-answers is a protocol error', () => {
    const solo = makeSolo(slow());
    const op = { op: 'deliver', to: { type: 'export', position: 0 }, args: [sym('wait')], answerPos: 4, resolveMe: null } as const;
    solo.session.receive(op);
    expect(solo.closedWith).toBeUndefined();
    solo.session.receive(op);
    expect(solo.closedWith?.code).toBe('PROTOCOL');
  });

  it('a send with a non-passable argument rejects locally and sends nothing, committing no refcount', async () => {
    const pair = makePair({ bootstrapB: slow() });
    const local = far('x', {});
    const bad = E(pair.a.session.bootstrap() as unknown as { hi(a: unknown, b: unknown): string }).hi(local, () => 1);
    await expect(bad).rejects.toMatchObject({ code: 'NOT_PASSABLE' });
    expect(pair.take()).toEqual([]);
    expect(pair.a.session.stats().exports).toBe(0);
    expect(pair.a.closedWith).toBeUndefined();
  });

  it('a peer abort breaks pending questions with ABORTED', async () => {
    const pair = makePair({ bootstrapB: slow() });
    const pending = E(pair.a.session.bootstrap() as Slow).wait();
    await pair.settle();
    pair.b.session.abort('going away', 'ABORTED');
    await pair.settle();
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED', message: 'the peer aborted the session: going away' });
  });
});

function startSessionBytes(): Uint8Array {
  const q = '32:' + 'a'.repeat(32);
  const key = `[10'public-key[3'ecc[5'curve7'Ed25519][5'flags5'eddsa][1'q${q}]]]`;
  const peer = `<10'ocapn-peer6'memory1"x{}>`;
  const sig = `[7'sig-val[5'eddsa[1'r32:${'b'.repeat(32)}][1's32:${'c'.repeat(32)}]]]`;
  return new TextEncoder().encode(`<16'op:start-session3"1.0${key}${peer}${sig}>`);
}
