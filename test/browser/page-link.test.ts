import { afterEach, describe, expect, it, vi } from 'vitest';
import { CapmeshError, E, far } from '../../src/index.js';
import { Float64, Sym, Tagged } from '../../src/syrup/types.js';
import { openPageLink, type ImportToken, type LinkPort, type PageLink, type PageLinkOptions } from '../../src/browser/page-link.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** A registry the test triggers by hand: `collect(presence)` runs its finalizer. */
function manualRegistry() {
  const held = new Map<object, ImportToken>();
  let run: (t: ImportToken) => void = () => {};
  return {
    make: (collected: (t: ImportToken) => void) => {
      run = collected;
      return { register: (target: object, token: ImportToken) => void held.set(target, token) };
    },
    collect(target: object) {
      const token = held.get(target);
      if (!token) throw new Error('not registered');
      held.delete(target);
      run(token);
    },
  };
}

/** Both ends of a link over a real MessageChannel: `page` (no root) and `worker` (with `root`). */
function pair(root: object, pageOptions: PageLinkOptions = {}, workerOptions: PageLinkOptions = {}): { page: PageLink; worker: PageLink } {
  const { port1, port2 } = new MessageChannel();
  const page = openPageLink(port1, pageOptions);
  const worker = openPageLink(port2, { root, ...workerOptions });
  closers.push(() => {
    page.close();
    worker.close();
  });
  return { page, worker };
}

/** Resolves once `pred()` holds, checking after each macrotask (messages are delivered in tasks). */
async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !pred(); i++) await new Promise((r) => setTimeout(r, 0));
  expect(pred()).toBe(true);
}

