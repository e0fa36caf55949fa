/**
 * Where this tab's home relay is — the one relay its vat registers at. It
 * comes only from this origin's own configuration, never from a link:
 *
 * 1. `localStorage['capmesh-demo:relay']`, if set (from the devtools console,
 *    or by a test before the page loads);
 * 2. else the URL `npm start` passes (Vite `define`, see vite.config.ts);
 * 3. else the default port on the page's own host.
 *
 * A `?relay=…` query parameter in a link is ignored: a link (from a chat
 * member, say) could otherwise make the tab register at a relay of the link
 * maker's choosing. Sturdyrefs in links still name their host's relay; the
 * vat reaches such a relay dial-only (`relayPolicy`), without registering.
 */
declare const __CAPMESH_RELAY__: string;

/** The localStorage key of the home relay setting. */
export const RELAY_SETTING_KEY = 'capmesh-demo:relay';

export function relayUrl(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): string {
  const chosen = storage?.getItem(RELAY_SETTING_KEY);
  if (chosen) return chosen;
  const injected = typeof __CAPMESH_RELAY__ === 'string' ? __CAPMESH_RELAY__ : '';
  if (injected) return injected;
  return `ws://${location.hostname || '127.0.0.1'}:8787`;
}

/** How long a dial waits for WebRTC before using the relay (short: tabs are usually close). */
export const DIRECT_TIMEOUT_MS = 3_000;

/**
 * Heartbeats on this tab's sessions: a host tab that vanished without a
 * goodbye (a crash, a frozen laptop) is noticed within `timeoutMs`, and the
 * views reconnect. Short, for a demo on one machine; capmesh's defaults are
 * 15 s / 45 s.
 */
export const LIVENESS = { intervalMs: 2_000, timeoutMs: 6_000 } as const;
