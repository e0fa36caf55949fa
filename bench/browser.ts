/**
 * `npm run bench:browser`: the browser vat between two real Chromium tabs,
 * against raw transports between the same tabs. A measurement, not a test:
 * nothing fails on time. Prints medians and ratios (goal: engine ≤ 1.3× the
 * raw data channel's round trip), then the worker bundle size (goal ≤ 25 KB
 * gzipped).
 *
 * - WebRTC path: raw `RTCDataChannel` echo page ↔ page (signalled by this
 *   script) versus capmesh calls worker ↔ worker (the echo object lives in
 *   the other tab's worker, the loop in this tab's worker: the vat-to-vat
 *   cost) and page ↔ page (the object lives in the other page: what an app
 *   that registers page objects sees, two page ⇄ worker hops included).
 * - Relay path (`directPaths: false`): raw WebSocket page → Node forwarder → page
 *   versus capmesh over the relay's end-to-end-encrypted circuit.
 *
 * - Firefox ↔ Chromium (WebRTC path): a Firefox ESR tab and a Chromium
 *   tab, raw `RTCDataChannel` page ↔ page (Firefox offers) versus capmesh
 *   calls from the Firefox tab to the Chromium tab.
 *
 * Env: `BENCH_ROUNDS` (default 500), `BENCH_BULK_MIB` (default 16).
 * Needs Chromium and Firefox ESR (as `npm run test:e2e` finds them). Uses the e2e test page
 * and worker (e2e/pages/), served by Vite from the sources.
 */
import { createServer as createNetServer } from 'node:net';
import { chromium, firefox, type Browser } from '@playwright/test';
import { createServer as createViteServer } from 'vite';
import { WebSocketServer, type WebSocket } from 'ws';
import { startRelay, silentLogger } from '../relay/index.js';
import { CHROMIUM_ARGS, findChromium, findFirefox, firefoxLaunchOptions } from '../src/testing/browser-path.js';
import { inPage, loadBench, PING_BYTES, ROUNDS, rtt, WARMUP } from './browser-tabs.js';
import { loadVatPage, openVatPages, type VatPage } from '../src/testing/playwright.js';
import { awaitCapture, vatContext } from '../e2e/firefox/capture.js';
import { bundleSizes } from './browser-bundle.js';
import { firstCallFigures } from './browser-first-call.js';
import { printGoalTable } from './goals.js';

const BULK_MIB = Number(process.env.BENCH_BULK_MIB ?? 16);
const CHUNK = 64 * 1024;
const BULK_COUNT = (BULK_MIB * 1024 * 1024) / CHUNK;
const WINDOW = 8;

type Rtt = ReturnType<typeof rtt>;

const mbps = (ms: number): number => (BULK_MIB * 1024 * 1024) / 1e6 / (ms / 1000);

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}


/** Engine figures between `caller` and `callee` (both on the test worker): worker↔worker and page↔page RTT, worker→worker throughput. */
async function engineFigures(caller: VatPage, callee: VatPage): Promise<{ worker: Rtt; page: Rtt; mbps: number; path: string }> {
  const echoUri = await inPage(callee.page, 'engineWorkerEcho', undefined as never);
  const pageEchoUri = await inPage(callee.page, 'enginePageEcho', undefined as never);
  const worker = await inPage(caller.page, 'engineWorkerPing', [echoUri, ROUNDS, WARMUP, PING_BYTES]);
  const page = await inPage(caller.page, 'enginePagePing', [pageEchoUri, ROUNDS, WARMUP, PING_BYTES]);
  await inPage(caller.page, 'engineWorkerSink', [echoUri, Math.min(64, BULK_COUNT), CHUNK, WINDOW]); // warm-up
  const ms = await inPage(caller.page, 'engineWorkerSink', [echoUri, BULK_COUNT, CHUNK, WINDOW]);
  const path = await inPage(caller.page, 'enginePath', callee.designator);
  return { worker: rtt(worker), page: rtt(page), mbps: mbps(Number(ms)), path };
}

const fmt = (r: Rtt): string => `${r.median.toFixed(3)} ms (p90 ${r.p90.toFixed(3)})`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;

interface Baseline {
  readonly name: string;
  readonly rtt: Rtt;
  readonly mbps: number;
}

