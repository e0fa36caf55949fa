/**
 * Where the relay is. `npm start` passes the URL of the relay it started
 * (Vite `define`, see vite.config.ts); `?relay=ws://…` in the page's URL wins
 * over it (the e2e tests use their own relay), and without either the demo
 * tries the default port on the page's own host.
 */
declare const __CAPMESH_RELAY__: string;

export function relayUrl(params: URLSearchParams): string {
  const fromQuery = params.get('relay');
  if (fromQuery) return fromQuery;
  const injected = typeof __CAPMESH_RELAY__ === 'string' ? __CAPMESH_RELAY__ : '';
  if (injected) return injected;
  return `ws://${location.hostname || '127.0.0.1'}:8787`;
}

/** How long a dial waits for WebRTC before using the relay (short: tabs are usually close). */
export const DIRECT_TIMEOUT_MS = 3_000;
