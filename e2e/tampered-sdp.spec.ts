import { expect, test } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, greet, openTabs, registerGreeter, waitForVatEvent } from './helpers.js';

/**
 * A hostile relay: it rewrites the DTLS fingerprint inside the signed session
 * descriptions of the signal kinds in `tamper` (one hex digit, same length,
 * so the Syrup stays well-formed and only the signature can tell).
 */
const tamper = new Set<string>();
let rewritten = 0;
const FINGERPRINT = new TextEncoder().encode('a=fingerprint:sha-256 ');

function rewriteFingerprint(payload: Uint8Array): Uint8Array {
  const at = indexOf(payload, FINGERPRINT);
  if (at < 0) return payload;
  const out = payload.slice();
  const digit = at + FINGERPRINT.length;
  out[digit] = out[digit] === 0x41 ? 0x42 : 0x41; // 'A' ↔ 'B'
  rewritten++;
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay({ interceptSignal: (payload, kind) => [tamper.has(kind) ? rewriteFingerprint(payload) : payload] });
});
test.afterAll(async () => {
  await relay.close();
});
test.beforeEach(() => {
  tamper.clear();
  rewritten = 0;
});

for (const [kind, role] of [
  ['rtc-offer', 'offer'],
  ['rtc-answer', 'answer'],
] as const) {
  test(`a relay that rewrites the fingerprint in the ${role} is caught by the signature; the call goes over the relay path`, async ({ browser }) => {
    tamper.add(kind);
    const tabs = await openTabs(browser, relay, 2, { directTimeoutMs: '2000' });
    const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
    const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
    expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');
    expect(rewritten).toBe(1);
    // Alice dials: Bob checks the offer, Alice checks the answer.
    const [checker, sender] = role === 'offer' ? [bob, alice] : [alice, bob];
    const refusal = await waitForVatEvent(checker.page, 'direct-refused', { designator: sender.designator });
    expect(refusal).toMatchObject({ role, code: 'CRYPTO_BAD_SIGNATURE' });
    expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'relay' });
    expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'relay' });
    await closeTabs(tabs);
  });
}
