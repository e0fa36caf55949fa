import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, type Vat } from '../../src/index.js';
import { tcpTestingOnlyNetlayer, websocketNetlayer } from '../../src/node.js';
import { formatSturdyRef } from '../../src/mesh/uri.js';
import { Sym } from '../../src/syrup/types.js';
import { dialectFor, exportDesc, type DeliverOp } from '../../src/wire/index.js';
import { isCapmeshError, type CapmeshError } from '../../src/util/errors.js';
import type { Logger } from '../../src/util/logger.js';
import { messagePortNetlayer } from '../../src/netlayer/port/message-port.js';
import { SuiteListener } from '../conformance/harness/suite-listener.js';
import type { RawSession, Received } from '../conformance/harness/raw-session.js';

const LIVENESS = { intervalMs: 40, timeoutMs: 160 } as const;
/** For the idle peers: small, but with room for a loaded machine's event-loop delays (the verdict must not be a scheduling accident). */
const IDLE_LIVENESS = { intervalMs: 50, timeoutMs: 600 } as const;
/** Generous bound for "within the timeout" on a shared, loaded machine. */
const BREAK_WITHIN_MS = LIVENESS.timeoutMs + 3000;

const vats: Vat[] = [];
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(vats.splice(0).map((v) => v.close()));
  for (const c of cleanups.splice(0)) await c();
});

/** Settles with the rejection of `p` (or fails the test when `p` fulfills or takes longer than `ms`). */
async function rejection(p: Promise<unknown>, ms: number): Promise<{ error: CapmeshError; elapsedMs: number }> {
  const start = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([p.then(() => Promise.reject(new Error('fulfilled, expected a break'))), deadline]);
    throw new Error('unreachable');
  } catch (e) {
    if (!isCapmeshError(e)) throw e;
    return { error: e, elapsedMs: Date.now() - start };
  } finally {
    clearTimeout(timer);
  }
}

const side = { dialect: dialectFor('spec'), framing: 'syrup' } as const;

async function tcpVat(liveness: { intervalMs: number; timeoutMs: number } = LIVENESS): Promise<Vat> {
  const vat = await createVat({ netlayers: [tcpTestingOnlyNetlayer()], liveness });
  vats.push(vat);
  return vat;
}

/** Our vat dials a raw suite-side peer (the conformance harness's hand-rolled session), which completes the handshake. */
async function rawPeer(vat: Vat): Promise<{ call: Promise<unknown>; raw: RawSession; swiss: Uint8Array }> {
  const listener = await SuiteListener.open(side);
  cleanups.push(() => listener.close());
  const swiss = crypto.getRandomValues(new Uint8Array(32));
  const call = vat.enliven(formatSturdyRef({ peer: listener.location, swiss }));
  call.catch(() => undefined);
  const raw = await listener.accept();
  await raw.setupSession();
  return { call, raw, swiss };
}

const isFetch = (r: Received): r is Received & { op: DeliverOp } =>
  r.op.op === 'deliver' && r.op.to.type === 'export' && r.op.to.position === 0 && r.op.args[0] instanceof Sym && r.op.args[0].name === 'fetch';

