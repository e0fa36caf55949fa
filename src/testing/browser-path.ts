import { existsSync } from 'node:fs';

/**
 * Where the Chromium for e2e tests is: `CAPMESH_CHROMIUM` if set, else
 * Playwright's own download if it is installed, else the system's
 * (`/usr/bin/chromium`, Debian's package). Undefined when there is none.
 */
export function findChromium(playwrightPath?: string): string | undefined {
  const candidates = [process.env.CAPMESH_CHROMIUM, playwrightPath, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((p): p is string => typeof p === 'string' && p.length > 0 && existsSync(p));
}

/**
 * Chromium flags that make WebRTC work between tabs on a machine whose only
 * interface may be loopback, without touching the network: loopback ICE
 * candidates (effective together with the media permissions the contexts
 * get), no background traffic, no QUIC.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--allow-loopback-in-peer-connection',
] as const;

/** Context permissions that turn on full ICE candidate gathering (no getUserMedia call needed). */
export const CONTEXT_PERMISSIONS = ['microphone', 'camera'] as const;

/**
 * Where Firefox ESR is for e2e tests and the browser bench: `CAPMESH_FIREFOX`
 * if set, else Debian's `firefox-esr` package. Undefined when there is none.
 * Playwright drives it over WebDriver BiDi (stock Firefox has no Juggler, so
 * Playwright's own Firefox download is not used).
 */
export function findFirefox(): string | undefined {
  const candidates = [process.env.CAPMESH_FIREFOX, '/usr/bin/firefox-esr', '/usr/bin/firefox'];
  return candidates.find((p): p is string => typeof p === 'string' && p.length > 0 && existsSync(p));
}

/**
 * Firefox prefs that make WebRTC work between tabs on loopback, with no
 * prompt: loopback and raw host candidates, and fake media capture granted
 * without asking. Firefox still gathers only default-route addresses unless
 * the page is capturing, so the test page must also hold a (fake)
 * `getUserMedia` stream before it makes any `RTCPeerConnection` — the e2e
 * helpers do that step (e2e/firefox/engine.ts), capmesh itself never does.
 * `privacy.reduceTimerPrecision: false` gives the bench a `performance.now()`
 * finer than 1 ms.
 */
export const FIREFOX_PREFS: Readonly<Record<string, boolean>> = {
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.navigator.permission.disabled': true,
  'media.navigator.streams.fake': true,
  'media.navigator.permission.fake': true,
  'privacy.reduceTimerPrecision': false,
};

/** Playwright launch options for Firefox ESR over WebDriver BiDi (`channel: 'moz-firefox'`). */
export function firefoxLaunchOptions(executablePath: string | undefined): { channel: string; executablePath?: string; firefoxUserPrefs: Record<string, boolean> } {
  return { channel: 'moz-firefox', ...(executablePath ? { executablePath } : {}), firefoxUserPrefs: { ...FIREFOX_PREFS } };
}
