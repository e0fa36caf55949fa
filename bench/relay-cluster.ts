/**
 * Relay cluster load benchmark (issue 17). A measurement, not a test: it
 * prints figures and asserts nothing about time.
 *
 * Starts a real `redis-server` and three `capmesh relay --cluster` node
 * processes on this machine, then registers `CLUSTER_PEERS` (default 10 000)
 * simulated peers spread evenly over the three nodes — each a real WebSocket
 * that answers its challenge with a signed registration, as a vat does — and
 * measures:
 * - registrations per second per node (all three nodes registering at once;
 *   this process signs every proof, so it shares the two cores with them);
 * - relay RSS per registered peer, per node (RSS after minus before, over peers);
 * - signalling latency, one signal at a time, sender and receiver on the same
 *   node vs on different nodes (one Redis hop more): p50 and p99.
 *
 * Run: `npm run bench:cluster` (CLUSTER_PEERS, CLUSTER_SAMPLES to change sizes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { designatorOf, generateKeyPair, sign } from '../src/crypto/index.js';
import {
  decodeRelayMessage,
  encodeRelayMessage,
  normalizeRelayUrl,
  registrationProof,
  type RelayServerMessage,
} from '../src/netlayer/relay/protocol.js';

const PEERS = Number(process.env.CLUSTER_PEERS) > 0 ? Number(process.env.CLUSTER_PEERS) : 10_000;
const SAMPLES = Number(process.env.CLUSTER_SAMPLES) > 0 ? Number(process.env.CLUSTER_SAMPLES) : 1_000;
const NODES = 3;
/** Registrations in flight per node. */
const IN_FLIGHT = 200;
const BIN = new URL('../bin/capmesh.mjs', import.meta.url).pathname;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function firstLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`process exited (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => pattern.test(line) && resolve(line));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url.replace(/^ws/, 'http')}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

interface Peer {
  readonly designator: string;
  readonly node: number;
  socket: WebSocket | undefined;
  onSignal: ((m: Extract<RelayServerMessage, { type: 'signal' }>) => void) | undefined;
}

/** Opens a WebSocket to `url` and registers `keys` there; resolves when `registered`. */
function register(peer: Peer, secretKey: Uint8Array, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, undefined, { perMessageDeflate: false });
    peer.socket = socket;
    socket.binaryType = 'nodebuffer';
    socket.once('error', reject);
    socket.on('message', (data: Buffer) => {
      const m = decodeRelayMessage('server', new Uint8Array(data.buffer, data.byteOffset, data.length), 1 << 20);
      if (m.type === 'challenge') {
        const relayUrl = normalizeRelayUrl(url);
        const signature = sign(secretKey, registrationProof(m.nonce, peer.designator, relayUrl));
        socket.send(encodeRelayMessage({ type: 'register', designator: peer.designator, relayUrl, signature }));
      } else if (m.type === 'registered') resolve();
      else if (m.type === 'refused') reject(new Error(m.reason));
      else if (m.type === 'signal') peer.onSignal?.(m);
    });
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sends `SAMPLES` signals one at a time between the pairs; returns the sorted one-way latencies (ms). */
async function latencies(pairs: readonly [Peer, Peer][]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const [from, to] = pairs[i % pairs.length]!;
    const got = new Promise<void>((resolve) => {
      to.onSignal = () => resolve();
    });
    const start = performance.now();
    from.socket!.send(encodeRelayMessage({ type: 'signal', peer: to.designator, kind: 'bench', payload: new Uint8Array(200) }));
    await got;
    out.push(performance.now() - start);
    to.onSignal = undefined;
  }
  return out.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'capmesh-bench-redis-'));
  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const nodes: { url: string; child: ChildProcess }[] = [];
  try {
    await firstLine(redis, /Ready to accept connections/);
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    for (let n = 0; n < NODES; n++) {
      // Every simulated peer comes from 127.0.0.1: per-address and rate caps lifted, heartbeats as in production.
      const child = spawn(
        process.execPath,
        [BIN, 'relay', '--port', '0', '--cluster', redisUrl, '--node-id', `node${n}`, '--log-level', 'warn', '--max-connections', String(PEERS), '--max-connections-per-ip', '0', '--register-timeout-ms', '120000', '--upgrade-timeout-ms', '120000'],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      nodes.push({ url: await firstLine(child, /^ws:\/\//), child });
    }
    console.log(`relay cluster: ${NODES} nodes on one Redis ${redisUrl}; ${PEERS} peers; this machine has ${(await import('node:os')).cpus().length} cores`);

    const keys = Array.from({ length: PEERS }, () => generateKeyPair());
    const peers: Peer[] = keys.map((k, i) => ({ designator: designatorOf(k.publicKey), node: i % NODES, socket: undefined, onSignal: undefined }));
    const rssBefore = await Promise.all(nodes.map((n) => metric(n.url, 'process_resident_memory_bytes')));

    const perNode = await Promise.all(
      nodes.map(async (node, n) => {
        const mine = peers.map((p, i) => [p, i] as const).filter(([p]) => p.node === n);
        const start = performance.now();
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < mine.length) {
            const [peer, i] = mine[next++]!;
            await register(peer, keys[i]!.secretKey, node.url);
          }
        };
        await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
        console.log(`node${n}: ${mine.length} registered`);
        const seconds = (performance.now() - start) / 1000;
        return { peers: mine.length, seconds };
      }),
    );
    const rssAfter = await Promise.all(nodes.map((n) => metric(n.url, 'process_resident_memory_bytes')));
    // Every node's copy of the directory holds every peer before latency is measured (or a minute passed: then say so).
    const waitUntil = performance.now() + 60_000;
    for (;;) {
      const known = await Promise.all(nodes.map((n) => metric(n.url, 'capmesh_relay_cluster_peers_known')));
      if (known.every((k) => k >= PEERS)) break;
      if (performance.now() > waitUntil) {
        console.log(`peers known per node after a minute: ${known.join(', ')} (of ${PEERS})`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    perNode.forEach((r, n) =>
      console.log(
        `node${n}: ${r.peers} registrations in ${r.seconds.toFixed(2)} s = ${(r.peers / r.seconds).toFixed(0)} registrations/s; RSS ${(rssBefore[n]! / 2 ** 20).toFixed(1)} → ${(rssAfter[n]! / 2 ** 20).toFixed(1)} MiB = ${((rssAfter[n]! - rssBefore[n]!) / r.peers / 1024).toFixed(1)} KiB per peer`,
      ),
    );
    const total = perNode.reduce((s, r) => s + r.peers, 0);
    const wall = Math.max(...perNode.map((r) => r.seconds));
    console.log(`cluster: ${total} registrations in ${wall.toFixed(2)} s = ${(total / wall).toFixed(0)} registrations/s over ${NODES} nodes`);

    const same: [Peer, Peer][] = [];
    const cross: [Peer, Peer][] = [];
    for (let i = 0; i + NODES < PEERS && same.length < 500; i += 7) {
      same.push([peers[i]!, peers[i + NODES]!]); // i and i+3 are on the same node
      cross.push([peers[i]!, peers[i + 1]!]); // i and i+1 are on different nodes
    }
    const sameLat = await latencies(same);
    const crossLat = await latencies(cross);
    const fmt = (l: number[]): string => `p50 ${percentile(l, 50).toFixed(3)} ms, p99 ${percentile(l, 99).toFixed(3)} ms`;
    console.log(`signalling latency, same node (${SAMPLES} sequential signals): ${fmt(sameLat)}`);
    console.log(`signalling latency, cross node (${SAMPLES} sequential signals): ${fmt(crossLat)}`);
    const route = await metric(nodes[1]!.url, 'capmesh_relay_cluster_route_seconds_count');
    console.log(`node1 received ${route} messages from other nodes (routing-latency histogram count)`);
    for (const p of peers) p.socket?.terminate();
  } finally {
    for (const n of nodes) await stop(n.child);
    await stop(redis);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
