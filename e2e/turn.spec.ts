import { expect, test, type Browser, type Page } from '@playwright/test';
import { CONTEXT_PERMISSIONS, loadVatPage, pathsOf, startTestRelay, type VatPage } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { VAT_PAGE, closeTabs, greet, registerGreeter } from './helpers.js';
import { startTurnServer, type TurnServer } from './turn-server.js';

/**
 * TURN for real: a coturn on loopback sharing a secret with the relay; the
 * relay hands each registered tab short-lived credentials (no app code, no
 * `iceServers` in the page), and tabs with `iceTransportPolicy: 'relay'`
 * may only use TURN candidates.
 */

const SECRET = 'capmesh-e2e-turn-secret';
let turn: TurnServer;
test.beforeAll(async () => {
  turn = await startTurnServer(SECRET);
});
test.afterAll(async () => {
  await turn.stop();
});

/** Keeps every RTCPeerConnection the page makes on `window.capmeshPeerConnections` (read through getStats). */
function recordPeerConnections(): void {
  const Native = window.RTCPeerConnection;
  const made: RTCPeerConnection[] = [];
  (window as unknown as { capmeshPeerConnections: RTCPeerConnection[] }).capmeshPeerConnections = made;
  window.RTCPeerConnection = class extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      made.push(this);
    }
  };
}

/** Opens `n` tabs on `relay` with TURN-only ICE, each recording its peer connections. */
async function openTurnTabs(browser: Browser, relay: RelayServer, n: number, query: Record<string, string> = {}): Promise<VatPage[]> {
  const out: VatPage[] = [];
  for (let i = 0; i < n; i++) {
    const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
    await context.addInitScript(recordPeerConnections);
    const page = await context.newPage();
    out.push({ page, context, designator: await loadVatPage(page, { path: VAT_PAGE, query: { relay: relay.url, iceTransportPolicy: 'relay', ...query } }) });
  }
  return out;
}

interface PeerConnectionReport {
  readonly connectionState: string;
  /** The ICE servers the page gave it (what the relay handed the vat). */
  readonly iceServers: { urls: string[]; username?: string }[];
  readonly iceTransportPolicy: string | undefined;
  /** Local and remote candidate types of the selected pair; undefined when none was selected. */
  readonly selected: { local: string; remote: string } | undefined;
  /** Types of every local candidate gathered. */
  readonly localCandidateTypes: string[];
}

/** What getStats says about each peer connection of the page. */
function peerConnections(page: Page): Promise<PeerConnectionReport[]> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { capmeshPeerConnections: RTCPeerConnection[] }).capmeshPeerConnections;
    return Promise.all(
      pcs.map(async (pc) => {
        const stats = await pc.getStats();
        const byId = new Map<string, Record<string, unknown>>();
        stats.forEach((s: Record<string, unknown>) => byId.set(s.id as string, s));
        let pairId: string | undefined;
        for (const s of byId.values()) if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pairId = s.selectedCandidatePairId;
        const pair = pairId === undefined ? undefined : byId.get(pairId);
        const type = (id: unknown): string => String(byId.get(id as string)?.candidateType);
        const config = pc.getConfiguration();
        return {
          connectionState: pc.connectionState,
          iceServers: (config.iceServers ?? []).map((s) => ({ urls: ([] as string[]).concat(s.urls), ...(s.username === undefined ? {} : { username: s.username }) })),
          iceTransportPolicy: config.iceTransportPolicy,
          selected: pair === undefined ? undefined : { local: type(pair.localCandidateId), remote: type(pair.remoteCandidateId) },
          localCandidateTypes: [...byId.values()].filter((s) => s.type === 'local-candidate').map((s) => String(s.candidateType)),
        };
      }),
    );
  });
}

test('two TURN-only tabs open their data channel through coturn with the relay’s short-lived credentials; calls work both ways', async ({ browser }) => {
  const relay = await startTestRelay({ turn: { urls: [turn.url], secret: SECRET, ttlSeconds: 600 } });
  try {
    const tabs = await openTurnTabs(browser, relay, 2);
    const [alice, bob] = tabs as [VatPage, VatPage];
    const aliceUri = await registerGreeter(alice.page, 'Hello from Alice');
    const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
    expect(await greet(bob.page, aliceUri, 'Bob')).toBe('Hello from Alice, Bob');
    expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');
    expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc' });
    expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'webrtc' });
    for (const tab of tabs) {
      const connected = (await peerConnections(tab.page)).filter((pc) => pc.connectionState === 'connected');
      expect(connected).toHaveLength(1);
      const [pc] = connected as [PeerConnectionReport];
      // The page set no iceServers: these came from the relay, minted for this tab's designator.
      expect(pc.iceTransportPolicy).toBe('relay');
      expect(pc.iceServers).toEqual([{ urls: [turn.url], username: expect.stringMatching(new RegExp(`^\\d+:${tab.designator}$`)) }]);
      expect(pc.selected).toEqual({ local: 'relay', remote: 'relay' });
    }
    await closeTabs(tabs);
  } finally {
    await relay.close();
  }
});

test('with a secret coturn does not share, no channel opens over TURN and the tabs use the relay path', async ({ browser }) => {
  const relay = await startTestRelay({ turn: { urls: [turn.url], secret: 'not-the-shared-secret' } });
  try {
    const tabs = await openTurnTabs(browser, relay, 2, { directTimeoutMs: '3000' });
    const [alice, bob] = tabs as [VatPage, VatPage];
    const aliceUri = await registerGreeter(alice.page, 'Hello from Alice');
    const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
    expect(await greet(bob.page, aliceUri, 'Bob')).toBe('Hello from Alice, Bob');
    expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');
    // The fallback carried them: the capmesh relay's end-to-end circuit, not WebRTC.
    expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'relay' });
    expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'relay' });
    const reports = await peerConnections(bob.page);
    // Bob did try TURN, with the relay's (wrong) credentials; coturn refused them, so no relay candidate and no pair.
    expect(reports.length).toBeGreaterThan(0);
    for (const pc of reports) {
      expect(pc.iceServers).toEqual([{ urls: [turn.url], username: expect.stringMatching(new RegExp(`^\\d+:${bob.designator}$`)) }]);
      expect(pc.localCandidateTypes).not.toContain('relay');
      expect(pc.selected).toBeUndefined();
      expect(pc.connectionState).not.toBe('connected');
    }
    await closeTabs(tabs);
  } finally {
    await relay.close();
  }
});
