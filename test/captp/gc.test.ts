import { describe, expect, it } from 'vitest';
import { E, far } from '../../src/vat/index.js';
import { makePair } from './harness.js';
import { GC_POSITIONS_PER_MESSAGE } from '../../src/captp/session.js';

const thing = far('thing', { ping: () => 'pong' });
const host = () =>
  far('host', {
    one: () => thing,
    four: () => [thing, thing, thing, thing],
  });
type Host = ReturnType<typeof host>;

describe('distributed GC', () => {
  it('one reference received four times in one message is released with delta 4', async () => {
    const pair = makePair({ bootstrapB: host() });
    const list = (await settleWith(pair, E(pair.a.session.bootstrap() as Host).four())) as object[];
    expect(new Set(list).size).toBe(1);
    pair.take();
    expect(pair.finalizer.collect(list[0]!)).toBe(1);
    await pair.settle();
    expect(pair.take()).toEqual(['A>B gc-exports 1x4']);
    expect(pair.b.session.stats().exports).toBe(0);
    pair.b.session.check();
  });

  it('one reference received in four messages is released with deltas summing to 4', async () => {
    const pair = makePair({ bootstrapB: host() });
    const boot = pair.a.session.bootstrap() as Host;
    const refs = await settleWith(pair, Promise.all([E(boot).one(), E(boot).one(), E(boot).one(), E(boot).one()]));
    expect(new Set(refs).size).toBe(1);
    pair.take();
    pair.finalizer.collect(refs[0]!);
    await pair.settle();
    const gc = pair.take();
    const total = gc
      .filter((l) => l.startsWith('A>B gc-exports'))
      .flatMap((l) => l.slice('A>B gc-exports '.length).split(','))
      .reduce((sum, e) => sum + Number(e.split('x')[1]), 0);
    expect(total).toBe(4);
    expect(pair.b.session.stats().exports).toBe(0);
  });

  it('an import in flight survives a concurrent GC of the same position', async () => {
    const pair = makePair({ bootstrapB: host() });
    const boot = pair.a.session.bootstrap() as Host;
    const first = await settleWith(pair, E(boot).one());
    pair.take();
    // B sends the object again; before it arrives, A drops the first one.
    const again = E(boot).one();
    expect(pair.step()).toBe(true); // A>B deliver one
    await pair.settleTurnsOnly(); // B runs the call and queues its fulfill
    pair.finalizer.collect(first);
    pair.a.session.flushGc(); // A>B gc-exports 2x1 crosses B>A fulfill [import-object:2]
    await pair.settle();
    const second = await again;
    expect(await settleWith(pair, E(second as typeof thing).ping())).toBe('pong');
    pair.take();
    expect(pair.b.session.stats().exports).toBe(1);
    pair.finalizer.collect(second as object);
    await pair.settle();
    expect(pair.b.session.stats().exports).toBe(0);
    pair.a.session.check();
    pair.b.session.check();
  });

  it('finished questions send op:gc-answers, batched', async () => {
    const pair = makePair({ bootstrapB: host() });
    const boot = pair.a.session.bootstrap() as Host;
    await settleWith(pair, Promise.all([E(boot).one(), E(boot).one(), E(boot).one()]));
    expect(pair.log.filter((l) => l.includes('gc-answers'))).toEqual(['A>B gc-answers 1,2,3']);
    expect(pair.b.session.stats().answers).toBe(0);
  });
});

async function settleWith<T>(pair: ReturnType<typeof makePair>, p: Promise<T>): Promise<T> {
  await pair.settle();
  return p;
}

describe('distributed GC: batch size', () => {
  it('a batch of releases larger than GC_POSITIONS_PER_MESSAGE goes out in several op:gc-exports, each within it, releasing every export once', async () => {
    const n = GC_POSITIONS_PER_MESSAGE + 10;
    const many = Array.from({ length: n }, (_, i) => far(`thing ${i}`, { ping: () => i }));
    const pair = makePair({ bootstrapB: far('host', { many: () => many }), limits: { maxReferencesPerMessage: 2 * n } });
    const list = (await settleWith(pair, E(pair.a.session.bootstrap() as { many(): object[] }).many())) as object[];
    expect(pair.b.session.stats().exports).toBe(n);
    pair.take();
    for (const ref of list) pair.finalizer.collect(ref);
    await pair.settle();
    const sizes = pair
      .take()
      .filter((l) => l.startsWith('A>B gc-exports '))
      .map((l) => l.slice('A>B gc-exports '.length).split(',').length);
    expect(sizes).toEqual([GC_POSITIONS_PER_MESSAGE, 10]);
    expect(pair.b.session.stats().exports).toBe(0);
    pair.b.session.check();
  });
});
