import { describe, expect, it } from 'vitest';
import { E, far } from '../../src/vat/index.js';
import { CapmeshError } from '../../src/util/errors.js';
import { Tagged, record, sym } from '../../src/syrup/types.js';
import { dialectFor } from '../../src/wire/index.js';
import { makePair, makeSolo } from './harness.js';

const greeter = () =>
  far('greeter', {
    greet: (name: string) => `Hello, ${name}`,
    fail: () => {
      throw new Error('no greeting today');
    },
    log: (_text: string) => undefined,
  });

describe('CaptpSession: deliver', () => {
  it('a call with answer position and resolver, then GC of the resolver and the answer', async () => {
    const pair = makePair({ bootstrapB: greeter() });
    const result = E(pair.a.session.bootstrap() as ReturnType<typeof greeter>).greet('Alice');
    expect(pair.take()).toEqual(['A>B deliver export:0 [\'greet "Alice"] ans=1 res=import-object:1']);
    await pair.settle();
    expect(await result).toBe('Hello, Alice');
    expect(pair.take()).toEqual([
      'B>A deliver export:1 [\'fulfill "Hello, Alice"] ans=f res=f',
      'B>A gc-exports 1x1',
      'A>B gc-answers 1',
    ]);
    pair.a.session.check();
    pair.b.session.check();
    expect(pair.a.session.stats()).toMatchObject({ exports: 0, imports: 0, questions: 0, answers: 0 });
    expect(pair.b.session.stats()).toMatchObject({ exports: 0, imports: 0, questions: 0, answers: 0 });
  });

  it('a thrown error crosses as its message only and breaks the answer', async () => {
    const pair = makePair({ bootstrapB: greeter() });
    const result = E(pair.a.session.bootstrap() as ReturnType<typeof greeter>).fail();
    await pair.settle();
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapmeshError);
    expect(error).toMatchObject({ code: 'BROKEN', message: 'no greeting today' });
    expect((error as Error).stack).not.toContain('session.test');
    expect(pair.take()).toContain('B>A deliver export:1 [\'break <desc:error "no greeting today">] ans=f res=f');
  });

  it('fire-and-forget sends deliver with f f in the spec dialect, and op:deliver-only for the 2026-02 suite', async () => {
    for (const [dialect, bytes] of [
      ['spec', `<10'op:deliver<11'desc:export0+>[3'log1"x]ff>`],
      ['suite-2026-02', `<15'op:deliver-only<11'desc:export0+>[3'log1"x]>`],
    ] as const) {
      const seen: string[] = [];
      const target = far('log', { log: (text: string) => void seen.push(text) });
      const pair = makePair({ dialect: dialectFor(dialect), bootstrapB: target });
      E.sendOnly(pair.a.session.bootstrap() as typeof target).log('x');
      expect(pair.take()).toEqual(['A>B deliver export:0 [\'log "x"] ans=f res=f']);
      expect(new TextDecoder().decode(pair.frames[0]!.bytes)).toBe(bytes);
      await pair.settle();
      expect(seen).toEqual(['x']);
      expect(pair.frames).toHaveLength(1);
    }
  });

  it('answers a deliver that has a resolver but no answer position', async () => {
    const solo = makeSolo(greeter());
    solo.session.receive({
      op: 'deliver',
      to: { type: 'export', position: 0 },
      args: [sym('greet'), 'Bob'],
      answerPos: null,
      resolveMe: { type: 'import-object', position: 7 },
    });
    await solo.settle();
    expect(solo.sent).toEqual(['deliver export:7 [\'fulfill "Hello, Bob"] ans=f res=f', 'gc-exports 7x1']);
    expect(solo.session.stats()).toMatchObject({ imports: 0, answers: 0 });
  });

  it('keeps an answer at position 0 until the questioner releases it', async () => {
    const solo = makeSolo(greeter());
    solo.session.receive({ op: 'deliver', to: { type: 'export', position: 0 }, args: [sym('greet'), 'Zed'], answerPos: 0, resolveMe: null });
    await solo.settle();
    expect(solo.sent).toEqual([]);
    expect(solo.session.stats().answers).toBe(1);
    solo.session.receive({ op: 'listen', to: { type: 'answer', position: 0 }, listenDesc: { type: 'import-object', position: 3 } });
    await solo.settle();
    expect(solo.sent).toEqual(['deliver export:3 [\'fulfill "Hello, Zed"] ans=f res=f', 'gc-exports 3x1']);
    solo.session.receive({ op: 'gc-answers', positions: [0] });
    expect(solo.session.stats().answers).toBe(0);
    solo.session.check();
  });
});

