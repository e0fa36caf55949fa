/**
 * What the browser benches share (bench/browser.ts and its stages
 * browser-handle.ts, browser-same-browser.ts): the round counts, the step
 * watchdog, and loading bench/browser-page.ts into a tab.
 */
import type { Page } from '@playwright/test';
import { pageCaller } from './page-call.js';

/** Timed round trips per figure (`BENCH_ROUNDS`, default 500). */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 500);
/** Untimed round trips first: a tenth of ROUNDS, at least 20. */
export const WARMUP = Math.max(20, Math.round(ROUNDS / 10));
/** The payload of a round-trip ping. */
export const PING_BYTES = 64;
/** No single step should take this long; if one does, the bench says which and stops. */
export const STEP_TIMEOUT_MS = 120_000;

type PageApi = typeof import('./browser-page.js');
/** Calls `fn` of bench/browser-page.ts in `page`. */
export const inPage = pageCaller<PageApi>('__bench', STEP_TIMEOUT_MS);

/** Loads bench/browser-page.ts into the page as `window.__bench`. */
export async function loadBench(page: Page): Promise<void> {
  await page.addScriptTag({ type: 'module', content: "import * as bench from '/bench/browser-page.ts'; window.__bench = bench;" });
  await page.waitForFunction(() => (window as unknown as { __bench?: unknown }).__bench !== undefined);
}

/** Median and p90. Samples that crossed CapTP as whole numbers arrive as bigints: made numbers here. */
export function rtt(samples: readonly (number | bigint)[]): { readonly median: number; readonly p90: number } {
  const s = samples.map(Number).sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p90: s[Math.floor(s.length * 0.9)]! };
}
