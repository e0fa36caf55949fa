import { expect, test, type Browser, type Page } from '@playwright/test';
import { CONTEXT_PERMISSIONS, loadVatPage, pathsOf, startTestRelay, type VatPage } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { designatorOf, generateKeyPair, randomBytes, sign } from '../src/crypto/index.js';
import { RelayClient } from '../src/netlayer/relay/client.js';
import { NodeWebSocket } from '../src/netlayer/websocket/ws.js';
import { sdpStatement } from '../src/netlayer/webrtc/signals.js';
import { encode } from '../src/syrup/index.js';
import { designatorSigner, keyPairDesignatorKey } from '../src/crypto/signer.js';
import { VAT_PAGE, closeTabs, greet, openTabs, registerGreeter, waitForVatEvent } from './helpers.js';

/**
 * Strangers flood a tab with signed WebRTC offers. Each stranger is a Node
 * relay client with its own key: its offers are well signed and fresh, so
 * only the tab's offer limits stand between the flood and one
 * `RTCPeerConnection` (and one answer carrying the tab's ICE candidates) per
 * offer. The victim's page counts its peer connections by wrapping the
 * `RTCPeerConnection` constructor before any page script runs.
 */

/** Default limits the story checks against (`OfferLimits`). */
const MAX_PENDING_OFFERS = 16;
const MAX_PENDING_OFFERS_PER_PEER = 2;

/** Counts the page's peer connections: made, open now, and the most open at once. */
function countPeerConnections(): void {
  const Native = window.RTCPeerConnection;
  const count = { created: 0, open: 0, peak: 0 };
  (window as unknown as { rtcCount: typeof count }).rtcCount = count;
  window.RTCPeerConnection = class extends Native {
    constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
      super(...args);
      count.created++;
      count.open++;
      count.peak = Math.max(count.peak, count.open);
      let ended = false;
      const end = (): void => {
        if (!ended) {
          ended = true;
          count.open--;
        }
      };
      const close = this.close.bind(this);
      this.close = () => {
        end();
        close();
      };
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'closed' || this.connectionState === 'failed') end();
      });
    }
  } as typeof RTCPeerConnection;
}

function rtcCount(page: Page): Promise<{ created: number; open: number; peak: number }> {
  return page.evaluate(() => (window as unknown as { rtcCount: { created: number; open: number; peak: number } }).rtcCount);
}

async function openCountedTab(browser: Browser, relay: RelayServer): Promise<VatPage> {
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  await context.addInitScript(countPeerConnections);
  const page = await context.newPage();
  const designator = await loadVatPage(page, { path: VAT_PAGE, query: { relay: relay.url } });
  return { page, context, designator };
}

/** A stranger: a registered relay client with its own key, counting the answers it gets. */
async function stranger(relay: RelayServer) {
  const keys = generateKeyPair();
  const designator = designatorOf(keys.publicKey);
  const signBytes = (m: Uint8Array): Uint8Array => sign(keys.secretKey, m);
  const client = new RelayClient({ url: relay.url, designator, signer: designatorSigner(keyPairDesignatorKey(keys)), WebSocket: NodeWebSocket, reconnect: false });
  let answers = 0;
  client.on('signal', (s) => {
    if (s.kind === 'rtc-answer') answers++;
  });
  await client.whenRegistered();
  return {
    designator,
    client,
    answers: () => answers,
    /** Sends `n` well-signed, fresh offers (each its own dial) to `to`. */
    flood(to: string, sdp: string, n: number): void {
      for (let i = 0; i < n; i++) {
        const body = sdpStatement({ role: 'offer', from: designator, to, dialId: randomBytes(16), sentAt: Date.now(), sdp });
        client.signal(to, 'rtc-offer', encode([body, signBytes(encode(body))]));
      }
    },
  };
}

/** A real offer (a browser's, so the victim's broker can apply it), from a peer connection then dropped. */
function realOffer(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const pc = new RTCPeerConnection();
    pc.createDataChannel('flood');
    await pc.setLocalDescription();
    const sdp = pc.localDescription!.sdp;
    pc.close();
    return sdp;
  });
}

