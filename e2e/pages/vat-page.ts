/**
 * The page e2e tests (and the browser bench) drive: it starts this tab's
 * browser vat with the options in the query string and exposes a small API on
 * `window.capmeshTest` for `page.evaluate`. Everything it does goes through
 * the public entry points.
 *
 * Query: `relay` (ws URL), `store` (IndexedDB name), `forceRelay=1`,
 * `directTimeoutMs`, `iceTransportPolicy` (`all` | `relay`), `answerPolicy`
 * (`anyone` | `known`), `identity` (`per-tab` | `shared`), `worker=test`
 * (the test worker with its extension, see test-worker.ts).
 */
import { E, far } from 'capmesh';
import { startBrowserVat, type BrowserVat, type BrowserVatEvent } from 'capmesh/browser';
import { testKinds } from './kinds.js';

const params = new URLSearchParams(location.search);
const status = document.getElementById('status')!;

export interface RecordedEvent {
  readonly name: BrowserVatEvent;
  readonly detail: Record<string, unknown>;
}

declare global {
  interface Window {
    capmeshTest: {
      vat: BrowserVat;
      E: typeof E;
      far: typeof far;
      /** Named references kept in the page between evaluate calls. */
      refs: Map<string, unknown>;
      /** Every vat event so far, in order. */
      events: RecordedEvent[];
    };
  }
}

const policy = params.get('iceTransportPolicy');
const answerPolicy = params.get('answerPolicy');
const identity = params.get('identity');
const vat = await startBrowserVat({
  relay: params.get('relay') ?? 'ws://127.0.0.1:8787',
  store: params.get('store') ?? 'capmesh-e2e',
  forceRelay: params.get('forceRelay') === '1',
  directTimeoutMs: Number(params.get('directTimeoutMs') ?? 5000),
  ...(policy === 'relay' || policy === 'all' ? { iceTransportPolicy: policy } : {}),
  ...(answerPolicy === 'anyone' || answerPolicy === 'known' ? { answerPolicy } : {}),
  ...(identity === 'per-tab' || identity === 'shared' ? { identity } : {}),
  ...(params.get('worker') === 'test' ? { worker: new Worker(new URL('./test-worker.ts', import.meta.url), { type: 'module', name: 'capmesh test vat' }) } : {}),
  kinds: testKinds,
});
const events: RecordedEvent[] = [];
for (const name of ['peer-connected', 'peer-disconnected', 'path-changed', 'direct-refused', 'replaced'] as const) {
  vat.on(name, (detail) => events.push({ name, detail }));
}
window.capmeshTest = { vat, E, far, refs: new Map(), events };
status.textContent = 'ready';
status.dataset.designator = vat.designator;
status.dataset.slot = String(vat.slot);
