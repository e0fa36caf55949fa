/**
 * Engine benchmarks (issue: CapTP engine): calls between two vats over the
 * memory netlayer with full Syrup encoding, against capnweb over a
 * MessageChannel in the same process; and a 10-call dependent chain over a
 * link with 50 ms injected latency, pipelined versus awaited step by step.
 */
import { RpcTarget, newMessagePortRpcSession } from 'capnweb';
import type { Vat } from '../src/index.js';
import { capmesh, testing } from './capmesh.js';
import type { BenchRow, BenchSuite } from './harness.js';

const { createVat, E, far } = capmesh;
const { createMemoryNetwork } = testing;

const TIME_MS = Number(process.env.BENCH_TIME_MS) > 0 ? Number(process.env.BENCH_TIME_MS) : 1000;

interface Echo {
  echo(text: string, n: number): string;
}

class CapnwebEcho extends RpcTarget {
  echo(text: string, n: number): string {
    return `${text}${n}`;
  }
}

/** Runs `batch()` repeatedly for `ms` (after a warm-up) and returns calls per second. */
async function rate(batch: () => Promise<number>, ms = TIME_MS): Promise<number> {
  const warmEnd = performance.now() + Math.min(300, ms / 3);
  while (performance.now() < warmEnd) await batch();
  (globalThis as { gc?: () => void }).gc?.();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < ms) calls += await batch();
  return (calls * 1000) / (performance.now() - start);
}

async function twoVats(latencyMs = 0): Promise<{ client: Vat; server: Vat; network: ReturnType<typeof createMemoryNetwork> }> {
  const network = createMemoryNetwork({ log: false });
  const server = await createVat({ netlayers: [network.netlayer({ latencyMs })] });
  const client = await createVat({ netlayers: [network.netlayer({ latencyMs })] });
  return { client, server, network };
}

async function callRows(): Promise<BenchRow[]> {
  const { client, server } = await twoVats();
  const echo = await client.enliven<Echo>(await server.register(far('echo', { echo: (t: string, n: bigint) => `${t}${n}` })));
  const channel = new MessageChannel();
  const stub = newMessagePortRpcSession<CapnwebEcho>(channel.port1);
  newMessagePortRpcSession(channel.port2, new CapnwebEcho());

  const CONCURRENT = 10_000;
  const rows: BenchRow[] = [];
  const best = async (f: () => Promise<number>): Promise<number> => Math.max(await rate(f, TIME_MS / 2), await rate(f, TIME_MS / 2));

  const seqOurs = await best(async () => {
    await E(echo).echo('x', 1);
    return 1;
  });
  const seqCapnweb = await best(async () => {
    await stub.echo('x', 1);
    return 1;
  });
  rows.push({ name: 'sequential calls (memory netlayer, Syrup)', opsPerSec: seqOurs, baseline: { name: 'capnweb over MessageChannel', opsPerSec: seqCapnweb } });

  const concOurs = await best(async () => {
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < CONCURRENT; i++) all.push(E(echo).echo('x', i));
    await Promise.all(all);
    return CONCURRENT;
  });
  const concCapnweb = await best(async () => {
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < CONCURRENT; i++) all.push(stub.echo('x', i));
    await Promise.all(all);
    return CONCURRENT;
  });
  rows.push({
    name: `concurrent calls (${CONCURRENT / 1000}k in flight)`,
    opsPerSec: concOurs,
    baseline: { name: 'capnweb over MessageChannel', opsPerSec: concCapnweb },
  });
  stub[Symbol.dispose]();
  channel.port1.close();
  channel.port2.close();
  await Promise.all([client.close(), server.close()]);
  return rows;
}

async function chainRows(): Promise<BenchRow[]> {
  const LATENCY = 50;
  const STEPS = 10;
  const { client, server } = await twoVats(LATENCY / 2);
  interface Step {
    next(): Step;
    depth(): number;
  }
  const stepAt = (depth: number): Step => far(`step${depth}`, { next: () => stepAt(depth + 1), depth: () => depth });
  const first = await client.enliven<Step>(await server.register(stepAt(0)));
  const roundTrip = async (): Promise<number> => {
    const t0 = performance.now();
    await E(first).depth();
    return performance.now() - t0;
  };
  await roundTrip();
  const rtt = Math.min(await roundTrip(), await roundTrip(), await roundTrip());

  const t0 = performance.now();
  let p: unknown = first;
  for (let i = 0; i < STEPS - 1; i++) p = E(p as Step).next();
  const pipelinedDepth = await E(p as Step).depth();
  const pipelined = performance.now() - t0;

  const t1 = performance.now();
  let s: Step = first as unknown as Step;
  for (let i = 0; i < STEPS - 1; i++) s = (await E(s).next()) as unknown as Step;
  const awaitedDepth = await E(s).depth();
  const awaited = performance.now() - t1;
  if (BigInt(pipelinedDepth) !== BigInt(STEPS - 1) || BigInt(awaitedDepth) !== BigInt(STEPS - 1)) throw new Error('chain went wrong');
  await Promise.all([client.close(), server.close()]);
  const trips = (ms: number): string => `${(ms / rtt).toFixed(2)} round trips (${ms.toFixed(0)} ms; RTT ${rtt.toFixed(0)} ms)`;
  return [
    {
      name: `${STEPS}-call dependent chain, pipelined (${LATENCY} ms RTT link)`,
      opsPerSec: 1000 / pipelined,
      baseline: { name: 'awaited step by step', opsPerSec: 1000 / awaited },
      note: `pipelined ${trips(pipelined)}; awaited ${trips(awaited)}`,
    },
  ];
}

const suite: BenchSuite = {
  name: 'engine',
  async run() {
    return [...(await callRows()), ...(await chainRows())];
  },
};
export default suite;