describe('CaptpSession: pipelining', () => {
  const carFactory = () =>
    far('cars', {
      makeCar: (color: string) => {
        if (typeof color !== 'string') throw new Error('color must be a string');
        return far('car', { drive: () => `Vroom! I am a ${color} car!`, honk: () => 'beep' });
      },
    });

  it('sends a dependent chain before the first answer returns, and it resolves in order', async () => {
    const pair = makePair({ bootstrapB: carFactory() });
    const factory = pair.a.session.bootstrap() as ReturnType<typeof carFactory>;
    const car = E(factory).makeCar('red');
    const drive = E(car).drive();
    const honk = E(car).honk();
    expect(pair.take()).toEqual([
      'A>B deliver export:0 [\'makeCar "red"] ans=1 res=import-object:1',
      "A>B deliver answer:1 ['drive] ans=2 res=import-object:2",
      "A>B deliver answer:1 ['honk] ans=3 res=import-object:3",
    ]);
    await pair.settle();
    expect(await drive).toBe('Vroom! I am a red car!');
    expect(await honk).toBe('beep');
  });

  it('a broken answer breaks everything pipelined on it', async () => {
    const pair = makePair({ bootstrapB: carFactory() });
    const factory = pair.a.session.bootstrap() as ReturnType<typeof carFactory>;
    const car = E(factory).makeCar(42 as unknown as string);
    const drive = E(car).drive();
    await pair.settle();
    await expect(car).rejects.toMatchObject({ code: 'BROKEN', message: 'color must be a string' });
    await expect(drive).rejects.toMatchObject({ code: 'BROKEN', message: 'color must be a string' });
    const log = pair.take();
    expect(log).toContain('B>A deliver export:1 [\'break <desc:error "color must be a string">] ans=f res=f');
    expect(log).toContain('B>A deliver export:2 [\'break <desc:error "color must be a string">] ans=f res=f');
  });
});

