import { expect, test } from '@playwright/test';
import { startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, openTabs } from './helpers.js';

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
