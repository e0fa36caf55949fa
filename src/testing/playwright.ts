/**
 * `capmesh/testing/playwright`: Playwright helpers for testing apps built on
 * capmesh (a test relay, vat pages, their sessions and paths).
 *
 * @module capmesh/testing/playwright
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { silentLogger, type RelayServer, type RelayOptions } from '../../relay/index.js';
import { startRelayWithTestHooks, type RelayTestHooks } from '../../relay/server.js';
import { CONTEXT_PERMISSIONS } from './browser-path.js';

export { CHROMIUM_ARGS, CONTEXT_PERMISSIONS, findChromium } from './browser-path.js';
// What `startTestRelay` takes and returns (the same types as `capmesh/relay`'s).
export type { RelayOptions, RelayServer } from '../../relay/index.js';
export type { RelayTestHooks } from '../../relay/server.js';
export type { DataInterceptor, SignalInterceptor } from '../../relay/router.js';

/**
 * A relay's options plus the test-only traffic hooks (`interceptData`,
 * `interceptSignal`), which a deployed relay does not take.
 */
export interface TestRelayOptions extends RelayOptions, RelayTestHooks {}

/**
 * Playwright helpers for testing apps built on capmesh (`capmesh/testing/playwright`).
 *
 * - `startTestRelay()` runs a real relay on a free loopback port.
 * - `openVatPages(browser, n, …)` opens `n` pages, each in its own browser
 *   context (so each is its own vat with its own IndexedDB), and waits until
 *   each page's vat says it is ready.
 * - `reloadVatPage(page)` reloads a vat page and waits for its vat again
 *   (same context, so the same IndexedDB: the same identity).
 * - `sessionsOf(page)` / `pathsOf(page)` read a page's sessions and paths
 *   from the vat handle the page keeps on `window[handleName]`, and
 *   `waitForPath(page, designator, path)` waits until a session has that path.
 *
 * The page contract: once its vat is ready, the page sets the designator as
 * an attribute of a ready element (default `#status[data-designator]`) and
 * keeps `{ vat }` (the `BrowserVat`) on `window[handleName]` (default
 * `capmeshTest`). Contexts are opened with the media permissions that make
 * Chromium gather loopback ICE candidates (see `browser-path.ts`); launch the
 * browser with `CHROMIUM_ARGS`.
 */
export async function startTestRelay(options: TestRelayOptions = {}): Promise<RelayServer> {
  const { interceptData, interceptSignal, ...relayOptions } = options;
  return startRelayWithTestHooks({ host: '127.0.0.1', port: 0, log: silentLogger, ...relayOptions }, { interceptData, interceptSignal });
}

export interface VatPageOptions {
  /** The page to open (relative to the context's baseURL), e.g. `/e2e/pages/vat.html`. */
  readonly path: string;
  /** Query parameters added to the URL (the relay URL, typically). */
  readonly query?: Readonly<Record<string, string>>;
  /** A CSS selector that appears when the vat is ready. Default `#status[data-designator]`. */
  readonly readySelector?: string;
  /** How the page exposes its designator: an attribute on the ready element. Default `data-designator`. */
  readonly designatorAttribute?: string;
  /** Extra context options (baseURL is required somewhere). */
  readonly baseURL?: string;
}

export interface VatPage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly designator: string;
}

export async function openVatPages(browser: Browser, count: number, options: VatPageOptions): Promise<VatPage[]> {
  const out: VatPage[] = [];
  for (let i = 0; i < count; i++) {
    const context = await browser.newContext({
      permissions: [...CONTEXT_PERMISSIONS],
      ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
    });
    const page = await context.newPage();
    out.push({ page, context, designator: await loadVatPage(page, options) });
  }
  return out;
}

/** Navigates `page` to the vat page and waits for its vat; returns the designator. */
export async function loadVatPage(page: Page, options: VatPageOptions): Promise<string> {
  const query = new URLSearchParams(options.query ?? {}).toString();
  await page.goto(query ? `${options.path}?${query}` : options.path);
  const selector = options.readySelector ?? '#status[data-designator]';
  const ready = page.locator(selector);
  await ready.waitFor({ state: 'attached' });
  const designator = await ready.getAttribute(options.designatorAttribute ?? 'data-designator');
  if (!designator) throw new Error(`the vat page at ${options.path} did not report a designator`);
  return designator;
}

/** Reloads `page` and waits for its vat to be ready again; returns the designator it reports. */
export async function reloadVatPage(page: Page, options: Pick<VatPageOptions, 'readySelector' | 'designatorAttribute'> = {}): Promise<string> {
  await page.reload();
  const ready = page.locator(options.readySelector ?? '#status[data-designator]');
  await ready.waitFor({ state: 'attached' });
  const designator = await ready.getAttribute(options.designatorAttribute ?? 'data-designator');
  if (!designator) throw new Error('the reloaded vat page did not report a designator');
  return designator;
}

export interface PageSession {
  readonly designator: string;
  readonly path: string;
}

/** The page's open sessions (designator and path), through `window[handleName].vat.sessions()`. */
export async function sessionsOf(page: Page, handleName = 'capmeshTest'): Promise<PageSession[]> {
  return page.evaluate(async (name) => {
    const handle = (window as unknown as Record<string, { vat: { sessions(): Promise<{ designator: string; path: string }[]> } }>)[name]!;
    return (await handle.vat.sessions()).map((s) => ({ designator: s.designator, path: s.path }));
  }, handleName);
}

/** designator → path for each open session of the page. */
export async function pathsOf(page: Page, handleName = 'capmeshTest'): Promise<Record<string, string>> {
  return Object.fromEntries((await sessionsOf(page, handleName)).map((s) => [s.designator, s.path]));
}

/**
 * Waits until `page` has a session with `designator` carried by `path`
 * (`webrtc` / `relay`), checking whenever the page is idle (Playwright's
 * `waitForFunction` polling, default every 100 ms). Rejects after `timeoutMs`.
 */
export async function waitForPath(page: Page, designator: string, path: string, options: { timeoutMs?: number; handleName?: string } = {}): Promise<void> {
  await page.waitForFunction(
    async ([name, d, p]) => {
      const handle = (window as unknown as Record<string, { vat: { sessions(): Promise<{ designator: string; path: string }[]> } }>)[name]!;
      return (await handle.vat.sessions()).some((s) => s.designator === d && s.path === p);
    },
    [options.handleName ?? 'capmeshTest', designator, path] as const,
    { polling: 100, timeout: options.timeoutMs ?? 30_000 },
  );
}