describe('liveness over tcp-testing-only (no transport ping: CapTP probes)', () => {
  it('a frozen peer (handshake done, then silence) breaks the pending call with DISCONNECTED within the timeout', async () => {
    const vat = await tcpVat();
    const { call, raw, swiss } = await rawPeer(vat);
    const { error, elapsedMs } = await rejection(call, BREAK_WITHIN_MS);
    console.log(`tcp frozen peer: call broke after ${elapsedMs} ms (timeout ${LIVENESS.timeoutMs} ms)`);
    expect(error.code).toBe('DISCONNECTED');
    expect(error.detail).toMatchObject({ liveness: 'timeout', timeoutMs: LIVENESS.timeoutMs });
    expect(elapsedMs).toBeGreaterThanOrEqual(LIVENESS.timeoutMs - 20);
    await raw.closed;
    // What reached the frozen peer: the enliven's fetch, then probes — fetches of other (random) swiss
    // numbers from the bootstrap object — and finally op:abort. All spec ops the suite's codec read.
    const ops = raw.log.map((r) => r.op.op);
    expect(ops[0]).toBe('start-session');
    expect(ops.at(-1)).toBe('abort');
    const fetches = raw.log.filter(isFetch);
    expect(fetches[0]!.op.args[1]).toEqual(swiss);
    const probes = fetches.slice(1);
    expect(probes.length).toBeGreaterThanOrEqual(1);
    for (const p of probes) {
      expect(p.op.args[1]).toBeInstanceOf(Uint8Array);
      expect(p.op.args[1]).not.toEqual(swiss);
      expect(p.op.resolveMe).not.toBeNull();
    }
    expect(new Set(ops)).toEqual(new Set(['start-session', 'deliver', 'abort']));
  });

  it('an idle peer that answers the probes (as every OCapN peer must: a break for an unknown swiss) is never cut, and sees only spec ops', async () => {
    const vat = await tcpVat(IDLE_LIVENESS);
    const { raw } = await rawPeer(vat);
    // The suite side answers every fetch with a break, as Goblins and Endo do for an unknown swiss
    // number, and nothing else. Thirty answered probes span over two timeouts of idleness.
    const answering = (async () => {
      let answered = 0;
      while (answered < 30) {
        const r = await raw.next();
        if (isFetch(r) && r.op.resolveMe) {
          raw.sendOnly(exportDesc(r.op.resolveMe.position), [new Sym('break'), 'no such swiss number']);
          answered++;
        }
      }
    })();
    await answering;
    expect(raw.isEnded).toBe(false);
    expect(vat.sessions()).toHaveLength(1);
    // Everything the peer read was a known, spec op (the harness's codec fails on anything else and drops the socket).
    for (const r of raw.log) expect(['start-session', 'deliver', 'gc-answers', 'gc-exports']).toContain(r.op.op);
  });
});

/**
 * A TCP proxy in front of a listener: forwards bytes both ways until `freeze()`,
 * then keeps every socket open and forwards nothing — a peer whose process hangs
 * (no pongs, no messages, no FIN).
 */
