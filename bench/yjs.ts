/**
 * `npm run bench:yjs`: Yjs update propagation between two real Chromium tabs
 * (two browser contexts), capmesh/yjs against y-webrtc, both in the same run.
 * A measurement, not a test: nothing fails on time.
 *
 * - capmesh/yjs: the writer tab hosts (`shareDoc`), the reader joins through
 *   the editor link (`joinDoc`); the session runs on the direct WebRTC path
 *   between the two tab workers (signalled through a capmesh relay).
 * - y-webrtc: the same two tabs, one room, signalled by y-webrtc's own
 *   signalling server (started here, as a child process), no STUN (loopback
 *   host candidates), WebRTC between the pages.
 *
 * Each update is one `Y.Map` set; the next is written once the reader's
 * answer came back (no queueing). Prints p50/p99 of one way (writer's write
 * to reader's observe, one machine clock) and of the round trip, and the
 * capmesh ÷ y-webrtc ratio (goal ≤ 1.5×).
 *
 * Env: `BENCH_UPDATES` (default 500), warm-up a tenth of it (at least 20);
 * `BENCH_CONNECT_TIMEOUT_MS` (default 60 000) for y-webrtc to connect.
 */
import { spawn } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { chromium, type Page } from '@playwright/test';
import { createServer as createViteServer } from 'vite';
import { startRelay, silentLogger } from '../relay/index.js';
import { CHROMIUM_ARGS, findChromium } from '../src/testing/browser-path.js';
import { pageCaller } from './page-call.js';
import { openVatPages, type VatPage } from '../src/testing/playwright.js';
import { printGoalTable, recordGoal } from './goals.js';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 500);
const WARMUP = Math.max(20, Math.round(UPDATES / 10));
const STEP_TIMEOUT_MS = 180_000;
/** How long y-webrtc may take to connect its two tabs before the bench says it did not. */
const CONNECT_TIMEOUT_MS = Number(process.env.BENCH_CONNECT_TIMEOUT_MS ?? 60_000);

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

type PageApi = typeof import('./yjs-page.js');
/** Calls `fn` of bench/yjs-page.ts in `page`. */
const inPage = pageCaller<PageApi>('__yjsBenchApi', STEP_TIMEOUT_MS);

async function loadBench(page: Page): Promise<void> {
  await page.addScriptTag({ type: 'module', content: "import * as api from '/bench/yjs-page.ts'; window.__yjsBenchApi = api;" });
  await page.waitForFunction(() => (window as unknown as { __yjsBenchApi?: unknown }).__yjsBenchApi !== undefined);
}

interface Figures {
  readonly p50: number;
  readonly p99: number;
}
function percentiles(samples: readonly number[]): Figures {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(s.length * q))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** Warm-up, then the measured run; returns one-way and round-trip figures. */
async function measure(writer: Page, reader: Page): Promise<{ oneWay: Figures; rtt: Figures; n: number }> {
  await inPage(writer, 'write', [0, WARMUP]);
  await inPage(reader, 'takeOneWay', undefined as never);
  const rtts = await inPage(writer, 'write', [WARMUP, UPDATES]);
  const oneWay = await inPage(reader, 'takeOneWay', undefined as never);
  if (oneWay.length !== UPDATES) throw new Error(`the reader saw ${oneWay.length} updates, not ${UPDATES}`);
  return { oneWay: percentiles(oneWay), rtt: percentiles(rtts), n: UPDATES };
}

async function startYWebrtcSignalling(port: number): Promise<() => void> {
  const child = spawn(process.execPath, ['node_modules/y-webrtc/bin/server.js'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`y-webrtc's signalling server exited (${code})`)));
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('running')) resolve();
    });
  });
  return () => child.kill('SIGTERM');
}

