/**
 * The page e2e tests drive: it starts this tab's browser vat with the options
 * in the query string and exposes a small API on `window.capmeshTest` for
 * `page.evaluate`. Everything it does goes through the public entry points.
 */
import { E, far } from 'capmesh';
import { startBrowserVat, type BrowserVat } from 'capmesh/browser';

const params = new URLSearchParams(location.search);
const status = document.getElementById('status')!;

declare global {
  interface Window {
    capmeshTest: {
      vat: BrowserVat;
      E: typeof E;
      far: typeof far;
      /** Named references kept in the page between evaluate calls. */
      refs: Map<string, unknown>;
      events: { name: string; detail: Record<string, unknown> }[];
    };
  }
}

const vat = await startBrowserVat({
  relay: params.get('relay') ?? 'ws://127.0.0.1:8787',
  store: params.get('store') ?? 'capmesh-e2e',
  forceRelay: params.get('forceRelay') === '1',
  directTimeoutMs: Number(params.get('directTimeoutMs') ?? 5000),
});
const events: { name: string; detail: Record<string, unknown> }[] = [];
for (const name of ['peer-connected', 'peer-disconnected', 'path-changed'] as const) {
  vat.on(name, (detail) => events.push({ name, detail }));
}
window.capmeshTest = { vat, E, far, refs: new Map(), events };
status.textContent = 'ready';
status.dataset.designator = vat.designator;