let relay: RelayServer;
/** Offers the relay forwarded to the victim, by sender. */
let forwarded = new Map<string, number>();
let victim = '';
test.beforeAll(async () => {
  relay = await startTestRelay({
    interceptSignal: (payload, kind, from, to) => {
      if (kind === 'rtc-offer' && to === victim) forwarded.set(from, (forwarded.get(from) ?? 0) + 1);
      return [payload];
    },
  });
});
test.afterAll(async () => {
  await relay.close();
});
test.beforeEach(() => {
  forwarded = new Map();
});

test('a tab flooded with signed offers by strangers builds at most maxPendingOffers peer connections, answers few, and a legitimate tab can still call it directly', async ({ browser }) => {
  const bob = await openCountedTab(browser, relay);
  victim = bob.designator;
  const [alice, carol] = (await openTabs(browser, relay, 2)) as [VatPage, VatPage];
  const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
  const sdp = await realOffer(alice.page);

  // Mallory sends 200 offers; 30 more strangers send 4 each.
  const mallory = await stranger(relay);
  const crowd = await Promise.all(Array.from({ length: 30 }, () => stranger(relay)));
  mallory.flood(bob.designator, sdp, 200);
  for (const s of crowd) s.flood(bob.designator, sdp, 4);
  const total = 200 + 30 * 4;
  await expect.poll(() => [...forwarded.values()].reduce((a, b) => a + b, 0), { timeout: 30_000 }).toBe(total);

  // Bob refuses, unanswered, what is over the limits.
  await waitForVatEvent(bob.page, 'direct-refused', { designator: mallory.designator, code: 'OFFER_REFUSED' });

  // Alice calls during the flood. Her offer reaches Bob after the whole flood (one relay socket, in order),
  // so the call sees the flood's effect: it works, over whichever path Bob's limits leave.
  expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');

  const during = await rtcCount(bob.page);
  // The flood did fill the cap (so the limit, not luck, stopped it)…
  expect(during.peak).toBeGreaterThanOrEqual(MAX_PENDING_OFFERS);
  // …and never went past it: at most maxPendingOffers strangers' peer connections, plus Alice's.
  expect(during.peak).toBeLessThanOrEqual(MAX_PENDING_OFFERS + 1);
  expect(during.created).toBeLessThanOrEqual(MAX_PENDING_OFFERS + 1);
  expect(mallory.answers()).toBeLessThanOrEqual(MAX_PENDING_OFFERS_PER_PEER);
  const answered = mallory.answers() + crowd.reduce((a, s) => a + s.answers(), 0);
  expect(answered).toBeLessThanOrEqual(MAX_PENDING_OFFERS);

  // The strangers' half-open peer connections end at Bob's direct-path deadline; then Carol calls Bob directly.
  await bob.page.waitForFunction(() => (window as unknown as { rtcCount: { open: number } }).rtcCount.open <= 1, undefined, { timeout: 30_000 });
  expect(await greet(carol.page, bobUri, 'Carol')).toBe('Hello from Bob, Carol');
  expect((await pathsOf(carol.page))[bob.designator]).toBe('webrtc');
  expect((await rtcCount(bob.page)).peak).toBeLessThanOrEqual(MAX_PENDING_OFFERS + 1);

  mallory.client.close();
  for (const s of crowd) s.client.close();
  await closeTabs([bob, alice, carol]);
});

test("with answerPolicy 'known', a flooded tab builds no peer connection for strangers and sends them nothing", async ({ browser }) => {
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  await context.addInitScript(countPeerConnections);
  const page = await context.newPage();
  const designator = await loadVatPage(page, { path: VAT_PAGE, query: { relay: relay.url, answerPolicy: 'known' } });
  victim = designator;
  const bob: VatPage = { page, context, designator };
  const [alice] = (await openTabs(browser, relay, 1)) as [VatPage];
  const sdp = await realOffer(alice.page);

  const mallory = await stranger(relay);
  mallory.flood(bob.designator, sdp, 50);
  await expect.poll(() => forwarded.get(mallory.designator) ?? 0, { timeout: 30_000 }).toBe(50);
  const refusal = await waitForVatEvent(bob.page, 'direct-refused', { designator: mallory.designator });
  expect(refusal).toMatchObject({ code: 'OFFER_REFUSED', limit: 'answerPolicy' });

  // A stranger tab's first call takes the relay path; Bob never answered it either.
  const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
  expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');
  expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'relay' });
  expect((await rtcCount(bob.page)).created).toBe(0);
  expect(mallory.answers()).toBe(0);

  mallory.client.close();
  await closeTabs([bob, alice]);
});
