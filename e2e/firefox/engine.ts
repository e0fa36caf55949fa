/**
 * What the Firefox stories share: the fake-capture step Firefox needs for
 * loopback ICE, tabs opened in either engine, and a Chromium browser shared
 * by every story of the worker (fixture `chromium`) for calls across engines.
 *
 * Firefox gathers host candidates beyond the default route (so 127.0.0.1 on
 * a loopback-only machine) only while the page captures media. So every
 * Firefox context gets an init script that starts a fake `getUserMedia`
 * audio stream on each page it loads and keeps it; `awaitCapture(page)`
 * waits until that stream is live, and the helpers call it before a story
 * lets the page make an `RTCPeerConnection`. The step is the test page's
 * business: capmesh never asks for media. Chromium needs none of it
 * (context permissions do the same there).
 */
import { chromium, test as base, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { openVatPages, type VatPage } from 'capmesh/testing/playwright';
import type { RelayServer } from '../../relay/index.js';
import { load, HOME, type Person } from '../demo-pages/steps.js';
import { CHROMIUM_ARGS, CONTEXT_PERMISSIONS, findChromium } from '../../src/testing/browser-path.js';
import { VAT_PAGE } from '../helpers.js';

declare global {
  interface Window {
    /** The fake capture stream's start (Firefox contexts only; see `withFakeCapture`). */
    capmeshCapture?: Promise<MediaStream>;
  }
}

export const isFirefox = (browser: Browser | null): boolean => browser?.browserType().name() === 'firefox';

/**
 * In a Firefox context: every page starts a fake audio capture as it loads,
 * and keeps it for its lifetime. A no-op for other engines. `firefox` says
 * which engine it is where the context has no browser (a persistent context).
 */
export async function withFakeCapture(context: BrowserContext, firefox = isFirefox(context.browser())): Promise<BrowserContext> {
  if (!firefox) return context;
  await context.addInitScript(() => {
    window.capmeshCapture = navigator.mediaDevices.getUserMedia({ audio: true });
  });
  return context;
}

/**
 * Waits until the page's fake capture stream is live (Firefox pages opened
 * through `withFakeCapture`); returns its live track count, 0 where the
 * page has no capture (Chromium).
 */
export function awaitCapture(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const stream = await window.capmeshCapture;
    return stream?.getTracks().filter((t) => t.readyState === 'live').length ?? 0;
  });
}

/** A new context of `browser` for a vat tab: media permissions (Chromium) or the fake capture (Firefox). */
export async function vatContext(browser: Browser, options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ ...options, ...(isFirefox(browser) ? {} : { permissions: [...CONTEXT_PERMISSIONS] }) });
  return withFakeCapture(context);
}

/**
 * Loads the e2e test page with `query` in `page` and waits until its vat is
 * ready (returns the designator) or its start failed (throws with the code
 * and message the page shows, rather than waiting out the test).
 */
export async function loadTestPage(page: Page, query: Record<string, string>): Promise<string> {
  await page.goto(`${VAT_PAGE}?${new URLSearchParams(query).toString()}`);
  return vatReady(page);
}

/** Waits until the test page in `page` has its vat (returns the designator) or says its start failed (throws with its code and message). */
export async function vatReady(page: Page): Promise<string> {
  const status = page.locator('#status[data-designator], #status[data-error-code]');
  await status.waitFor({ state: 'attached' });
  const designator = await status.getAttribute('data-designator');
  if (designator) return designator;
  throw new Error(`the vat page failed to start: ${await status.getAttribute('data-error-code')}: ${await status.getAttribute('data-error')}`);
}

/** Opens one vat tab (its own context) on the e2e test page in `browser`, of either engine, and waits for its vat and (Firefox) its capture. */
export async function openTab(browser: Browser, relay: Pick<RelayServer, 'url'>, query: Record<string, string> = {}): Promise<VatPage> {
  if (!isFirefox(browser)) {
    const [tab] = await openVatPages(browser, 1, { path: VAT_PAGE, query: { relay: relay.url, ...query } });
    return tab!;
  }
  const context = await vatContext(browser);
  const page = await context.newPage();
  const designator = await loadTestPage(page, { relay: relay.url, ...query });
  if ((await awaitCapture(page)) < 1) throw new Error('the Firefox tab has no live capture track: loopback ICE would find no candidate');
  return { page, context, designator };
}

/**
 * A person of the demo app (demo-pages/steps.ts) in `browser`, of either
 * engine: its own context whose home relay is `relay`, one tab on the home
 * page, its capture live (Firefox). After navigating the tab elsewhere
 * (`open`), call `awaitCapture` again: each page load starts a new capture.
 */
export async function demoPerson(browser: Browser, relay: Pick<RelayServer, 'url'>, name: string): Promise<Person> {
  const context = await vatContext(browser, { viewport: { width: 1280, height: 900 } });
  await context.addInitScript((url: string) => localStorage.setItem('capmesh-demo:relay', url), relay.url);
  const page = await context.newPage();
  const designator = await load(page, HOME);
  await awaitCapture(page);
  return { name, context, page, designator };
}

/** Chromium launched the way the chromium project launches it (flags for loopback ICE). */
export function launchChromium(): Promise<Browser> {
  const executablePath = findChromium(chromium.executablePath());
  return chromium.launch({ headless: true, args: [...CHROMIUM_ARGS], ...(executablePath ? { executablePath } : {}) });
}

/**
 * `test` for the Firefox stories: `browser` is the project's Firefox, and
 * `chromium` a Chromium launched once per worker (on first use) and shared
 * by every story that needs a second engine.
 */
export const test = base.extend<object, { chromium: Browser }>({
  chromium: [
    async ({}, use) => {
      const browser = await launchChromium();
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],
});
