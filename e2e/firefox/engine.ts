/**
 * What the Firefox stories share: tabs opened in either engine (with the
 * fake-capture step of capture.ts in Firefox), demo-app people, and a
 * Chromium browser shared by every story of the worker (fixture `chromium`)
 * for calls across engines.
 */
import { chromium, test as base, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { openVatPages, type VatPage } from 'capmesh/testing/playwright';
import type { RelayServer } from '../../relay/index.js';
import { load, HOME, type Person } from '../demo-pages/steps.js';
import { CHROMIUM_ARGS, findChromium } from '../../src/testing/browser-path.js';
import { awaitCapture, isFirefox, vatContext } from './capture.js';
import { VAT_PAGE } from '../helpers.js';

export { awaitCapture, isFirefox, vatContext, withFakeCapture } from './capture.js';

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

declare global {
  interface Window {
    /** How the page's RTC broker handed each data channel to the worker: `channel` (transferred) or `channel-port` (piped). */
    capmeshHandOvers?: string[];
  }
}

/**
 * Records, in every page of `context`, how the RTC broker hands data
 * channels to the worker (`window.capmeshHandOvers`), by watching
 * `MessagePort.postMessage` for a message that carries an `RTCDataChannel`
 * or a `MessagePort` under a broker message kind (`t`, or `type` after the
 * key rename).
 */
export async function recordHandOvers(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const seen: string[] = (window.capmeshHandOvers = []);
    const post = MessagePort.prototype.postMessage;
    MessagePort.prototype.postMessage = function (this: MessagePort, message: unknown, ...rest: unknown[]) {
      const m = message as { t?: unknown; type?: unknown; channel?: unknown; port?: unknown } | null;
      const kind = m?.t ?? m?.type;
      if (kind === 'channel' && m?.channel instanceof RTCDataChannel) seen.push('channel');
      else if (kind === 'channel-port' && m?.port instanceof MessagePort) seen.push('channel-port');
      return (post as (...a: unknown[]) => void).call(this, message, ...rest);
    } as typeof post;
  });
}

/** The page's data-channel hand-overs so far (see `recordHandOvers`). */
export function handOversOf(page: Page): Promise<string[]> {
  return page.evaluate(() => window.capmeshHandOvers ?? []);
}

/** Opens one vat tab (its own context) on the e2e test page in `browser`, of either engine, and waits for its vat and (Firefox) its capture. */
export async function openTab(browser: Browser, relay: Pick<RelayServer, 'url'>, query: Record<string, string> = {}): Promise<VatPage> {
  if (!isFirefox(browser)) {
    const [tab] = await openVatPages(browser, 1, { path: VAT_PAGE, query: { relay: relay.url, ...query } });
    return tab!;
  }
  const context = await vatContext(browser);
  await recordHandOvers(context);
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
