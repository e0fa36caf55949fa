/**
 * The page-side step Firefox needs for loopback ICE, shared by the Firefox
 * e2e stories (engine.ts) and the browser bench: Firefox gathers host
 * candidates beyond the default route (so 127.0.0.1 on a loopback-only
 * machine) only while the page captures media. Every Firefox context gets an
 * init script that starts a fake `getUserMedia` audio stream on each page
 * it loads and keeps it; `awaitCapture(page)` waits until that stream is
 * live, and callers do that before the page makes an `RTCPeerConnection`.
 * It is the test page's business: capmesh never asks for media. Chromium
 * needs none of it (context permissions do the same there). No
 * `capmesh/...` imports: the bench runs this under tsx, outside Vite.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from '@playwright/test';
import { CONTEXT_PERMISSIONS } from '../../src/testing/browser-path.js';

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
export async function vatContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ ...options, ...(isFirefox(browser) ? {} : { permissions: [...CONTEXT_PERMISSIONS] }) });
  return withFakeCapture(context);
}