describe('page link: calls', () => {
  it('calls both ways: the worker calls back a page object passed as an argument', async () => {
    const root = far('root', { twice: async (cb: unknown, x: bigint) => [await E(cb as never)(x), await E(cb as never)(x + 1n)] });
    const { page } = pair(root);
    const seen: unknown[] = [];
    const cb = far('cb', (n: unknown) => {
      seen.push(n);
      return `got ${String(n)}`;
    });
    expect(await E(page.root<typeof root>()).twice(cb, 20n)).toEqual(['got 20', 'got 21']);
    expect(seen).toEqual([20n, 21n]);
  });

  it('carries the values the CapTP link carried: integers as bigints, floats, bytes, Tagged, Sym, records, undefined/null', async () => {
    const root = far('root', { echo: (v: unknown) => v });
    const { page } = pair(root);
    const value = {
      int: 3,
      big: 2n ** 70n,
      neg0: -0,
      half: 1.5,
      nan: Number.NaN,
      f64: new Float64(2),
      f64frac: new Float64(2.5),
      s: 'héllo',
      bytes: new Uint8Array([1, 2, 3]),
      list: [1, 'two', [null, undefined, true]],
      tagged: new Tagged('point', { x: 1 } as never),
      sym: new Sym('ok'),
      '\u0000cm': 'a key that looks like the link’s marker',
    };
    const back = (await E(page.root<typeof root>()).echo(value)) as Record<string, unknown>;
    expect(back).toEqual({
      int: 3n,
      big: 2n ** 70n,
      neg0: 0n,
      half: 1.5,
      nan: Number.NaN,
      f64: new Float64(2),
      f64frac: 2.5,
      s: 'héllo',
      bytes: new Uint8Array([1, 2, 3]),
      list: [1n, 'two', [null, undefined, true]],
      tagged: new Tagged('point', { x: 1n } as never),
      sym: new Sym('ok'),
      '\u0000cm': 'a key that looks like the link’s marker',
    });
    expect(back['tagged']).toBeInstanceOf(Tagged);
    expect(back['sym']).toBeInstanceOf(Sym);
  });

  it('refuses what is not passable with NOT_PASSABLE, before sending', async () => {
    const root = far('root', { echo: (v: unknown) => v });
    const { page } = pair(root);
    await expect(E(page.root<typeof root>()).echo(new Map())).rejects.toMatchObject({ code: 'NOT_PASSABLE' });
    await expect(E(page.root<typeof root>()).echo(() => 1)).rejects.toMatchObject({ code: 'NOT_PASSABLE' });
    // The far object before the bad part was exported for the call that never left: undone.
    await expect(E(page.root<typeof root>()).echo([far('before', {}), new Map()])).rejects.toMatchObject({ code: 'NOT_PASSABLE' });
    expect(page.sizes().exports).toBe(0);
  });

  it('errors cross with their code, message and detail, both ways; other errors as BROKEN', async () => {
    const root = far('root', {
      offline: () => {
        throw new CapmeshError('PEER_OFFLINE', 'nobody home', { detail: { designator: 'abc', tries: 2 } });
      },
      plain: () => {
        throw new TypeError('oops');
      },
      callBack: (cb: unknown) => E(cb as never)(),
      inData: () => ({ e: new CapmeshError('LIMIT', 'too many') }),
    });
    const { page } = pair(root);
    const r = page.root<typeof root>();
    const offline = await E(r).offline().catch((e: unknown) => e);
    expect(offline).toBeInstanceOf(CapmeshError);
    expect(offline).toMatchObject({ code: 'PEER_OFFLINE', message: 'nobody home', detail: { designator: 'abc', tries: 2 } });
    await expect(E(r).plain()).rejects.toMatchObject({ code: 'BROKEN', message: 'oops' });
    const thrower = far('thrower', () => {
      throw new CapmeshError('NOT_FOUND', 'gone from the page');
    });
    await expect(E(r).callBack(thrower)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'gone from the page' });
    const data = (await E(r).inData()) as { e: unknown };
    expect(data.e).toBeInstanceOf(CapmeshError);
    expect(data.e).toMatchObject({ code: 'LIMIT', message: 'too many' });
  });

  it('pipelines: E(E(root).make()).name() leaves before make() is answered', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let arrived = 0;
    const root = far('root', {
      make: async () => {
        await gate;
        return far('made', { name: () => 'made' });
      },
    });
    const { port1, port2 } = new MessageChannel();
    const page = openPageLink(port1);
    // The worker's port, watched: count messages addressed to an answer.
    const watched: LinkPort = {
      postMessage: (m: unknown) => port2.postMessage(m),
      close: () => port2.close(),
      set onmessage(h: ((e: MessageEvent) => void) | null) {
        port2.onmessage = h
          ? (e: MessageEvent) => {
              if ((e.data as { to?: { q?: number } }).to?.q !== undefined) arrived += 1;
              h(e);
            }
          : null;
      },
      get onmessage() {
        return null;
      },
    };
    const worker = openPageLink(watched, { root });
    closers.push(() => (page.close(), worker.close()));
    const made = E(page.root<typeof root>()).make();
    const name = E(made as never as { name(): string }).name();
    await until(() => arrived === 1);
    release();
    expect(await name).toBe('made');
  });

  it('passes promises: a page promise the worker awaits, and the worker’s unanswered result passed back', async () => {
    const root = far('root', {
      wait: async (p: Promise<unknown>) => `waited for ${String(await p)}`,
      slow: () => new Promise((r) => setTimeout(() => r(far('thing', { hi: () => 'hi' })), 5)),
      callHi: (t: unknown) => E(t as never as { hi(): string }).hi(),
    });
    const { page } = pair(root);
    const r = page.root<typeof root>();
    let resolve!: (v: string) => void;
    const p = new Promise<string>((res) => (resolve = res));
    const waited = E(r).wait(p);
    resolve('x');
    expect(await waited).toBe('waited for x');
    // The unanswered result of slow() passed back to the side that answers it.
    expect(await E(r).callHi(E(r).slow())).toBe('hi');
  });
});

