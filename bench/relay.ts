/**
 * Relay and WebSocket benchmarks (issue 7). Measurements, not tests.
 *
 * - Sequential call round trips between two vats over the direct `websocket`
 *   netlayer and over the relay (end-to-end encrypted circuit), against a raw
 *   `ws` echo on loopback measured in the same run. Goal: ≤ 1.5× the raw
 *   round-trip time (ratio column ≥ 0.67, as it compares rates).
 * - The same call round trip against capnweb over a loopback WebSocket
 *   (`newWebSocketRpcSession`, text frames, JSON), measured in the same run.
 * - A raw circuit echo through the relay (no CapTP, no encryption), against
 *   the honest baseline of the same shape: a raw `ws` forwarder in its own
 *   process that pairs two sockets and copies each frame to the other (two
 *   hops each way, one process in the middle), no protocol at all.
 * - Forwarding throughput: 1 KiB frames one way over a relay circuit, against
 *   the same raw forwarder (and raw `ws` one way direct, in the note).
 * - The relay's resident memory with 1,000 registered peers.
 *
 * The relay runs in its own process (rate limits lifted), as it would in
 * production; the vats and the raw baselines run in this process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RpcTarget, newWebSocketRpcSession } from 'capnweb';
import { WebSocket, WebSocketServer } from 'ws';
import { capmesh, testing } from './capmesh.js';
import { recordGoal } from './goals.js';
import type { BenchRow, BenchSuite } from './harness.js';

type NodeEntry = typeof import('../src/node.js');
const fromSource = process.env.CAPMESH_BENCH_SOURCE === '1';
const node = (await import(fromSource ? '../src/node.js' : '../dist/src/node.js')) as NodeEntry;
/** The crypto backend switch of the same build the entries above come from (not a package export). */
const { useCryptoBackend, nobleBackend } = (await import(
  fromSource ? '../src/crypto/backend.js' : '../dist/src/crypto/backend.js'
)) as typeof import('../src/crypto/backend.js');
const { createVat, E, far, generateKeyPair, designatorOf, designatorSigner, keyPairDesignatorKey } = capmesh;

const TIME_MS = Number(process.env.BENCH_TIME_MS) > 0 ? Number(process.env.BENCH_TIME_MS) : 1000;
const PEERS = 1000;
const REGISTRATION_PEERS = 500;
/** Frames in flight in the throughput runs (1 MiB of 1 KiB frames). */
const WINDOW = 1024;

/** Runs `once()` repeatedly for `ms` after a warm-up; returns operations per second. */
async function rate(once: () => Promise<unknown>, ms = TIME_MS): Promise<number> {
  const warmEnd = performance.now() + Math.min(300, ms / 3);
  while (performance.now() < warmEnd) await once();
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    await once();
    ops++;
  }
  return (ops * 1000) / (performance.now() - start);
}

const best = async (f: () => Promise<unknown>): Promise<number> => Math.max(await rate(f, TIME_MS / 2), await rate(f, TIME_MS / 2));

/**
 * The relay in a child process (the built `dist/relay`, or the sources through
 * tsx with CAPMESH_BENCH_SOURCE=1), rate limits lifted; resolves with its URL.
 */
