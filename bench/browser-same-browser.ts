/**
 * The same-browser fast path (issue 16, item 6), for `npm run bench:browser`:
 * two tabs of ONE browser context (one profile: one SharedWorker broker),
 * capmesh calls worker ↔ worker over the broker's `MessageChannel` (the echo
 * object in tab B's worker, the timed loop in tab A's worker), against two
 * raw `postMessage` echoes between dedicated workers joined by a
 * `MessageChannel`:
 *
 * - both workers in ONE tab: the in-process floor;
 * - one worker in each of the two tabs, the channel made by a SharedWorker
 *   exactly as the broker makes it: the floor the fast path really stands
 *   on. Chromium gives each tab its own renderer process by default, so
 *   every message crosses processes (on this 2-core host that alone costs
 *   ≈ 0.2 ms per message, inside the sender's `postMessage`).
 *
 * Run once in the default process model and once with `--process-per-site`
 * (same-site tabs share one renderer process, so the channel is
 * in-process). Records `same-browser-rtt-ms` from the default run.
 * A measurement, not a test: nothing fails on time.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { CONTEXT_PERMISSIONS, loadVatPage } from '../src/testing/playwright.js';
import { recordGoal } from './goals.js';
import { inPage, loadBench, PING_BYTES, ROUNDS, rtt, WARMUP } from './browser-tabs.js';

/** A SharedWorker that hands the first two pages that connect the two ends of one MessageChannel (as the broker does). */
const PAIRER = `const ports = []; onconnect = (e) => { ports.push(e.ports[0]); if (ports.length === 2) { const c = new MessageChannel(); ports[0].postMessage(c.port1, [c.port1]); ports[1].postMessage(c.port2, [c.port2]); } };`;
const ECHO_WORKER = `onmessage = (e) => { const p = e.data; p.onmessage = (m) => p.postMessage(m.data, [m.data]); };`;
const TIMER_WORKER = `onmessage = async (e) => {
  const [p, n, w, size] = e.data; const out = []; let wake;
  p.onmessage = (m) => wake(m.data);
  for (let i = 0; i < n + w; i++) {
    const buf = new Uint8Array(size).buffer; const t0 = performance.now();
    p.postMessage(buf, [buf]); await new Promise((r) => (wake = r));
    if (i >= w) out.push(performance.now() - t0);
  }
  postMessage(out);
};`;

/** Raw floor: `rounds` 64-byte round trips between two dedicated workers over one MessageChannel, timed in the first. */
function rawWorkerChannelPing(page: Page, rounds: number, warmup: number): Promise<number[]> {
  return page.evaluate(
    async ([n, w, size, timer, echo]) => {
      // No named functions in here: the bench's loader would wrap them in a helper the page lacks.
      const [a, b] = [timer, echo].map((src) => new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })))) as [Worker, Worker];
      const { port1, port2 } = new MessageChannel();
      b.postMessage(port2, [port2]);
      const result = new Promise<number[]>((resolve) => (a.onmessage = (e: MessageEvent) => resolve(e.data as number[])));
      a.postMessage([port1, n, w, size], [port1]);
      const out = await result;
      a.terminate();
      b.terminate();
      return out;
    },
    [rounds, warmup, PING_BYTES, TIMER_WORKER, ECHO_WORKER] as const,
  );
}

/**
 * Raw floor across tabs: a dedicated worker in `a` (timing) and one in `b`
 * (echoing), joined by a MessageChannel a SharedWorker made; `rounds` 64-byte
 * round trips after `warmup`.
 */
