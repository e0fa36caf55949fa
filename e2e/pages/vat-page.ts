/**
 * The page e2e tests (and the browser bench) drive: it starts this tab's
 * browser vat with the options in the query string and exposes a small API on
 * `window.capmeshTest` for `page.evaluate`. Everything it does goes through
 * the public entry points.
 *
 * Query: `relay` (ws URL), `store` (IndexedDB name), `directPaths=0`,
 * `directTimeoutMs`, `iceTransportPolicy` (`all` | `relay`), `answerPolicy`
 * (`anyone` | `known`), `identity` (`per-tab` | `shared`), `worker=test`
 * (the test worker with its extension, see test-worker.ts), `relayTimeoutMs`.
 *
 * When the start fails, `#status` says `failed` and carries the error's code
 * in `data-error-code` (its message in `data-error`, the time the start took
 * in `data-elapsed-ms`).
 */
import { E, far, isCapmeshError, reconnecting } from 'capmesh';
import { startBrowserVat, type BrowserVat, type BrowserVatEvent, type BrowserVatEvents } from 'capmesh/browser';
import { testKinds } from './kinds.js';

const params = new URLSearchParams(location.search);
const status = document.getElementById('status')!;

export interface RecordedEvent {
  readonly name: BrowserVatEvent;
  readonly detail: Record<string, unknown>;
}

/** Every event's detail is a plain record (checked here, where the map is typed). */
type Recordable = { [K in BrowserVatEvent]: BrowserVatEvents[K] extends Readonly<Record<string, unknown>> ? true : never };
const everyEventRecordable: Recordable = {
  'relay-state': true,
  'peer-connected': true,
  'peer-disconnected': true,
  'path-changed': true,
  replaced: true,
  'direct-refused': true,
  'same-browser-fallback': true,
};

declare global {
  interface Window {
    capmeshTest: {
      vat: BrowserVat;
      E: typeof E;
      far: typeof far;
      reconnecting: typeof reconnecting;
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
const relayTimeoutMs = params.get('relayTimeoutMs');
let vat: BrowserVat;
const startedAt = performance.now();
try {
  vat = await startBrowserVat({
    relay: params.get('relay') ?? 'ws://127.0.0.1:8787',
    store: params.get('store') ?? 'capmesh-e2e',
    directPaths: params.get('directPaths') !== '0',
    directTimeoutMs: Number(params.get('directTimeoutMs') ?? 5000),
    ...(policy === 'relay' || policy === 'all' ? { iceTransportPolicy: policy } : {}),
    ...(answerPolicy === 'anyone' || answerPolicy === 'known' ? { answerPolicy } : {}),
    ...(identity === 'per-tab' || identity === 'shared' ? { identity } : {}),
    ...(params.get('worker') === 'test' ? { worker: new Worker(new URL('./test-worker.ts', import.meta.url), { type: 'module', name: 'capmesh test vat' }) } : {}),
    kinds: testKinds,
    ...(relayTimeoutMs ? { relayTimeoutMs: Number(relayTimeoutMs) } : {}),
  });
} catch (e) {
  status.textContent = 'failed';
  status.dataset.errorCode = isCapmeshError(e) ? e.code : 'NO_CODE';
  status.dataset.error = e instanceof Error ? e.message : String(e);
  status.dataset.elapsedMs = String(Math.round(performance.now() - startedAt));
  throw e;
}
const events: RecordedEvent[] = [{ name: 'relay-state', detail: { ...vat.relayState } }];
for (const name of Object.keys(everyEventRecordable) as BrowserVatEvent[]) {
  vat.on(name, (detail) => events.push({ name, detail: { ...detail } }));
}
window.capmeshTest = { vat, E, far, reconnecting, refs: new Map(), events };
status.textContent = 'ready';
status.dataset.designator = vat.designator;
status.dataset.slot = String(vat.slot);