function report(title: string, rawName: string, rawRtt: Rtt, rawMbps: number, engine: Awaited<ReturnType<typeof engineFigures>>, also?: Baseline): void {
  const line = (name: string, value: string, vs = ''): void => console.log(`    ${name.padEnd(48)} ${value.padEnd(26)} ${vs}`);
  const vsRtt = (ms: number): string => `${ratio(ms, rawRtt.median)} ${rawName.split(' ')[1]}${also ? `, ${ratio(ms, also.rtt.median)} raw in worker` : ''}`;
  const vsMbps = (v: number): string => `${ratio(v, rawMbps)}${also ? `, ${ratio(v, also.mbps)} raw in worker` : ''}`;
  console.log(`\n${title}; capmesh session path: ${engine.path}`);
  console.log(`  round trip, ${PING_BYTES} B, median (p90)`);
  line(rawName, fmt(rawRtt));
  if (also) line(also.name, fmt(also.rtt));
  line('capmesh call, worker ↔ worker', fmt(engine.worker), vsRtt(engine.worker.median));
  line('capmesh call, page ↔ page (via both workers)', fmt(engine.page), vsRtt(engine.page.median));
  console.log(`  throughput, ${BULK_MIB} MiB in 64 KiB messages`);
  line(rawName, `${rawMbps.toFixed(1)} MB/s`);
  if (also) line(also.name, `${also.mbps.toFixed(1)} MB/s`);
  line(`capmesh calls worker → worker, ${WINDOW} in flight`, `${engine.mbps.toFixed(1)} MB/s`, vsMbps(engine.mbps));
}

async function webRtcPath(browser: Browser, base: { baseURL: string; relay: string }): Promise<void> {
  const tabs = await openVatPages(browser, 2, { path: '/e2e/pages/vat.html', baseURL: base.baseURL, query: { relay: base.relay, worker: 'test' } });
  const [a, b] = tabs as [VatPage, VatPage];
  await loadBench(a.page);
  await loadBench(b.page);
  const offer = await inPage(a.page, 'rawDcOffer', undefined as never);
  const answer = await inPage(b.page, 'rawDcAnswer', offer);
  await inPage(a.page, 'rawDcFinish', answer);
  const rawRtt = rtt(await inPage(a.page, 'rawPing', [ROUNDS, WARMUP, PING_BYTES]));
  await inPage(a.page, 'rawBulk', [Math.min(64, BULK_COUNT), CHUNK]); // warm-up
  const rawMs = await inPage(a.page, 'rawBulk', [BULK_COUNT, CHUNK]);
  const workerOffer = await inPage(a.page, 'rawWorkerDcOffer', undefined as never);
  await inPage(a.page, 'rawWorkerDcFinish', await inPage(b.page, 'rawWorkerDcAnswer', workerOffer));
  const rawWorkerRtt = rtt(await inPage(a.page, 'rawWorkerPing', [ROUNDS, WARMUP, PING_BYTES]));
  await inPage(a.page, 'rawWorkerBulk', [Math.min(64, BULK_COUNT), CHUNK]);
  const rawWorkerMs = await inPage(a.page, 'rawWorkerBulk', [BULK_COUNT, CHUNK]);
  const engine = await engineFigures(a, b);
  report('WebRTC path, 2 tabs (2 browser contexts)', 'raw RTCDataChannel page ↔ page', rawRtt, mbps(rawMs), engine, {
    name: 'raw RTCDataChannel worker ↔ worker',
    rtt: rawWorkerRtt,
    mbps: mbps(rawWorkerMs),
  });
  for (const t of tabs) await t.context.close();
}

/** A Firefox tab (caller, offerer of the raw channel) and a Chromium tab (callee). */
async function crossEnginePath(fox: Browser, chrome: Browser, base: { baseURL: string; relay: string }): Promise<void> {
  const query = { relay: base.relay, worker: 'test' };
  const context = await vatContext(fox, { baseURL: base.baseURL });
  const page = await context.newPage();
  const a: VatPage = { page, context, designator: await loadVatPage(page, { path: '/e2e/pages/vat.html', query }) };
  // Firefox gathers loopback candidates only while the page captures (e2e/firefox/capture.ts).
  if ((await awaitCapture(a.page)) < 1) throw new Error('the Firefox tab has no live capture track');
  const [b] = (await openVatPages(chrome, 1, { path: '/e2e/pages/vat.html', baseURL: base.baseURL, query })) as [VatPage];
  await loadBench(a.page);
  await loadBench(b.page);
  const offer = await inPage(a.page, 'rawDcOffer', undefined as never);
  await inPage(a.page, 'rawDcFinish', await inPage(b.page, 'rawDcAnswer', offer));
  const rawRtt = rtt(await inPage(a.page, 'rawPing', [ROUNDS, WARMUP, PING_BYTES]));
  await inPage(a.page, 'rawBulk', [Math.min(64, BULK_COUNT), CHUNK]); // warm-up
  const rawMs = await inPage(a.page, 'rawBulk', [BULK_COUNT, CHUNK]);
  const engine = await engineFigures(a, b);
  report(`Firefox ${fox.version()} → Chromium ${chrome.version()}, WebRTC path (2 browsers)`, 'raw RTCDataChannel page ↔ page', rawRtt, mbps(rawMs), engine);
  for (const t of [a, b]) await t.context.close();
}