async function freezableProxy(): Promise<{ port: number; target(port: number): void; freeze(): void; forwarded(): number }> {
  let targetPort = 0;
  let forwarded = 0;
  let frozen = false;
  const sockets: Socket[] = [];
  const server: Server = createServer((inbound) => {
    const outbound = netConnect({ host: '127.0.0.1', port: targetPort });
    sockets.push(inbound, outbound);
    for (const [from, to] of [[inbound, outbound], [outbound, inbound]] as const) {
      from.on('data', (chunk) => {
        if (frozen) return;
        forwarded += chunk.length;
        to.write(chunk);
      });
      from.on('error', () => undefined);
      from.on('close', () => {
        if (!frozen) to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    target: (port) => {
      targetPort = port;
    },
    freeze: () => {
      frozen = true;
    },
    forwarded: () => forwarded,
  };
}

/** A logger that counts the bootstrap's "fetch of an unknown swiss number" notes: the CapTP probes it answered. */
function probeCounter(): { logger: Logger; probesAnswered: () => number } {
  let n = 0;
  const noop = (): void => undefined;
  return {
    logger: { debug: (message: string) => void (message.includes('fetch of an unknown swiss number') && n++), info: noop, warn: noop, error: noop } as Logger,
    probesAnswered: () => n,
  };
}

describe('liveness over websocket from Node (WebSocket ping frames, no CapTP probes)', () => {
  /** Alice dials Bob's websocket listener through a proxy that can freeze Bob. */
  async function pair(liveness: { intervalMs: number; timeoutMs: number } = LIVENESS): Promise<{ alice: Vat; bob: Vat; proxy: Awaited<ReturnType<typeof freezableProxy>>; bobProbes: () => number; aliceProbes: () => number }> {
    const proxy = await freezableProxy();
    const bobLog = probeCounter();
    const aliceLog = probeCounter();
    const bobNet = websocketNetlayer({ url: `ws://127.0.0.1:${proxy.port}` });
    const bob = await createVat({ netlayers: [bobNet], liveness, logger: bobLog.logger });
    vats.push(bob);
    proxy.target(bobNet.port!);
    const alice = await createVat({ netlayers: [websocketNetlayer()], liveness, logger: aliceLog.logger });
    vats.push(alice);
    return { alice, bob, proxy, bobProbes: bobLog.probesAnswered, aliceProbes: aliceLog.probesAnswered };
  }

  it('a frozen peer breaks a pending call with DISCONNECTED within the timeout', async () => {
    const { alice, bob, proxy } = await pair();
    const uri = await bob.register(far('echo', { echo: (x: string) => x }));
    const echo = await alice.enliven<{ echo(x: string): string }>(uri);
    expect(await E(echo).echo('before')).toBe('before');
    proxy.freeze();
    const { error, elapsedMs } = await rejection(E(echo).echo('lost'), BREAK_WITHIN_MS);
    console.log(`websocket frozen peer: call broke after ${elapsedMs} ms (timeout ${LIVENESS.timeoutMs} ms)`);
    expect(error.code).toBe('DISCONNECTED');
    expect(error.detail).toMatchObject({ liveness: 'timeout' });
    expect(alice.sessions()).toHaveLength(0);
  });

  it('an idle peer is never cut, and is kept alive by pongs alone: no CapTP probe reaches either vat', async () => {
    const { alice, bob, proxy, bobProbes, aliceProbes } = await pair(IDLE_LIVENESS);
    const uri = await bob.register(far('echo', { echo: (x: string) => x }));
    const echo = await alice.enliven<{ echo(x: string): string }>(uri);
    const ended: unknown[] = [];
    alice.whenSessionEnds(alice.sessions()[0]!.peer).then((e) => ended.push(e), (e) => ended.push(e));
    const bytesBefore = proxy.forwarded();
    // Idle for three timeouts (absence of an event: nothing to await but time).
    await new Promise((resolve) => setTimeout(resolve, 3 * IDLE_LIVENESS.timeoutMs));
    // Pings and pongs crossed meanwhile (a few bytes each), and none of it was a CapTP probe.
    expect(proxy.forwarded()).toBeGreaterThan(bytesBefore);
    expect(ended).toEqual([]);
    expect(alice.sessions()).toHaveLength(1);
    expect(await E(echo).echo('after')).toBe('after');
    expect(bobProbes()).toBe(0);
    expect(aliceProbes()).toBe(0);
  });
});

describe('liveness on the private page–worker link', () => {
  it('sends no heartbeat probe over a port connection (a hidden tab’s throttled page must keep its vat), while it would on others', async () => {
    const { port1, port2 } = new MessageChannel();
    cleanups.push(() => {
      port1.close();
      port2.close();
    });
    const worker = await createVat({ netlayers: [messagePortNetlayer(port2, 'b')], liveness: LIVENESS });
    const page = await createVat({ netlayers: [messagePortNetlayer(port1, 'a')], liveness: LIVENESS });
    vats.push(page, worker);
    const admin = await page.enliven<{ ping(): string }>(await worker.register(far('admin', { ping: () => 'pong' })));
    expect(await E(admin).ping()).toBe('pong');
    const received = (): number => worker.sessions()[0]!.stats.messagesReceived;
    // Let the call's batched releases (op:gc-answers, held 5 ms) arrive first: they are not probes.
    await new Promise((resolve) => setTimeout(resolve, 25));
    const before = received();
    // Several probe intervals of silence: over any other transport the page would have probed by now.
    await new Promise((resolve) => setTimeout(resolve, LIVENESS.intervalMs * 4));
    expect(received()).toBe(before);
    expect(await E(admin).ping()).toBe('pong');
  });
});
