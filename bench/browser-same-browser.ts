/**
 * The same-browser fast path (issue 16, item 6), for `npm run bench:browser`:
 * two tabs of ONE browser context (one profile: one SharedWorker broker),
 * capmesh calls worker ↔ worker over the broker's `MessageChannel` (the echo
 * object in tab B's worker, the timed loop in tab A's worker), against a raw
 * `postMessage` echo between two workers joined by a `MessageChannel` (the
 * floor any same-browser path stands on). Records `same-browser-rtt-ms`.
 * A measurement, not a test: nothing fails on time.
 */
import type { Browser, Page } from '@playwright/test';
import { CONTEXT_PERMISSIONS, loadVatPage } from '../src/testing/playwright.js';
import { recordGoal } from './goals.js';
import { inPage, loadBench, PING_BYTES, ROUNDS, rtt, WARMUP } from './browser-tabs.js';


/** Raw floor: `rounds` 64-byte round trips between two dedicated workers over one MessageChannel, timed in the first. */
function rawWorkerChannelPing(page: Page, rounds: number, warmup: number): Promise<number[]> {
  return page.evaluate(
    async ([n, w, size]) => {
      const echo = `onmessage = (e) => { const p = e.data; p.onmessage = (m) => p.postMessage(m.data, [m.data]); };`;
      const timer = `onmessage = async (e) => {
        const [p, n, w, size] = e.data; const out = []; let wake;
        p.onmessage = (m) => wake(m.data);
        for (let i = 0; i < n + w; i++) {
          const buf = new Uint8Array(size).buffer; const t0 = performance.now();
          p.postMessage(buf, [buf]); await new Promise((r) => (wake = r));
          if (i >= w) out.push(performance.now() - t0);
        }
        postMessage(out);
      };`;
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
    [rounds, warmup, PING_BYTES] as const,
  );
}

/** Two tabs of one context on the test worker; prints worker ↔ worker RTT over the fast path and records the goal row. */
export async function sameBrowserPath(browser: Browser, base: { baseURL: string; relay: string }): Promise<void> {
  const context = await browser.newContext({ baseURL: base.baseURL, permissions: [...CONTEXT_PERMISSIONS] });
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
    const echoUri = await inPage(b.page, 'engineWorkerEcho', undefined as never);
    const worker = rtt(await inPage(a.page, 'engineWorkerPing', [echoUri, ROUNDS, WARMUP, PING_BYTES]));
    const path = await inPage(a.page, 'enginePath', b.designator);
    const pageEchoUri = await inPage(b.page, 'enginePageEcho', undefined as never);
    const pageRtt = rtt(await inPage(a.page, 'enginePagePing', [pageEchoUri, ROUNDS, WARMUP, PING_BYTES]));
    console.log(`\nSame-browser path (two tabs of one context, session path: ${path}), ${ROUNDS} calls of ${PING_BYTES} B`);
    console.log(`  raw MessageChannel echo, worker ↔ worker   median ${raw.median.toFixed(3)} ms  p90 ${raw.p90.toFixed(3)} ms`);
    console.log(`  capmesh call, worker ↔ worker              median ${worker.median.toFixed(3)} ms  p90 ${worker.p90.toFixed(3)} ms  (${(worker.median / raw.median).toFixed(2)}× raw)`);
    console.log(`  capmesh call, page ↔ page (via workers)    median ${pageRtt.median.toFixed(3)} ms  p90 ${pageRtt.p90.toFixed(3)} ms`);
    if (path !== 'same-browser') throw new Error(`the bench session took the ${path} path, not same-browser`);
    recordGoal('same-browser-rtt-ms', worker.median, `worker ↔ worker; raw MessageChannel ${raw.median.toFixed(3)} ms`);
  } finally {
    await context.close();
  }
}