async function relayPath(browser: Browser, base: { baseURL: string; relay: string }): Promise<void> {
  // The raw baseline: page → Node WebSocket forwarder → page, the same shape as page → relay → page.
  const port = await freePort();
  const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
  const ends = new Map<string, WebSocket>();
  wss.on('connection', (ws, req) => {
    const role = (req.url ?? '/a').slice(1);
    ends.set(role, ws);
    ws.on('message', (data: Uint8Array) => ends.get(role === 'a' ? 'b' : 'a')?.send(data));
  });
  const tabs = await openVatPages(browser, 2, { path: '/e2e/pages/vat.html', baseURL: base.baseURL, query: { relay: base.relay, worker: 'test', directPaths: '0' } });
  const [a, b] = tabs as [VatPage, VatPage];
  await loadBench(a.page);
  await loadBench(b.page);
  await inPage(b.page, 'rawWsOpen', [`ws://127.0.0.1:${port}`, 'b']);
  await inPage(a.page, 'rawWsOpen', [`ws://127.0.0.1:${port}`, 'a']);
  const rawRtt = rtt(await inPage(a.page, 'rawPing', [ROUNDS, WARMUP, PING_BYTES]));
  await inPage(a.page, 'rawBulk', [Math.min(64, BULK_COUNT), CHUNK]);
  const rawMs = await inPage(a.page, 'rawBulk', [BULK_COUNT, CHUNK]);
  const engine = await engineFigures(a, b);
  report('Relay path, 2 tabs (directPaths: false; end-to-end encrypted circuit)', 'raw WebSocket via forwarder', rawRtt, mbps(rawMs), engine);
  for (const t of tabs) await t.context.close();
  await new Promise<void>((r) => wss.close(() => r()));
}

/** `BENCH_STAGES=first-call,same-browser` runs only those stages (all by default: webrtc, first-call, page-link, relay, cross-engine, same-browser). */
const STAGES = process.env.BENCH_STAGES?.split(',').map((s) => s.trim()).filter(Boolean);
const stage = (name: string): boolean => !STAGES || STAGES.includes(name);

async function main(): Promise<void> {
  const executablePath = findChromium(chromium.executablePath());
  if (!executablePath) throw new Error('no Chromium found (run `npm run test:e2e` once, or set CAPMESH_CHROMIUM)');
  const vitePort = await freePort();
  const vite = await createViteServer({ configFile: 'e2e/vite.config.ts', logLevel: 'warn', server: { host: '127.0.0.1', port: vitePort, strictPort: true } });
  await vite.listen();
  const relay = await startRelay({ host: '127.0.0.1', port: 0, log: silentLogger });
  const firefoxPath = findFirefox();
  if (!firefoxPath) throw new Error('no Firefox ESR found (apt-get install firefox-esr, or set CAPMESH_FIREFOX)');
  const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
  const fox = await firefox.launch({ ...firefoxLaunchOptions(firefoxPath), headless: true });
  const base = { baseURL: `http://127.0.0.1:${vitePort}`, relay: relay.url };
  try {
    console.log(`capmesh browser bench: ${ROUNDS} sequential round trips after ${WARMUP} warm-up; ${BULK_MIB} MiB in 64 KiB messages; Chromium ${browser.version()}`);
    if (stage('webrtc')) await webRtcPath(browser, base);
    if (stage('first-call')) await firstCallFigures(browser, base);
    if (stage('page-link')) await (await import('./browser-handle.js')).pageLinkBench(browser, base);
    if (stage('relay')) await relayPath(browser, base);
    if (stage('cross-engine')) await crossEnginePath(fox, browser, base);
    if (stage('same-browser')) {
      const oneProcess = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, '--process-per-site'] });
      try {
        await (await import('./browser-same-browser.js')).sameBrowserPath(browser, oneProcess, base);
      } finally {
        await oneProcess.close();
      }
    }
  } finally {
    await fox.close();
    await browser.close();
    await relay.close();
    await vite.close();
  }
  console.log('\nBundle sizes (Vite application build, minified; gzip -9)');
  for (const b of await bundleSizes()) {
    console.log(`  ${b.name.padEnd(78)} ${(b.minified / 1024).toFixed(1).padStart(6)} KiB min  ${(b.gzipped / 1024).toFixed(1).padStart(5)} KiB gz${b.external.length > 0 ? `  (imports left: ${b.external.join(', ')})` : ''}`);
  }
}

await main();
printGoalTable();
