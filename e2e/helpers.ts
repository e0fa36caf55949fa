/**
 * Steps the e2e stories share, written against the test page
 * (`pages/vat-page.ts`, which keeps its vat and every vat event on
 * `window.capmeshTest`). Functions passed to `page.evaluate` run in the page:
 * they use only their arguments and the page's globals.
 */
import type { Browser, Page } from '@playwright/test';
import { openVatPages, type VatPage } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';

export const VAT_PAGE = '/e2e/pages/vat.html';

/** Opens `n` tabs, each its own browser context and vat, on `relay`. */
export function openTabs(browser: Browser, relay: Pick<RelayServer, 'url'>, n: number, query: Record<string, string> = {}): Promise<VatPage[]> {
  return openVatPages(browser, n, { path: VAT_PAGE, query: { relay: relay.url, ...query } });
}

export async function closeTabs(tabs: readonly VatPage[]): Promise<void> {
  for (const t of tabs) await t.context.close();
}

/** Registers a greeter object in the page; returns its sturdyref. */
export function registerGreeter(page: Page, greeting: string): Promise<string> {
  return page.evaluate(async (g) => {
    const { vat, far } = window.capmeshTest;
    return vat.register(far('greeter', { greet: (name: string) => `${g}, ${name}` }));
  }, greeting);
}

/** Enlivens `uri` in the page (keeping the reference as `refs[uri]`) and calls `greet(who)` on it. */
export function greet(page: Page, uri: string, who: string): Promise<string> {
  return page.evaluate(
    async ([u, w]) => {
      const { vat, E, refs } = window.capmeshTest;
      let ref = refs.get(u);
      if (ref === undefined) refs.set(u, (ref = await vat.enliven(u)));
      return E(ref as { greet(n: string): string }).greet(w);
    },
    [uri, who] as const,
  );
}

/** Calls `greet` on an already enlivened `uri`; resolves to the result or to the error's `code: message`. */
export function greetOrError(page: Page, uri: string, who: string): Promise<string> {
  return page.evaluate(
    async ([u, w]) => {
      const { vat, E, refs } = window.capmeshTest;
      try {
        let ref = refs.get(u);
        if (ref === undefined) refs.set(u, (ref = await vat.enliven(u)));
        return await E(ref as { greet(n: string): string }).greet(w);
      } catch (e) {
        return `${(e as { code?: string }).code ?? 'NO_CODE'}: ${(e as Error).message}`;
      }
    },
    [uri, who] as const,
  );
}

/** Waits until the page has seen vat event `name` whose detail includes every field of `match`; returns that detail. */
export async function waitForVatEvent(page: Page, name: string, match: Record<string, unknown>, timeout = 30_000): Promise<Record<string, unknown>> {
  const handle = await page.waitForFunction(
    ([n, m]) =>
      window.capmeshTest.events.find((e) => e.name === n && Object.entries(m).every(([k, v]) => e.detail[k] === v))?.detail,
    [name, match] as const,
    { timeout },
  );
  return (await handle.jsonValue()) as Record<string, unknown>;
}