describe('page link: identity and release', () => {
  it('keeps identity both ways: the same page object is one presence in the worker, and comes back as itself', async () => {
    const seen: unknown[] = [];
    const thing = far('thing', {});
    const root = far('root', {
      keep: (x: unknown) => (seen.push(x), x),
      getThing: () => thing,
      same: (a: unknown) => a === thing,
    });
    const { page } = pair(root);
    const r = page.root<typeof root>();
    const mine = far('mine', {});
    expect(await E(r).keep(mine)).toBe(mine);
    await E(r).keep(mine);
    expect(seen[0]).toBe(seen[1]);
    expect(seen[0]).not.toBe(mine);
    const a = await E(r).getThing();
    const b = await E(r).getThing();
    expect(a).toBe(b);
    expect(await E(r).same(a)).toBe(true);
  });

  it('a collected page presence releases the worker’s entry; a drop racing a new export keeps it', async () => {
    const registry = manualRegistry();
    const thing = far('thing', { n: () => 1 });
    const root = far('root', { getThing: () => thing });
    const { page, worker } = pair(root, { makeRegistry: registry.make });
    const r = page.root<typeof root>();
    const first = await E(r).getThing();
    await E(r).getThing();
    expect(worker.sizes().exports).toBe(2); // root and thing
    registry.collect(first as object);
    await until(() => worker.sizes().exports === 1);
    expect(page.sizes().imports).toBe(0);
    // A drop that crosses a new export of the same object: the call leaves first, then the drop of the presence it answers with.
    const second = (await E(r).getThing()) as object;
    const pending = E(r).getThing();
    registry.collect(second);
    const third = await pending;
    expect(third).not.toBe(second);
    expect(await E(third).n()).toBe(1n);
    expect(worker.sizes().exports).toBe(2);
  });

  it('tables stop at maxEntries with LIMIT', async () => {
    const root = far('root', { keep: (_x: unknown) => undefined, make: () => far('x', {}) });
    const { page } = pair(root, { maxEntries: 2 }, { maxEntries: 2 });
    const r = page.root<typeof root>();
    await E(r).keep(far('a', {}));
    await E(r).keep(far('b', {}));
    await expect(E(r).keep(far('c', {}))).rejects.toMatchObject({ code: 'LIMIT' });
    // The worker's exports (root + one) are full: the next made object cannot be exported.
    await E(r).make();
    await expect(E(r).make()).rejects.toMatchObject({ code: 'LIMIT' });
  });
});

