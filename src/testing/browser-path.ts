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
