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
import { loadVatPage, openVatPages, type VatPage, type VatPageOptions } from 'capmesh/testing/playwright';
import type { RelayServer } from '../../relay/index.js';
import { CHROMIUM_ARGS, CONTEXT_PERMISSIONS, findChromium } from '../../src/testing/browser-path.js';
import { VAT_PAGE } from '../helpers.js';

declare global {
  interface Window {
    /** The fake capture stream's start (Firefox contexts only; see `withFakeCapture`). */
    capmeshCapture?: Promise<MediaStream>;
  }
}

export const isFirefox = (browser: Browser | null): boolean => browser?.browserType().name() === 'firefox';

/** In a Firefox context: every page starts a fake audio capture as it loads, and keeps it for its lifetime. A no-op for other engines. */
export async function withFakeCapture(context: BrowserContext): Promise<BrowserContext> {
  if (!isFirefox(context.browser())) return context;
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

/** Opens one vat tab (its own context) on the e2e test page in `browser`, of either engine, and waits for its vat and (Firefox) its capture. */
export async function openTab(browser: Browser, relay: Pick<RelayServer, 'url'>, query: Record<string, string> = {}): Promise<VatPage> {
  if (!isFirefox(browser)) {
    const [tab] = await openVatPages(browser, 1, { path: VAT_PAGE, query: { relay: relay.url, ...query } });
    return tab!;
  }
  const context = await vatContext(browser);
  const page = await context.newPage();
  const options: VatPageOptions = { path: VAT_PAGE, query: { relay: relay.url, ...query } };
  const designator = await loadVatPage(page, options);
  if ((await awaitCapture(page)) < 1) throw new Error('the Firefox tab has no live capture track: loopback ICE would find no candidate');
  return { page, context, designator };
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