/** A relay in a child process; `crypto: 'noble'` pins it to the pure-JS backend (the baseline for platform crypto). */
async function spawnRelay(crypto: 'platform' | 'noble' = 'platform'): Promise<{ url: string; child: ChildProcess; metric(name: string): Promise<number> }> {
  const entry = fileURLToPath(new URL(fromSource ? '../relay/index.ts' : '../dist/relay/index.js', import.meta.url));
  const backend = fileURLToPath(new URL(fromSource ? '../src/crypto/backend.ts' : '../dist/src/crypto/backend.js', import.meta.url));
  const pin =
    crypto === 'noble' ? `const b = await import(${JSON.stringify(pathToFileURL(backend).href)}); b.useCryptoBackend(b.nobleBackend);` : '';
  const script = `
    ${pin}
    const { startRelay, silentLogger } = await import(${JSON.stringify(pathToFileURL(entry).href)});
    const relay = await startRelay({ port: 0, log: silentLogger, limits: { maxMessagesPerSecond: 1e8, messageBurst: 1e8, heartbeatMs: 0, maxConnectionsPerIp: 0 } });
    process.stdout.write(relay.url + '\\n');
    process.once('SIGTERM', () => relay.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const port = url.split(':')[2];
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return Number(line?.split(' ')[1]);
  };
  return { url, child, metric };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

/**
 * A raw `ws` forwarder in a child process: the relay's shape with no
 * protocol. Sockets pair up in the order they connect (1st with 2nd, …) and
 * every binary frame is copied to the partner. Resolves with its URL.
 */
async function spawnForwarder(): Promise<{ url: string; child: ChildProcess }> {
  const script = `
    const { WebSocketServer } = await import('ws');
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise((resolve) => server.once('listening', resolve));
    let waiting;
    server.on('connection', (ws) => {
      ws.on('error', () => {});
      if (waiting === undefined) { waiting = ws; return; }
      const a = waiting; waiting = undefined;
      a.on('message', (data) => ws.send(data));
      ws.on('message', (data) => a.send(data));
    });
    process.stdout.write('ws://127.0.0.1:' + server.address().port + '\\n');
    process.once('SIGTERM', () => process.exit(0));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`forwarder exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return { url, child };
}

/** How the raw baselines are driven; the far end calls `arrived` per large frame, the near end `replied` per echo. */
interface RawDrivers {
  /** One 40-byte frame out, resolved on its echo. */
  roundTrip(): Promise<void>;
  /** `count` frames one way with at most `WINDOW` unacknowledged (so neither side's buffers balloon), resolved when the last arrived. */
  oneWay(frame: Uint8Array, count: number): Promise<void>;
  readonly replied: () => void;
  readonly arrived: () => void;
}

function rawDrivers(send: (bytes: Uint8Array) => void): RawDrivers {
  let waiter: (() => void) | undefined;
  let sink: ((n: number) => void) | undefined;
  let counted = 0;
  const small = new Uint8Array(40).fill(1);
  return {
    replied: () => waiter?.(),
    arrived: () => sink?.(++counted),
    roundTrip: () =>
      new Promise<void>((resolve) => {
        waiter = resolve;
        send(small);
      }),
    oneWay: (frame, count) =>
      new Promise<void>((resolve) => {
        counted = 0;
        sink = (n) => n === count && resolve();
        let sent = 0;
        const pump = (): void => {
          while (sent < count && sent - counted < WINDOW) {
            send(frame);
            sent++;
          }
          if (sent < count) setImmediate(pump);
        };
        pump();
      }),
  };
}

/** Two sockets paired through the forwarder: `b` echoes small frames and counts large ones. */
async function forwardedPair(url: string): Promise<{ roundTrip(): Promise<void>; oneWay(frame: Uint8Array, count: number): Promise<void>; close(): void }> {
  const open = async (): Promise<WebSocket> => {
    const ws = new WebSocket(url, undefined, { perMessageDeflate: false });
    await new Promise<void>((resolve) => ws.once('open', () => resolve()));
    return ws;
  };
  const a = await open();
  const b = await open();
  const drive = rawDrivers((bytes) => a.send(bytes));
  b.on('message', (data: Buffer) => (data.length > 64 ? drive.arrived() : b.send(data)));
  a.on('message', drive.replied);
  return {
    roundTrip: drive.roundTrip,
    oneWay: drive.oneWay,
    close: () => {
      a.terminate();
      b.terminate();
    },
  };
}

/** A raw ws echo server and client on loopback: the baseline round trip. */
async function rawEcho(): Promise<{ roundTrip(): Promise<void>; oneWay(frame: Uint8Array, count: number): Promise<void>; close(): Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  let drive: RawDrivers | undefined;
  server.on('connection', (ws: WebSocket) => ws.on('message', (data: Buffer) => (data.length > 64 ? drive?.arrived() : ws.send(data))));
  const { port } = server.address() as { port: number };
  const client = new WebSocket(`ws://127.0.0.1:${port}`, undefined, { perMessageDeflate: false });
  await new Promise<void>((resolve) => client.once('open', () => resolve()));
  drive = rawDrivers((bytes) => client.send(bytes));
  client.on('message', drive.replied);
  return {
    roundTrip: drive.roundTrip,
    oneWay: drive.oneWay,
    close: async () => {
      client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Echo {
  echo(text: string): string;
}

async function roundTripRows(relayUrl: string, forwarderUrl: string): Promise<BenchRow[]> {
  const raw = await rawEcho();
  const rawRate = await best(() => raw.roundTrip());
  const baseline = { name: 'raw ws echo (loopback)', opsPerSec: rawRate };
  const rows: BenchRow[] = [];

  // The engine's own cost, with no network at all: the floor for both rows below.
  const network = testing.createMemoryNetwork({ log: false });
  const memServer = await createVat({ netlayers: [network.netlayer()] });
  const memClient = await createVat({ netlayers: [network.netlayer()] });
  const memEcho = await memClient.enliven<Echo>(await memServer.register(far('echo', { echo: (t: string) => t })));
  rows.push({ name: 'call round trip, memory netlayer (no network)', opsPerSec: await best(() => E(memEcho).echo('x')), baseline, note: 'CapTP engine alone' });
  await Promise.all([memServer.close(), memClient.close()]);

  const wsServer = await createVat({ netlayers: [node.websocketNetlayer()] });
  const wsClient = await createVat({ netlayers: [node.websocketNetlayer()] });
  const wsEcho = await wsClient.enliven<Echo>(await wsServer.register(far('echo', { echo: (t: string) => t })));
  const wsRate = await best(() => E(wsEcho).echo('x'));
  rows.push({ name: 'call round trip, direct websocket', opsPerSec: wsRate, baseline, note: 'goal ≥ 0.67× (≤ 1.5× the raw round-trip time)' });
  recordGoal('ws-call-vs-raw-echo', wsRate / rawRate, `${(wsRate / 1000).toFixed(1)}k vs ${(rawRate / 1000).toFixed(1)}k calls/s`);
  const capnwebRate = await capnwebOverWebSocket();
  rows.push({ name: 'call round trip, direct websocket (again)', opsPerSec: wsRate, baseline: { name: 'capnweb over loopback ws', opsPerSec: capnwebRate } });
  recordGoal('ws-call-vs-capnweb', wsRate / capnwebRate, `capnweb ${(capnwebRate / 1000).toFixed(1)}k calls/s`);

  const relayServer = await createVat({ netlayers: [node.relayNetlayer({ url: relayUrl })] });
  const relayClientVat = await createVat({ netlayers: [node.relayNetlayer({ url: relayUrl })] });
  const relayEcho = await relayClientVat.enliven<Echo>(await relayServer.register(far('echo', { echo: (t: string) => t })));
  const relayRate = await best(() => E(relayEcho).echo('x'));
  rows.push({ name: 'call round trip, relay (E2E encrypted)', opsPerSec: relayRate, baseline, note: 'two network hops each way, relay in another process' });

  // The same echo over a bare relay circuit: what the extra hop costs without CapTP or encryption.
  const a = node.createRelayClient(identityFor(relayUrl));
  const bId = identityFor(relayUrl);
  const b = node.createRelayClient(bId);
  await Promise.all([a.whenRegistered(), b.whenRegistered()]);
  b.on('circuit', (c) => c.setHandler({ message: (p) => c.send(p), closed: () => {} }));
  const circuit = await a.openCircuit(bId.designator);
  let waiter: (() => void) | undefined;
  circuit.setHandler({ message: () => waiter?.(), closed: () => {} });
  const small = new Uint8Array(40).fill(1);
  const circuitRate = await best(
    () =>
      new Promise<void>((resolve) => {
        waiter = resolve;
        circuit.send(small);
      }),
  );
  const forwarded = await forwardedPair(forwarderUrl);
  const forwardedRate = await best(() => forwarded.roundTrip());
  forwarded.close();
  rows.push({
    name: 'raw echo over a relay circuit (no CapTP, no E2E)',
    opsPerSec: circuitRate,
    baseline: { name: 'raw ws forwarder echo (child process)', opsPerSec: forwardedRate },
    note: `direct raw ws echo ${(rawRate / 1000).toFixed(1)}k/s (${(circuitRate / rawRate).toFixed(2)}×)`,
  });
  recordGoal('relay-echo-vs-direct', circuitRate / forwardedRate, `${(circuitRate / 1000).toFixed(1)}k/s vs ${(forwardedRate / 1000).toFixed(1)}k/s`);
  a.close();
  b.close();
  await Promise.all([wsServer.close(), wsClient.close(), relayServer.close(), relayClientVat.close()]);
  await raw.close();
  return rows;
}

class CapnwebEcho extends RpcTarget {
  echo(text: string): string {
    return text;
  }
}

/** Sequential calls/s of capnweb (`newWebSocketRpcSession`) between a `ws` server and client on loopback. */
async function capnwebOverWebSocket(): Promise<number> {
  // capnweb reads the global WebSocket's constants; Node 20 has no global one.
  (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (ws: WebSocket) => newWebSocketRpcSession(ws as unknown as globalThis.WebSocket, new CapnwebEcho()));
  const { port } = server.address() as { port: number };
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, undefined, { perMessageDeflate: false });
  await new Promise<void>((resolve) => socket.once('open', () => resolve()));
  const stub = newWebSocketRpcSession<CapnwebEcho>(socket as unknown as globalThis.WebSocket);
  const result = await best(() => stub.echo('x'));
  stub[Symbol.dispose]();
  socket.terminate();
  for (const ws of server.clients) ws.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return result;
}

function identityFor(url: string): { url: string; designator: string; signer: ReturnType<typeof designatorSigner> } {
  const keys = generateKeyPair();
  return { url, designator: designatorOf(keys.publicKey), signer: designatorSigner(keyPairDesignatorKey(keys)) };
}

async function throughputRows(relayUrl: string, forwarderUrl: string): Promise<BenchRow[]> {
  const FRAME = 1024;
  const COUNT = 50_000;
  const frame = new Uint8Array(FRAME).fill(7);
  const raw = await rawEcho();
  await raw.oneWay(frame, 5_000);
  let t0 = performance.now();
  await raw.oneWay(frame, COUNT);
  const rawRate = (COUNT * 1000) / (performance.now() - t0);
  await raw.close();
  const forwarded = await forwardedPair(forwarderUrl);
  await forwarded.oneWay(frame, 5_000);
  t0 = performance.now();
  await forwarded.oneWay(frame, COUNT);
  const forwardedRate = (COUNT * 1000) / (performance.now() - t0);
  forwarded.close();

  const a = node.createRelayClient(identityFor(relayUrl));
  const bId = identityFor(relayUrl);
  const b = node.createRelayClient(bId);
  await Promise.all([a.whenRegistered(), b.whenRegistered()]);
  let received = 0;
  let done: (() => void) | undefined;
  let failed: ((e: Error) => void) | undefined;
  let target = 0;
  b.on('circuit', (c) => {
    c.setHandler({
      message: () => {
        if (++received === target) done?.();
      },
      closed: (reason) => failed?.(new Error(`the circuit closed: ${reason}`)),
    });
    // The callee answers once, as a real one does: a circuit whose callee never sends is closed by the relay (15 s).
    c.send(new Uint8Array(1));
  });
  const circuit = await a.openCircuit(bId.designator);
  const pump = (count: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      received = 0;
      target = count;
      done = resolve;
      failed = reject;
      let sent = 0;
      const step = (): void => {
        while (sent < count && sent - received < WINDOW) {
          if (!circuit.send(frame)) return reject(new Error('the circuit closed'));
          sent++;
        }
        if (sent < count) setImmediate(step);
      };
      step();
    });
  await pump(5_000);
  t0 = performance.now();
  await pump(COUNT);
  const relayRate = (COUNT * 1000) / (performance.now() - t0);
  a.close();
  b.close();
  const mbs = (rate: number): string => `${((rate * FRAME) / 1e6).toFixed(1)} MB/s`;
  recordGoal('relay-throughput-vs-raw', relayRate / forwardedRate, `${mbs(relayRate)} vs ${mbs(forwardedRate)}`);
  return [
    {
      name: `relay forwarding, ${FRAME} B frames one way`,
      opsPerSec: relayRate,
      baseline: { name: 'raw ws forwarder one way', opsPerSec: forwardedRate },
      note: `${mbs(relayRate)} through the relay vs ${mbs(forwardedRate)} through a raw forwarder, ${mbs(rawRate)} raw ws direct`,
    },
  ];
}

async function memoryRows(relay: { metric(name: string): Promise<number> }, relayUrl: string): Promise<BenchRow[]> {
  const before = await relay.metric('process_resident_memory_bytes');
  const t0 = performance.now();
  const clients = Array.from({ length: PEERS }, () => node.createRelayClient({ ...identityFor(relayUrl), heartbeatMs: 0 }));
  await Promise.all(clients.map((c) => c.whenRegistered(60_000)));
  const seconds = (performance.now() - t0) / 1000;
  const registered = await relay.metric('capmesh_relay_registered_designators');
  const after = await relay.metric('process_resident_memory_bytes');
  for (const c of clients) c.close();
  const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return [
    {
      name: `${PEERS} peers registering (registrations/s)`,
      opsPerSec: PEERS / seconds,
      note: `${registered} registered; relay RSS ${mib(before)} idle → ${mib(after)} (${((after - before) / PEERS / 1024).toFixed(1)} KiB per peer)`,
    },
  ];
}

/** Registrations/s of REGISTRATION_PEERS fresh clients (sign on our side, verify on the relay's). */
async function registrationRate(relayUrl: string): Promise<number> {
  const clients = Array.from({ length: REGISTRATION_PEERS }, () => node.createRelayClient({ ...identityFor(relayUrl), heartbeatMs: 0 }));
  const t0 = performance.now();
  await Promise.all(clients.map((c) => c.whenRegistered(60_000)));
  const rate = (REGISTRATION_PEERS * 1000) / (performance.now() - t0);
  for (const c of clients) c.close();
  return rate;
}

/** Worker threads the registering clients are spread over, so the relay (not one client thread) is what is measured. */
const REGISTRATION_THREADS = Math.max(2, availableParallelism());

/**
 * Registrations/s with REGISTRATION_PEERS fresh clients spread over
 * REGISTRATION_THREADS worker threads: each thread makes its identities
 * first, waits for the start signal, then opens all its clients at once and
 * reports when all are registered. The clock runs from the start signal to
 * the last thread's report.
 */
async function threadedRegistrationRate(relayUrl: string): Promise<number> {
  const entry = pathToFileURL(fileURLToPath(new URL(fromSource ? '../src/node.js' : '../dist/src/node.js', import.meta.url))).href;
  const main = pathToFileURL(fileURLToPath(new URL(fromSource ? '../src/index.js' : '../dist/src/index.js', import.meta.url))).href;
  const code = `
    const { parentPort, workerData } = await import('node:worker_threads');
    const node = await import(workerData.entry);
    const { generateKeyPair, designatorOf, designatorSigner, keyPairDesignatorKey } = await import(workerData.main);
    const ids = Array.from({ length: workerData.count }, () => {
      const keys = generateKeyPair();
      return { url: workerData.url, designator: designatorOf(keys.publicKey), signer: designatorSigner(keyPairDesignatorKey(keys)), heartbeatMs: 0 };
    });
    parentPort.once('message', async () => {
      const clients = ids.map((id) => node.createRelayClient(id));
      await Promise.all(clients.map((c) => c.whenRegistered(60000)));
      parentPort.postMessage('done');
      for (const c of clients) c.close();
    });
    parentPort.postMessage('ready');`;
  const per = Math.ceil(REGISTRATION_PEERS / REGISTRATION_THREADS);
  const workers = Array.from(
    { length: REGISTRATION_THREADS },
    () => new Worker(code, { eval: true, execArgv: process.execArgv.filter((a) => a !== '--expose-gc'), workerData: { entry, main, url: relayUrl, count: per } }),
  );
  const next = (w: Worker): Promise<unknown> =>
    new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  try {
    await Promise.all(workers.map(next));
    const t0 = performance.now();
    const done = Promise.all(workers.map(next));
    for (const w of workers) w.postMessage('go');
    await done;
    return (per * REGISTRATION_THREADS * 1000) / (performance.now() - t0);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Registration throughput on the platform's crypto (Node's OpenSSL Ed25519)
 * against the same on pure-JS noble, both ends pinned, in one run.
 */
async function cryptoRows(platformUrl: string): Promise<BenchRow[]> {
  const platform = await registrationRate(platformUrl);
  const nobleRelay = await spawnRelay('noble');
  const previous = useCryptoBackend(nobleBackend);
  try {
    const noble = await registrationRate(nobleRelay.url);
    useCryptoBackend(previous);
    const threaded = await threadedRegistrationRate(platformUrl);
    recordGoal('relay-registrations', threaded, `clients over ${REGISTRATION_THREADS} worker threads`);
    return [
      {
        name: `registrations/s, ${REGISTRATION_PEERS} fresh clients (platform Ed25519; goal ≥ 5,000/s)`,
        opsPerSec: platform,
        baseline: { name: 'the same on pure-JS noble', opsPerSec: noble },
      },
      {
        name: `registrations/s, clients over ${REGISTRATION_THREADS} worker threads (platform Ed25519)`,
        opsPerSec: threaded,
        baseline: { name: 'clients in this thread', opsPerSec: platform },
      },
    ];
  } finally {
    useCryptoBackend(previous);
    await stop(nobleRelay.child);
  }
}

const suite: BenchSuite = {
  name: 'relay',
  async run() {
    const relay = await spawnRelay();
    const forwarder = await spawnForwarder();
    try {
      return [
        ...(await roundTripRows(relay.url, forwarder.url)),
        ...(await throughputRows(relay.url, forwarder.url)),
        ...(await cryptoRows(relay.url)),
        ...(await memoryRows(relay, relay.url)),
      ];
    } finally {
      await Promise.all([stop(relay.child), stop(forwarder.child)]);
    }
  },
};
export default suite;
