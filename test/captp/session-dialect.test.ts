import { describe, expect, it } from 'vitest';
import { decode } from '../../src/syrup/decode.js';
import { SyrupRecord } from '../../src/syrup/types.js';
import { E, far } from '../../src/vat/index.js';
import { dialectFor } from '../../src/wire/index.js';
import { makePair, type Pair } from './harness.js';

/**
 * Per-session dialects in the I/O-free core: A writes `spec` and learns; B is
 * a Goblins-speaking session (it writes `goblins`, learns nothing). The
 * assertions are on the exact wire records A writes before and after each
 * form is revealed by B.
 */

const thing = far('thing', { ping: () => 'pong' });
const never = (): Promise<never> => new Promise<never>(() => undefined);
const taken: object[] = [];
const objects = (name: string) =>
  far(name, {
    take: (gift: object, _promises: unknown[]) => void taken.push(gift),
    thing: () => far(`${name} thing`, { ping: () => 'pong' }),
    // A pending promise inside the result is exported as desc:import-promise: its importer listens at once.
    promised: () => [never()],
    note: () => undefined,
  });
type Objects = ReturnType<typeof objects>;

/** Label and field shape of each record A sent since `from`: `f` for false, `[]` for a GC list, `·` for anything else. */
function writtenByA(pair: Pair, from: number, only?: readonly string[]): string[] {
  return pair.frames
    .slice(from)
    .filter((f) => f.from === 'A')
    .filter((f) => only === undefined || only.includes((decode(f.bytes) as SyrupRecord).labelName!))
    .map((f) => {
      const r = decode(f.bytes) as SyrupRecord;
      const gc = r.labelName!.startsWith('op:gc-');
      const shape = r.fields.map((x) => (gc && Array.isArray(x) ? '[]' : x === false ? 'f' : '·')).join(' ');
      return `${r.labelName} ${shape}`;
    });
}

async function settled<T>(pair: Pair, p: Promise<T>): Promise<T> {
  await pair.settle();
  return p;
}

describe('CaptpSession: a per-session dialect, learned from what the peer writes', () => {
  it('A writes spec until B reveals each older form, then that form from its next message on', async () => {
    const pair = makePair({ dialectA: dialectFor('spec'), dialectB: dialectFor('goblins'), learnA: true, bootstrapA: objects('A'), bootstrapB: objects('B') });
    const bootA = pair.b.session.bootstrap() as Objects;
    const bootB = pair.a.session.bootstrap() as Objects;
    expect(pair.a.session.dialect.name).toBe('spec');

    // Nothing learned yet: fire-and-forget as op:deliver … f f.
    let mark = pair.frames.length;
    E.sendOnly(bootB).note();
    await pair.settle();
    expect(writtenByA(pair, mark)).toEqual(['op:deliver · · f f']);
    expect(pair.a.session.dialectLearned).toBe(false);

    // B's op:deliver-only (carrying an object and a promise) teaches A fire-and-forget only:
    // A listens to the promise with 2 fields and releases the object with plural GC.
    mark = pair.frames.length;
    E.sendOnly(bootA).take(far('B gift', {}), [never()]);
    await pair.settle();
    expect(pair.a.session.dialect.fireAndForget).toBe('deliver-only');
    expect(pair.a.session.dialectLearned).toBe(true);
    expect(writtenByA(pair, mark)).toEqual(['op:listen · ·']);
    mark = pair.frames.length;
    pair.finalizer.collect(taken[0]!);
    await pair.settle();
    expect(writtenByA(pair, mark)).toEqual(['op:gc-exports [] []']);
    mark = pair.frames.length;
    E.sendOnly(bootB).note();
    await pair.settle();
    expect(writtenByA(pair, mark)).toEqual(['op:deliver-only · ·']);

    // B's 3-field listen (it imports A's promise and listens at once) teaches A the listen form.
    await settled(pair, E(bootA).promised());
    expect(pair.a.session.dialect.listenWantsPartial).toBe(true);
    mark = pair.frames.length;
    await settled(pair, E(bootB).promised());
    expect(writtenByA(pair, mark, ['op:deliver', 'op:listen'])).toEqual(['op:deliver · · · ·', 'op:listen · · f']);

    // B released its answers and A's resolvers with single-position op:gc-answer / op:gc-export: A learned the Goblins GC form.
    expect(pair.a.session.dialect.gcForm).toBe('singular');
    const after = await settled(pair, E(bootB).thing());
    mark = pair.frames.length;
    pair.finalizer.collect(after);
    await pair.settle();
    expect(writtenByA(pair, mark)).toEqual(['op:gc-export · ·']);

    // Every knob learned: A now writes plain Goblins.
    expect(pair.a.session.dialect).toStrictEqual(dialectFor('goblins'));
    expect(pair.a.closedWith).toBeUndefined();
    expect(pair.b.closedWith).toBeUndefined();
  });

  it('a session with learning off writes its dialect as given, whatever the peer writes', async () => {
    const pair = makePair({ dialectA: dialectFor('spec'), dialectB: dialectFor('goblins'), bootstrapA: objects('A'), bootstrapB: objects('B') });
    const bootA = pair.b.session.bootstrap() as Objects;
    const bootB = pair.a.session.bootstrap() as Objects;
    E.sendOnly(bootA).note();
    await settled(pair, E(bootA).promised());
    const mark = pair.frames.length;
    E.sendOnly(bootB).note();
    await settled(pair, E(bootB).promised());
    // B wrote op:deliver-only, a 3-field listen and single-position GC by now; A still writes spec (plural GC too).
    expect(writtenByA(pair, mark)).toEqual(['op:deliver · · f f', 'op:deliver · · · ·', 'op:listen · ·', 'op:gc-answers []']);
    expect(pair.a.session.dialect).toStrictEqual(dialectFor('spec'));
    expect(pair.a.session.dialectLearned).toBe(false);
  });

  it('a question (op:deliver with a resolver) reveals nothing: the answer goes in the spec form', async () => {
    const pair = makePair({ dialectA: dialectFor('spec'), dialectB: dialectFor('goblins'), learnA: true, bootstrapA: far('A', { ping: () => thing }) });
    const bootA = pair.b.session.bootstrap() as { ping(): Promise<unknown> };
    // B's question carries a resolver, not deliver-only: nothing is learned from it, so A's answer is spec.
    const mark = pair.frames.length;
    await settled(pair, E(bootA).ping());
    // The answer (fire-and-forget) and the release of B's resolver: both spec.
    expect(writtenByA(pair, mark)).toEqual(['op:deliver · · f f', 'op:gc-exports [] []']);
    expect(pair.a.session.dialect.fireAndForget).toBe('deliver');
  });
});
