/**
 * Issue 16 item 1 (the page link): the two WebRTC round-trip ratios, recorded
 * in the goal table. Two fresh tabs in one Chromium: raw `RTCDataChannel`
 * echo page ↔ page and worker ↔ worker, then a capmesh call worker ↔ worker
 * (the engine alone) and page ↔ page (an object in the other page, reached
 * through both workers and both page links). Ratios of medians; prints the
 * figures, never asserts on them.
 */
import type { Browser } from '@playwright/test';
import { openVatPages, type VatPage } from '../src/testing/playwright.js';
import { inPage, loadBench, PING_BYTES, ROUNDS, rtt, WARMUP } from './browser-tabs.js';
import { recordGoal } from './goals.js';

const median = (samples: readonly (number | bigint)[]): number => rtt(samples).median;

/** Measures and records `webrtc-page-vs-raw` and `webrtc-worker-vs-raw`. */
export async function pageLinkBench(browser: Browser, base: { baseURL: string; relay: string }): Promise<void> {
  const tabs = await openVatPages(browser, 2, { path: '/e2e/pages/vat.html', baseURL: base.baseURL, query: { relay: base.relay, worker: 'test' } });
  const [a, b] = tabs as [VatPage, VatPage];
  try {
    await loadBench(a.page);
    await loadBench(b.page);
    // The worker channel first: the answering tab hands its end to its bench worker after the
    // offerer sees it open, so a ping sent at once can be lost; the page channel's pings give it time.
    await inPage(a.page, 'rawWorkerDcFinish', await inPage(b.page, 'rawWorkerDcAnswer', await inPage(a.page, 'rawWorkerDcOffer', undefined as never)));
    await inPage(a.page, 'rawDcFinish', await inPage(b.page, 'rawDcAnswer', await inPage(a.page, 'rawDcOffer', undefined as never)));
    const rawPage = median(await inPage(a.page, 'rawPing', [ROUNDS, WARMUP, PING_BYTES]));
    const rawWorker = median(await inPage(a.page, 'rawWorkerPing', [ROUNDS, WARMUP, PING_BYTES]));
    const workerEcho = await inPage(b.page, 'engineWorkerEcho', undefined as never);
    const pageEcho = await inPage(b.page, 'enginePageEcho', undefined as never);
    const worker = median(await inPage(a.page, 'engineWorkerPing', [workerEcho, ROUNDS, WARMUP, PING_BYTES]));
    const page = median(await inPage(a.page, 'enginePagePing', [pageEcho, ROUNDS, WARMUP, PING_BYTES]));
    const path = await inPage(a.page, 'enginePath', b.designator);
    console.log(`\nPage link (issue 16 item 1): WebRTC, 2 fresh tabs, ${ROUNDS} round trips of ${PING_BYTES} B, medians; session path ${path}`);
    console.log(`    raw RTCDataChannel page ↔ page ${rawPage.toFixed(3)} ms, worker ↔ worker ${rawWorker.toFixed(3)} ms`);
    console.log(`    capmesh call worker ↔ worker ${worker.toFixed(3)} ms (${(worker / rawWorker).toFixed(2)}× raw in worker)`);
    console.log(`    capmesh call page ↔ page ${page.toFixed(3)} ms (${(page / rawPage).toFixed(2)}× raw page ↔ page)`);
    recordGoal('webrtc-worker-vs-raw', worker / rawWorker, `${worker.toFixed(3)} vs ${rawWorker.toFixed(3)} ms`);
    recordGoal('webrtc-page-vs-raw', page / rawPage, `${page.toFixed(3)} vs ${rawPage.toFixed(3)} ms`);
  } finally {
    for (const t of tabs) await t.context.close();
  }
}