describe('page link: hostile input and closing', () => {
  it('a message of unknown shape is a PROTOCOL error, answered when it carries a question, never a crash', async () => {
    const errors: CapmeshError[] = [];
    const { port1, port2 } = new MessageChannel();
    const worker = openPageLink(port2, { root: far('root', { ok: () => 'ok' }), onError: (e) => errors.push(e) });
    closers.push(() => (worker.close(), port1.close()));
    const answers: unknown[] = [];
    port1.onmessage = (e: MessageEvent) => answers.push(e.data);
    for (const bad of [42, null, 'x', [1], { t: 'nope' }, { t: 'drop', i: 77, n: 1 }, { t: 'ans', q: 9, ok: true, v: 1 }, { t: 'call', q: 'x' }, { t: 'call', q: 1, to: { e: 0 }, m: 'ok', a: [{ '\u0000cm': 'zz' }] }, { t: 'call', q: 2, to: { e: 99 }, m: 'ok', a: [] }]) {
      port1.postMessage(bad);
    }
    port1.postMessage({ t: 'call', q: 3, to: { e: 0 }, m: 'ok', a: [] });
    await until(() => answers.length === 3);
    expect(answers[0]).toMatchObject({ t: 'ans', q: 1, ok: false, v: { c: 'PROTOCOL' } });
    expect(answers[1]).toMatchObject({ t: 'ans', q: 2, ok: false, v: { c: 'PROTOCOL' } });
    expect(answers[2]).toMatchObject({ t: 'ans', q: 3, ok: true, v: 'ok' });
    expect(errors.length).toBe(10);
    expect(errors.every((e) => e.code === 'PROTOCOL')).toBe(true);
  });

  it('closing rejects pending and later calls with DISCONNECTED on both sides', async () => {
    const root = far('root', { never: () => new Promise(() => {}) });
    const { page, worker } = pair(root);
    const r = page.root<typeof root>();
    const pending = E(r).never();
    await until(() => worker.sizes().answers === 1);
    worker.close('worker gone');
    await expect(pending).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect((await page.closed).message).toContain('worker gone');
    await expect(E(r).never()).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('forgets answers once the asker is done with them', async () => {
    const root = far('root', { one: () => 1 });
    const { page, worker } = pair(root);
    for (let i = 0; i < 5; i++) await E(page.root<typeof root>()).one();
    await until(() => worker.sizes().answers === 0);
    expect(page.sizes().questions).toBe(0);
  });

  it('a silent other side (a crashed worker) is probed, then the link closes with DISCONNECTED after silenceMs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const { port1, port2 } = new MessageChannel();
      const heard: unknown[] = [];
      port2.onmessage = (e: MessageEvent) => heard.push(e.data);
      const page = openPageLink(port1, { probeMs: 100, silenceMs: 300 });
      closers.push(() => (page.close(), port2.close()));
      vi.advanceTimersByTime(100);
      await until(() => heard.length === 1);
      expect(heard[0]).toEqual({ t: 'ping' });
      let closed: unknown;
      void page.closed.then((e) => (closed = e));
      vi.advanceTimersByTime(200);
      await page.closed;
      expect(closed).toMatchObject({ code: 'DISCONNECTED' });
      await expect(E(page.root<{ x(): void }>()).x()).rejects.toMatchObject({ code: 'DISCONNECTED' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('waking from a freeze longer than silenceMs (the clock jumped, no tick ran) probes first and stays open when answered', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const { port1, port2 } = new MessageChannel();
      const heard: unknown[] = [];
      port2.onmessage = (e: MessageEvent) => {
        heard.push(e.data);
        if ((e.data as { t?: string }).t === 'ping') port2.postMessage({ t: 'pong' });
      };
      const page = openPageLink(port1, { probeMs: 100, silenceMs: 300 });
      closers.push(() => (page.close(), port2.close()));
      let pongs = 0;
      const linkReceive = port1.onmessage!;
      port1.onmessage = (e: MessageEvent) => (linkReceive.call(port1, e), pongs++);
      vi.setSystemTime(Date.now() + 10_000); // frozen for 10 s: the clock moved, no interval fired
      vi.advanceTimersByTime(100); // the first tick after waking
      await until(() => heard.length === 1);
      expect(heard[0]).toEqual({ t: 'ping' });
      await until(() => pongs === 1);
      vi.advanceTimersByTime(100); // the pong arrived: nothing to judge
      vi.advanceTimersByTime(100);
      let closed = false;
      void page.closed.then(() => (closed = true));
      await Promise.resolve();
      expect(closed).toBe(false);
      expect(heard.filter((m) => (m as { t?: string }).t === 'bye')).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a ping is answered, and any message counts as a sign of life', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const { port1, port2 } = new MessageChannel();
      const heard: unknown[] = [];
      port2.onmessage = (e: MessageEvent) => heard.push(e.data);
      const worker = openPageLink(port1, { root: far('root', {}), probeMs: 100, silenceMs: 300 });
      closers.push(() => (worker.close(), port2.close()));
      port2.postMessage({ t: 'ping' });
      await until(() => heard.length === 1);
      expect(heard[0]).toEqual({ t: 'pong' });
      vi.advanceTimersByTime(200); // two probes, at 100 and 200 ms of silence
      await until(() => heard.length === 3);
      expect(heard.slice(1)).toEqual([{ t: 'ping' }, { t: 'ping' }]);
      port2.postMessage({ t: 'ping' }); // heard at 200 ms; its answer proves it arrived
      await until(() => heard.length === 4);
      vi.advanceTimersByTime(200); // 400 ms from the start, 200 ms of silence: under silenceMs
      expect(worker.sizes().exports).toBe(1); // still open: closing clears the tables
    } finally {
      vi.useRealTimers();
    }
  });
});