async function rawCrossTabPing(a: Page, b: Page, rounds: number, warmup: number): Promise<number[]> {
  // A blob URL is usable by every same-origin document while its maker lives; a fresh name keeps the pairer fresh.
  const url = await a.evaluate((src) => URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), PAIRER);
  const name = `bench-pairer-${Date.now()}`;
  const join = (page: Page, worker: string): Promise<void> =>
    page.evaluate(
      ([u, n, src]) =>
        new Promise<void>((resolve) => {
          const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
          const shared = new SharedWorker(u, { name: n });
          shared.port.onmessage = (e: MessageEvent) => {
            (window as unknown as { __raw: unknown }).__raw = { w, port: e.data as MessagePort };
            resolve();
          };
          shared.port.start();
        }),
      [url, name, worker] as const,
    );
  await Promise.all([join(a, TIMER_WORKER), join(b, ECHO_WORKER)]);
  type Raw = { __raw: { w: Worker; port: MessagePort } };
  await b.evaluate(() => {
    const { w, port } = (window as unknown as Raw).__raw;
    w.postMessage(port, [port]);
  });
  return a.evaluate(
    ([n, w0, size]) =>
      new Promise<number[]>((resolve) => {
        const { w, port } = (window as unknown as Raw).__raw;
        w.onmessage = (e: MessageEvent) => resolve(e.data as number[]);
        w.postMessage([port, n, w0, size], [port]);
      }),
    [rounds, warmup, PING_BYTES] as const,
  );
}

type Rtt = ReturnType<typeof rtt>;
const ms = (r: Rtt): string => `median ${r.median.toFixed(3)} ms  p90 ${r.p90.toFixed(3)} ms`;

/**
 * The fast path and its floors in `browser`; prints them under `label` and
 * returns capmesh's worker ↔ worker RTT and the cross-tab floor.
 */
async function measure(browser: Browser, base: { baseURL: string; relay: string }, label: string): Promise<{ worker: Rtt; crossTab: Rtt }> {
  const context: BrowserContext = await browser.newContext({ baseURL: base.baseURL, permissions: [...CONTEXT_PERMISSIONS] });
  try {
    const open = async (): Promise<{ page: Page; designator: string }> => {
      const page = await context.newPage();
      return { page, designator: await loadVatPage(page, { path: '/e2e/pages/vat.html', query: { relay: base.relay, worker: 'test' } }) };
    };
    const a = await open();
    const b = await open();
    await loadBench(a.page);
    await loadBench(b.page);
    const raw = rtt(await rawWorkerChannelPing(a.page, ROUNDS, WARMUP));
    const crossTab = rtt(await rawCrossTabPing(a.page, b.page, ROUNDS, WARMUP));
    const echoUri = await inPage(b.page, 'engineWorkerEcho', undefined as never);
    const worker = rtt(await inPage(a.page, 'engineWorkerPing', [echoUri, ROUNDS, WARMUP, PING_BYTES]));
    const path = await inPage(a.page, 'enginePath', b.designator);
    const pageEchoUri = await inPage(b.page, 'enginePageEcho', undefined as never);
    const pageRtt = rtt(await inPage(a.page, 'enginePagePing', [pageEchoUri, ROUNDS, WARMUP, PING_BYTES]));
    console.log(`\nSame-browser path, ${label} (two tabs of one context, session path: ${path}), ${ROUNDS} calls of ${PING_BYTES} B`);
    console.log(`  raw MessageChannel echo, 2 workers of 1 tab     ${ms(raw)}`);
    console.log(`  raw MessageChannel echo, worker ↔ worker across tabs ${ms(crossTab)}  (the floor of this path)`);
    console.log(`  capmesh call, worker ↔ worker                    ${ms(worker)}  (${(worker.median / crossTab.median).toFixed(2)}× the cross-tab floor)`);
    console.log(`  capmesh call, page ↔ page (via workers)          ${ms(pageRtt)}`);
    if (path !== 'same-browser') throw new Error(`the bench session took the ${path} path, not same-browser`);
    return { worker, crossTab };
  } finally {
    await context.close();
  }
}

/**
 * Measures the fast path in `browser` (Chromium's default process model: a
 * renderer process per tab) and in `oneProcess` (launched with
 * `--process-per-site`), and records the goal row from the default one.
 */
export async function sameBrowserPath(browser: Browser, oneProcess: Browser, base: { baseURL: string; relay: string }): Promise<void> {
  const own = await measure(browser, base, 'a process per tab (default)');
  const shared = await measure(oneProcess, base, 'one process for the site (--process-per-site)');
  recordGoal(
    'same-browser-rtt-ms',
    own.worker.median,
    `worker ↔ worker; ${(own.worker.median / own.crossTab.median).toFixed(2)}× the raw cross-tab floor (${own.crossTab.median.toFixed(3)} ms); in one process ${shared.worker.median.toFixed(3)} ms (floor ${shared.crossTab.median.toFixed(3)})`,
  );
}