describe('CaptpSession: listen', () => {
  const promiseHost = () => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const p = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return {
      host: far('host', { box: () => [p] }),
      resolve: (v: unknown) => resolve(v),
      reject: (e: unknown) => reject(e),
    };
  };

  it('listens on an imported promise and is told when it is fulfilled', async () => {
    const h = promiseHost();
    const pair = makePair({ bootstrapB: h.host });
    const box = E(pair.a.session.bootstrap() as typeof h.host).box();
    await pair.settle();
    const [p] = (await box) as [Promise<unknown>];
    expect(pair.take()).toEqual([
      "A>B deliver export:0 ['box] ans=1 res=import-object:1",
      "B>A deliver export:1 ['fulfill [import-promise:1]] ans=f res=f",
      'B>A gc-exports 1x1',
      'A>B listen export:1 import-object:2',
      'A>B gc-answers 1',
    ]);
    h.resolve('done');
    await pair.settle();
    expect(await p).toBe('done');
    expect(pair.take()).toEqual([
      'B>A deliver export:2 [\'fulfill "done"] ans=f res=f',
      'B>A gc-exports 2x1',
      'A>B gc-exports 1x1',
    ]);
    expect(pair.b.session.stats().exports).toBe(0);
    pair.a.session.check();
    pair.b.session.check();
  });

  it('is told when the promise breaks', async () => {
    const h = promiseHost();
    const pair = makePair({ bootstrapB: h.host });
    const box = E(pair.a.session.bootstrap() as typeof h.host).box();
    await pair.settle();
    const [p] = (await box) as [Promise<unknown>];
    h.reject(new Error('nope'));
    await pair.settle();
    await expect(p).rejects.toMatchObject({ code: 'BROKEN', message: 'nope' });
  });

  it('is told at once when the promise had already settled', async () => {
    const h = promiseHost();
    h.resolve(42n);
    const pair = makePair({ bootstrapB: h.host });
    const box = E(pair.a.session.bootstrap() as typeof h.host).box();
    await pair.settle();
    const [p] = (await box) as [Promise<unknown>];
    expect(await p).toBe(42n);
  });

  it('listens again when a promise is fulfilled with another promise', async () => {
    let held: Promise<unknown> | undefined;
    const solo = makeSolo(far('taker', { take: (p: Promise<unknown>) => void (held = p) }));
    const deliver = (to: number, args: unknown[]) =>
      solo.session.receive({ op: 'deliver', to: { type: 'export', position: to }, args: args as never, answerPos: null, resolveMe: null });
    deliver(0, [sym('take'), record('desc:import-promise', 5n)]);
    await solo.settle();
    expect(solo.sent).toEqual(['listen export:5 import-object:1']);
    deliver(1, [sym('fulfill'), record('desc:import-promise', 6n)]);
    await solo.settle();
    expect(solo.sent.slice(1)).toEqual(['listen export:6 import-object:2', 'gc-exports 5x1']);
    deliver(2, [sym('fulfill'), 'final']);
    await solo.settle();
    expect(await held).toBe('final');
    expect(solo.sent.slice(3)).toEqual(['gc-exports 6x1']);
    expect(solo.session.stats()).toMatchObject({ imports: 0 });
  });
});

describe('CaptpSession: get, index, untag', () => {
  const data = () =>
    far('data', {
      record: () => ({ name: 'Alice', items: [10n, 20n] }),
      list: () => ['a', 'b', 'c'],
      tagged: () => new Tagged('point', [1n, 2n]),
    });

  it('pipelines op:get on an answer, then listens for the result', async () => {
    const pair = makePair({ bootstrapB: data() });
    const rec = E(pair.a.session.bootstrap() as ReturnType<typeof data>).record();
    const name = E.get(rec, 'name');
    expect(pair.take()).toEqual([
      "A>B deliver export:0 ['record] ans=1 res=import-object:1",
      'A>B get answer:1 "name" ans=2',
      'A>B listen answer:2 import-object:2',
    ]);
    await pair.settle();
    expect(await name).toBe('Alice');
    await expect(E.get(rec, 'missing' as 'name')).rejects.toBeInstanceOf(Error);
  });

  it('pipelines op:index and op:untag', async () => {
    const pair = makePair({ bootstrapB: data() });
    const boot = pair.a.session.bootstrap() as ReturnType<typeof data>;
    const second = E.index(E(boot).list(), 1);
    const untagged = E.untag(E(boot).tagged(), 'point');
    const wrongTag = E.untag(E(boot).tagged(), 'line');
    const outOfRange = E.index(E(boot).list(), 9);
    await pair.settle();
    expect(await second).toBe('b');
    expect(await untagged).toEqual([1n, 2n]);
    await expect(wrongTag).rejects.toBeInstanceOf(CapmeshError);
    await expect(outOfRange).rejects.toBeInstanceOf(CapmeshError);
    expect(pair.log.filter((l) => l.startsWith('A>B index') || l.startsWith('A>B untag'))).toEqual([
      'A>B index answer:1 1 ans=2',
      'A>B untag answer:3 "point" ans=4',
      'A>B untag answer:5 "line" ans=6',
      'A>B index answer:7 9 ans=8',
    ]);
  });
});
