import { afterEach, describe, expect, it } from 'vitest';
import { CapmeshError, createVat, E, far, memoryStore, reconnecting, type EngineVat, type ReconnectTimer, type Store, type Vat } from '../../src/index.js';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/testing.js';
import { openPageLink } from '../../src/browser/page-link.js';
import { connectPageHandle, whenRelayRegistered, type BrowserVat } from '../../src/browser/page-handle.js';
import { makeWorkerAdmin, type RelayStateSource } from '../../src/browser/worker-admin.js';
import type { BrowserVatEvents, RelayStateDetail } from '../../src/browser/events.js';

const closers: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function vatOn(network: MemoryNetwork, store?: Store): Promise<EngineVat> {
  const vat = await createVat({ netlayers: [network.netlayer()], ...(store ? { store } : {}) });
  closers.push(() => vat.close());
  return vat;
}

/** A relay client the test drives by hand. */
function fakeRelay(): RelayStateSource & { set(detail: RelayStateDetail): void } {
  let current: RelayStateDetail = { state: 'registered', reason: 'registered' };
  const listeners = new Set<(d: RelayStateDetail) => void>();
  return {
    current: () => current,
    on(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    set(detail) {
      current = detail;
      for (const l of listeners) l(detail);
    },
  };
}

/** A worker vat (network + page link) with its admin, and the page's handle on it: what startBrowserVat builds, minus the Worker. */
async function browserLike(network: MemoryNetwork, sessionsRefreshMs = 0) {
  const { port1, port2 } = new MessageChannel();
  const worker = await createVat({ netlayers: [network.netlayer()] });
  const relay = fakeRelay();
  const made = makeWorkerAdmin(worker, { relay, sessionsRefreshMs });
  const workerLink = openPageLink(port2, { root: made.admin });
  const page = await connectPageHandle(openPageLink(port1), worker.designator);
  closers.push(async () => {
    await page.close();
    await worker.close();
    workerLink.close();
  });
  return { worker, page, relay, workerLink };
}

function next<K extends keyof BrowserVatEvents>(vat: BrowserVat, event: K, match: (d: BrowserVatEvents[K]) => boolean = () => true): Promise<BrowserVatEvents[K]> {
  return new Promise((resolve) => {
    const off = vat.on(event, (d) => {
      if (!match(d)) return;
      off();
      resolve(d);
    });
  });
}

function changed(vat: Vat): Promise<void> {
  return new Promise((resolve) => {
    const off = vat.onSessionsChanged(() => {
      off();
      resolve();
    });
  });
}

describe('BrowserVat: the page handle implements Vat', () => {
  it('sessions() is a synchronous mirror of the worker’s network sessions, pushed before the peer event', async () => {
    const network = createMemoryNetwork();
    const host = await vatOn(network);
    const { worker, page } = await browserLike(network);
    expect(page.sessions()).toEqual([]);
    expect(page.locators()).toEqual(worker.locators().filter((l) => l.transport !== 'port').map((l) => ({ ...l, hints: l.hints })));
    const uri = await host.register(far('echo', { echo: (x: string) => x }));
    const connected = next(page, 'peer-connected');
    const change = changed(page);
    const ref = await page.enliven<{ echo(x: string): string }>(uri);
    expect(await E(ref).echo('hi')).toBe('hi');
    await change;
    const detail = await connected;
    expect(detail).toEqual({ designator: host.designator, path: 'memory' });
    const [s] = page.sessions();
    const [w] = worker.sessions().filter((x) => x.transport !== 'port');
    expect(s).toMatchObject({ designator: host.designator, transport: 'memory', outbound: true, proven: true, sessionId: w!.sessionId, dialect: w!.dialect });
    expect(s!.peer).toMatchObject({ transport: 'memory', designator: host.designator });
    // Stats cross as numbers, not the bigints integers decode to.
    expect(typeof s!.stats.messagesSent).toBe('number');
    expect(s!.stats.closed).toBe(false);
  });

  it('the mirror’s stats are refreshed every sessionsRefreshMs without a session change (and without onSessionsChanged)', async () => {
    const network = createMemoryNetwork();
    const host = await vatOn(network);
    const { page } = await browserLike(network, 10);
    const ref = await page.enliven<{ n(): number }>(await host.register(far('n', { n: () => 1 })));
    let changes = 0;
    page.onSessionsChanged(() => changes++);
    const before = page.sessions()[0]!.stats.messagesSent;
    for (let i = 0; i < 3; i++) await E(ref).n();
    while (page.sessions()[0]!.stats.messagesSent < before + 3) await new Promise((r) => setTimeout(r, 5));
    expect(changes).toBe(0);
  });

  it('whenSessionEnds and peer-disconnected carry the worker’s code', async () => {
    const network = createMemoryNetwork();
    const host = await vatOn(network);
    const { worker, page } = await browserLike(network);
    await page.enliven(await host.register(far('x', {})));
    const peer = host.locators()[0]!;
    const ended = page.whenSessionEnds(peer);
    const inWorker = worker.whenSessionEnds(peer);
    const gone = next(page, 'peer-disconnected');
    await page.register(far('noop', {})); // a round trip on the page link: the worker is waiting now
    network.linkBetween(worker.designator, host.designator)!.cut('cable pulled');
    const error = await ended;
    expect(error).toBeInstanceOf(CapmeshError);
    expect(error.code).toBe((await inWorker).code);
    expect(error.message).toBe((await inWorker).message);
    expect(await gone).toEqual({ designator: host.designator, code: error.code, message: error.message });
    expect(page.sessions()).toEqual([]);
    // None open: at once, as Vat.whenSessionEnds does.
    expect(await page.whenSessionEnds(peer)).toMatchObject({ code: 'DISCONNECTED' });
  });

  it('codes cross the page link intact, from enliven and from calls through references, never repeated in the message', async () => {
    const network = createMemoryNetwork();
    const host = await vatOn(network);
    const { worker, page } = await browserLike(network);
    const uri = await host.register(
      far('failing', {
        offline: () => {
          throw new CapmeshError('PEER_OFFLINE', 'the other tab is closed');
        },
        relay: () => {
          throw new CapmeshError('RELAY_UNREACHABLE', 'no relay');
        },
      }),
    );
    const ref = await page.enliven<{ offline(): void; relay(): void }>(uri);
    await expect(E(ref).offline()).rejects.toMatchObject({ code: 'PEER_OFFLINE', message: 'the other tab is closed' });
    await expect(E(ref).relay()).rejects.toMatchObject({ code: 'RELAY_UNREACHABLE', message: 'no relay' });
    // A vat nobody runs, and an unknown swiss number: the page sees what the worker sees.
    const stranger = await vatOn(network);
    const strangerUri = await stranger.register(far('gone', {}));
    await stranger.close();
    const direct = await worker.enliven(strangerUri).then(() => undefined, (e: CapmeshError) => e);
    const viaPage = await page.enliven(strangerUri).then(() => undefined, (e: CapmeshError) => e);
    expect(viaPage).toBeInstanceOf(CapmeshError);
    expect(viaPage!.code).toBe(direct!.code);
    expect(viaPage!.message.startsWith(`${viaPage!.code}:`)).toBe(false);
    const revoked = await host.register(far('r', {}));
    await host.revoke(revoked);
    await expect(page.enliven(revoked)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A call through a reference whose session dropped: DISCONNECTED (or ABORTED), a code either way.
    network.linkBetween(worker.designator, host.designator)!.cut('cable pulled');
    await expect(E(ref).offline()).rejects.toMatchObject({ code: expect.stringMatching(/^(DISCONNECTED|ABORTED)$/) });
  });

  it('reconnecting(browserVat, uri) re-enlivens after the host restarts, and stops when the handle closes', async () => {
    const network = createMemoryNetwork();
    const store = memoryStore();
    const defineCounter = (vat: EngineVat): void =>
      vat.defineKind('counter', (data, ctx) => {
        let count = (data as { count: bigint }).count;
        return far('counter', {
          increment() {
            count += 1n;
            void ctx.save({ count });
            return count;
          },
        });
      });
    let host = await createVat({ netlayers: [network.netlayer()], store });
    defineCounter(host);
    const uri = await host.registerPersistent('counter', { count: 0n });
    const { page } = await browserLike(network);
    const timers: (() => void)[] = [];
    const timer: ReconnectTimer = { set: (cb) => timers.push(cb), clear: () => {} };
    const states: string[] = [];
    const counter = reconnecting<{ increment(): bigint }>(page, uri, { timer, onChange: (st) => states.push(st) });
    expect(await E(await counter.current()).increment()).toBe(1n);

    await host.close();
    // The page's whenSessionEnds told reconnecting: it tries again.
    while (!states.includes('waiting') && states.lastIndexOf('connecting') < 1) await new Promise((r) => setImmediate(r));
    host = await createVat({ netlayers: [network.netlayer()], store });
    closers.push(() => host.close());
    defineCounter(host);
    // The first re-attempt is immediate; had it raced the restart, the timer retries.
    while (counter.state !== 'connected') {
      if (counter.state === 'waiting' && timers.length > 0) timers.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(await E(await counter.current()).increment()).toBe(2n);

    await page.close();
    await expect(page.enliven(uri)).rejects.toMatchObject({ code: 'DISCONNECTED', detail: { vatClosed: true } });
    expect(page.relayState.state).toBe('closed');
    counter.close();
  });
});

describe('BrowserVat: relay state', () => {
  it('a worker that goes away: the mirror empties and relay-state says closed', async () => {
    const network = createMemoryNetwork();
    const host = await vatOn(network);
    const { worker, page, workerLink } = await browserLike(network);
    await page.enliven(await host.register(far('x', {})));
    expect(page.sessions()).toHaveLength(1);
    const gone = next(page, 'relay-state', (d) => d.state === 'closed');
    await worker.close();
    workerLink.close('the worker closed');
    expect((await gone).reason).toContain('the link to the vat worker ended');
    expect(page.relayState.state).toBe('closed');
    expect(page.sessions()).toEqual([]);
  });

  it('follows the worker’s relay client with typed relay-state events', async () => {
    const network = createMemoryNetwork();
    const { page, relay } = await browserLike(network);
    expect(page.relayState).toEqual({ state: 'registered', reason: 'registered' });
    const seen: RelayStateDetail[] = [];
    page.on('relay-state', (d) => seen.push(d));
    const back = next(page, 'relay-state', (d) => d.state === 'registered');
    relay.set({ state: 'disconnected', reason: 'socket closed' });
    relay.set({ state: 'connecting', reason: 'reconnecting' });
    relay.set({ state: 'registered', reason: 'registered' });
    await back;
    expect(seen.map((d) => d.state)).toEqual(['disconnected', 'connecting', 'registered']);
    expect(page.relayState.state).toBe('registered');
  });

  it('whenRelayRegistered: resolves on registered, RELAY_UNREACHABLE at the deadline, RELAY_REFUSED on a refusal', async () => {
    const network = createMemoryNetwork();
    const { page, relay } = await browserLike(network);
    relay.set({ state: 'disconnected', reason: 'connection refused' });
    await next(page, 'relay-state');
    await expect(whenRelayRegistered(page, 'ws://relay.test', Date.now() + 20)).rejects.toMatchObject({
      code: 'RELAY_UNREACHABLE',
      message: expect.stringContaining('state disconnected: connection refused'),
    });
    const waiting = whenRelayRegistered(page, 'ws://relay.test', Date.now() + 60_000);
    relay.set({ state: 'registered', reason: 'registered' });
    await expect(waiting).resolves.toBeUndefined();
    relay.set({ state: 'connecting', reason: '' });
    await next(page, 'relay-state');
    const refused = whenRelayRegistered(page, 'ws://relay.test', Date.now() + 60_000);
    relay.set({ state: 'refused', reason: 'bad proof' });
    await expect(refused).rejects.toMatchObject({ code: 'RELAY_REFUSED' });
  });
});
