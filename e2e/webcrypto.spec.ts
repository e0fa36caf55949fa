import { expect, test } from '@playwright/test';
import { pathsOf, startTestRelay, type VatPage } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, openTabs, registerGreeter } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

/**
 * In a real browser the asynchronous crypto backend picks WebCrypto for both
 * Ed25519 and X25519 (no noble load), and WebCrypto answers as RFC 8032 says,
 * with the strict prechecks refusing a small-order key.
 */
test('the browser checks signatures on WebCrypto Ed25519 / X25519, never loading the noble fallback', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 1);
  try {
    const page = tabs[0]!.page;
    const result = await page.evaluate(async () => {
      const path = '/src/crypto/async-backend.ts';
      const m = (await import(/* @vite-ignore */ path)) as typeof import('../src/crypto/async-backend.js');
      const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
      const toHex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
      let fallbackLoads = 0;
      const web = m.webCryptoBackend(crypto.subtle, () => {
        fallbackLoads++;
        return Promise.reject(new Error('fallback loaded'));
      });
      // RFC 8032 §7.1, test 1 (empty message).
      const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
      const pub = await web.ed25519PublicKey(seed);
      const sig = await web.ed25519Sign(seed, new Uint8Array());
      return {
        selected: await m.asyncCryptoBackend().algorithms(),
        pub: toHex(pub),
        sig: toHex(sig),
        verifies: await web.ed25519Verify(pub, new Uint8Array(), sig),
        smallOrderKey: await web.ed25519Verify(new Uint8Array(32), new Uint8Array(), sig),
        shared: toHex(await web.x25519Shared(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'), hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'))),
        fallbackLoads,
      };
    });
    expect(result.selected).toEqual({ ed25519: 'webcrypto', x25519: 'webcrypto' });
    expect(result.pub).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(result.sig).toBe('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
    expect(result.verifies).toBe(true);
    expect(result.smallOrderKey).toBe(false);
    expect(result.shared).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    expect(result.fallbackLoads).toBe(0);
  } finally {
    await closeTabs(tabs);
  }
});

/** Records the module URLs each tab (page and worker) fetches from now on that hold noble's curves (Vite serves each module by its own URL). */
function watchCurveLoads(tabs: readonly VatPage[]): Map<VatPage, string[]> {
  const seen = new Map<VatPage, string[]>();
  for (const tab of tabs) {
    const urls: string[] = [];
    seen.set(tab, urls);
    tab.context.on('request', (request) => {
      if (/noble[-_]curves/.test(request.url())) urls.push(request.url());
    });
  }
  return seen;
}

/**
 * The synchronous curves load on demand (crypto/active-backend.ts): two tabs
 * that call each other make their session keys, hellos and identities on
 * WebCrypto and never load them; a tab about to hold a second session loads
 * them before it opens, because a handoff signs its gift while it marshals.
 */
test('two tabs calling each other never load noble’s curves; a tab that holds a second session (a handoff) loads them first, and the handoff goes direct', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 3);
  const curves = watchCurveLoads(tabs);
  try {
    const [alice, bob, carol] = tabs as [(typeof tabs)[0], (typeof tabs)[0], (typeof tabs)[0]];
    const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
    const directoryUri = await alice.page.evaluate(async (u) => {
      const { vat, far, E } = window.capmeshTest;
      const bobGreeter = await vat.enliven<{ greet(n: string): string }>(u);
      if ((await E(bobGreeter).greet('Alice')) !== 'Hello from Bob, Alice') throw new Error('no greeting');
      return vat.register(far('directory', { bob: () => bobGreeter }));
    }, bobUri);
    for (const tab of tabs) expect(curves.get(tab)).toEqual([]);
    const greeting = await carol.page.evaluate(async (d) => {
      const { vat, E } = window.capmeshTest;
      const directory = await vat.enliven<{ bob(): { greet(n: string): string } }>(d);
      return E(await E(directory).bob()).greet('Carol');
    }, directoryUri);
    expect(greeting).toBe('Hello from Bob, Carol');
    // Alice held Bob's session when Carol's arrived: she loaded them (also showing this watch sees a worker's fetches).
    expect(curves.get(alice)!.length).toBeGreaterThan(0);
    expect(Object.keys(await pathsOf(carol.page)).sort()).toEqual([alice.designator, bob.designator].sort());
  } finally {
    await closeTabs(tabs);
  }
});
