import { sameBrowserBroker, type SameBrowserBroker, type SameBrowserBrokerOptions } from '../netlayer/same-browser/broker.js';
import { webLocksPresence } from '../netlayer/same-browser/presence.js';

/** The part of a `SharedWorkerGlobalScope` the broker uses. */
export interface SharedWorkerScopeLike {
  onconnect: ((event: MessageEvent) => void) | null;
}

/**
 * Runs the origin's same-browser broker in a SharedWorker (the script
 * `same-browser-broker-worker.ts`, which `startBrowserVat` starts): every
 * page that connects hands the port on to its vat worker, which registers
 * there and asks it for channels to other tabs' vats (see
 * `netlayer/same-browser/broker.ts`). Tab closes are noticed through Web
 * Locks where the platform has them.
 */
export function bootSameBrowserBroker(scope: SharedWorkerScopeLike = self as never, options: SameBrowserBrokerOptions = {}): SameBrowserBroker {
  const presence = options.presence ?? webLocksPresence();
  const broker = sameBrowserBroker({ ...options, ...(presence ? { presence } : {}) });
  scope.onconnect = (event) => {
    const port = event.ports[0];
    if (port) broker.connect(port);
  };
  return broker;
}

/**
 * The page's side: connects to the origin's broker and returns the port to
 * transfer to the vat worker (workers cannot construct a SharedWorker in
 * every browser, so the page does). Undefined when the platform has no
 * SharedWorker or starting it throws: the tab then reaches other tabs by the
 * usual paths only.
 */
export function connectSameBrowserBroker(): MessagePort | undefined {
  if (typeof SharedWorker === 'undefined') return undefined;
  try {
    // The literal `new SharedWorker(new URL(…, import.meta.url))` is what bundlers (Vite) recognise and bundle.
    return new SharedWorker(new URL('./same-browser-broker-worker.js', import.meta.url), { type: 'module', name: 'capmesh same-browser broker' }).port;
  } catch {
    return undefined;
  }
}