async function main(): Promise<void> {
  const executablePath = findChromium(chromium.executablePath());
  if (!executablePath) throw new Error('no Chromium found (run `npm run test:e2e` once, or set CAPMESH_CHROMIUM)');
  const vitePort = await freePort();
  const vite = await createViteServer({
    configFile: 'e2e/vite.config.ts',
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: vitePort, strictPort: true },
    // Pre-bundled at startup: a dependency first met later would make Vite reload the pages mid-run.
    optimizeDeps: { include: ['yjs', 'y-protocols/awareness', 'y-webrtc'] },
  });
  await vite.listen();
  const relay = await startRelay({ host: '127.0.0.1', port: 0, log: silentLogger });
  const signallingPort = await freePort();
  const stopSignalling = await startYWebrtcSignalling(signallingPort);
  const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
  try {
    console.log(`capmesh/yjs vs y-webrtc: ${UPDATES} sequential Y.Map updates tab → tab after ${WARMUP} warm-up; Chromium ${browser.version()}`);
    const tabs = await openVatPages(browser, 2, { path: '/e2e/pages/vat.html', baseURL: `http://127.0.0.1:${vitePort}`, query: { relay: relay.url, worker: 'test' } });
    const [a, b] = tabs as [VatPage, VatPage];
    for (const t of tabs) {
      t.page.on('pageerror', (e) => console.error(`  page error: ${e.message}`));
      t.page.on('console', (m) => m.type() === 'error' && console.error(`  console: ${m.text()}`));
      await loadBench(t.page);
    }

    const editor = await inPage(a.page, 'capmeshHost', undefined as never);
    await inPage(b.page, 'capmeshJoin', editor);
    const capmesh = await measure(a.page, b.page);
    const path = await b.page.evaluate((peer) => window.capmeshTest.vat.sessions().find((s) => s.peer.designator === peer)?.path ?? 'unknown', a.designator);
    for (const t of tabs) await inPage(t.page, 'stop', undefined as never);

    const room = `capmesh-bench-${Date.now()}`;
    const signalling = `ws://127.0.0.1:${signallingPort}`;
    await inPage(a.page, 'yWebrtcOpen', [room, signalling, false]);
    await inPage(b.page, 'yWebrtcOpen', [room, signalling, true]);
    const ready = await Promise.all([inPage(a.page, 'yWebrtcConnected', CONNECT_TIMEOUT_MS), inPage(b.page, 'yWebrtcConnected', CONNECT_TIMEOUT_MS)]);
    if (ready.some((r) => r !== 'connected')) throw new Error(`y-webrtc: ${ready.join('; ')}`);
    const yWebrtc = await measure(a.page, b.page);
    for (const t of tabs) await inPage(t.page, 'stop', undefined as never);
    for (const t of tabs) await t.context.close();

    const line = (name: string, f: Figures, vs?: Figures): void =>
      console.log(`    ${name.padEnd(40)} p50 ${f.p50.toFixed(3).padStart(8)} ms   p99 ${f.p99.toFixed(3).padStart(8)} ms${vs ? `   (${(f.p50 / vs.p50).toFixed(2)}× / ${(f.p99 / vs.p99).toFixed(2)}× y-webrtc)` : ''}`);
    console.log(`  one way, writer's set → reader's observe (capmesh session path: ${path})`);
    line('y-webrtc (page ↔ page WebRTC)', yWebrtc.oneWay);
    line('capmesh/yjs (host tab → member tab)', capmesh.oneWay, yWebrtc.oneWay);
    console.log('  round trip, set → answer observed');
    line('y-webrtc', yWebrtc.rtt);
    line('capmesh/yjs', capmesh.rtt, yWebrtc.rtt);
    recordGoal('yjs-vs-y-webrtc-p50', capmesh.oneWay.p50 / yWebrtc.oneWay.p50, `one way p50 ${capmesh.oneWay.p50.toFixed(2)} vs ${yWebrtc.oneWay.p50.toFixed(2)} ms`);
  } finally {
    await browser.close();
    stopSignalling();
    await relay.close();
    await vite.close();
  }
}

await main();
printGoalTable();
