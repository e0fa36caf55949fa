import { expect, test } from '@playwright/test';
import { pathsOf, reloadVatPage, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, greet, openTabs, registerGreeter, waitForVatEvent } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('a relay-path session moves to WebRTC while calls are in flight: every call answers, in order, exactly once', async ({ browser }) => {
  // Alice answers offers only from peers she knows (answerPolicy 'known'): Bob's first dial is a
  // stranger's, dropped unanswered, so after 1.5 s he settles on the relay. Once his relay
  // connection exists he is known, and his background direct attempt (1 s later) is answered.
  const [alice] = (await openTabs(browser, relay, 1, { answerPolicy: 'known' })) as [Awaited<ReturnType<typeof openTabs>>[0]];
  const [bob] = (await openTabs(browser, relay, 1, { directTimeoutMs: '1500' })) as [Awaited<ReturnType<typeof openTabs>>[0]];
  const uri = await registerRecorder(alice);
  const result = await bob.page.evaluate(async (u) => {
    const { vat, E } = window.capmeshTest;
    const recorder = await vat.enliven<{ take(i: bigint): bigint }>(u);
    const pathAt = async (): Promise<string> => (await vat.sessions()).find((s) => s.path !== undefined)?.path ?? 'none';
    const firstPath = await pathAt();
    // Calls without waiting for each other, one every 5 ms, until 1.5 s after the switch (or 15 s).
    const answers: number[] = [];
    const calls: Promise<void>[] = [];
    let switchedAt: number | undefined;
    let switchMs = 0;
    const t0 = performance.now();
    for (let i = 0; performance.now() - t0 < 15_000; i++) {
      calls.push(E(recorder).take(BigInt(i)).then((r) => void answers.push(Number(r))));
      if (switchedAt === undefined && window.capmeshTest.events.some((e) => e.name === 'path-changed')) {
        switchedAt = i;
        switchMs = performance.now() - t0;
      }
      if (switchedAt !== undefined && i > switchedAt + 300) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(calls);
    return { firstPath, answers, sent: calls.length, switchedAt, switchMs, lastPath: await pathAt() };
  }, uri);
  expect(result.firstPath).toBe('relay');
  expect(result.switchedAt).toBeGreaterThan(0);
  // Calls were in flight on both sides of the switch, and all answered in the order sent.
  expect(result.answers).toEqual(Array.from({ length: result.sent }, (_, i) => 2 * i));
  expect(await alice.page.evaluate(() => (window as unknown as { seen: number[] }).seen)).toEqual(Array.from({ length: result.sent }, (_, i) => i));
  expect(result.lastPath).toBe('webrtc');
  await waitForVatEvent(bob.page, 'path-changed', { designator: alice.designator, from: 'relay', to: 'webrtc' });
  await waitForVatEvent(alice.page, 'path-changed', { designator: bob.designator, from: 'relay', to: 'webrtc' });
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc' });
  expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'webrtc' });
  console.log(`path-switch: ${result.sent} calls, on WebRTC ${Math.round(result.switchMs)} ms after the relay session's first call (call ${result.switchedAt})`);
  await closeTabs([alice, bob]);
});

test('a direct path that fails moves the session back to its relay circuit with calls in flight, and later to WebRTC again', async ({ browser }) => {
  const [alice] = (await openTabs(browser, relay, 1, { answerPolicy: 'known' })) as [Awaited<ReturnType<typeof openTabs>>[0]];
  const [bob] = (await openTabs(browser, relay, 1, { directTimeoutMs: '1500' })) as [Awaited<ReturnType<typeof openTabs>>[0]];
  await trackPeerConnections(bob);
  const uri = await alice.page.evaluate(() => {
    const { vat, far } = window.capmeshTest;
    return vat.register(far('doubler', { take: (i: bigint) => i * 2n }));
  });
  const result = await bob.page.evaluate(async (u) => {
    const { vat, E, events } = window.capmeshTest;
    const doubler = await vat.enliven<{ take(i: bigint): bigint }>(u);
    const changes = (): string[] => events.filter((e) => e.name === 'path-changed').map((e) => `${String(e.detail['from'])}>${String(e.detail['to'])}`);
    const answers: number[] = [];
    const calls: Promise<void>[] = [];
    let broke: number | undefined;
    let brokeAt = 0;
    let backMs = 0;
    const t0 = performance.now();
    // Calls every 5 ms; once on WebRTC, break the direct path; stop once back on WebRTC again (or 30 s).
    for (let i = 0; performance.now() - t0 < 30_000; i++) {
      calls.push(E(doubler).take(BigInt(i)).then((r) => void answers.push(Number(r))));
      const c = changes();
      if (broke === undefined && c.length === 1) {
        broke = i;
        brokeAt = performance.now();
        for (const pc of (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections) pc.close();
      }
      if (backMs === 0 && c.length >= 2) backMs = performance.now() - brokeAt;
      if (c.length >= 3) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(calls);
    return { answers, sent: calls.length, broke, backMs, changes: changes() };
  }, uri);
  expect(result.broke).toBeGreaterThan(0);
  expect(result.changes).toEqual(['relay>webrtc', 'webrtc>relay', 'relay>webrtc']);
  expect(result.answers).toEqual(Array.from({ length: result.sent }, (_, i) => 2 * i));
  console.log(`path-switch: ${result.sent} calls across relay→webrtc→relay→webrtc, the direct path broken at call ${result.broke}, on the relay ${Math.round(result.backMs)} ms later`);
  await closeTabs([alice, bob]);
});

test('a session born on WebRTC whose direct path breaks with calls in flight moves to a relay circuit that joins it: every call answered once, in order', async ({ browser }) => {
  const [alice] = (await openTabs(browser, relay, 1)) as [Awaited<ReturnType<typeof openTabs>>[0]];
  const [bob] = (await openTabs(browser, relay, 1, { directTimeoutMs: '1500' })) as [Awaited<ReturnType<typeof openTabs>>[0]];
  await trackPeerConnections(bob);
  const uri = await registerRecorder(alice);
  const result = await bob.page.evaluate(async (u) => {
    const { vat, E, events } = window.capmeshTest;
    const recorder = await vat.enliven<{ take(i: bigint): bigint }>(u);
    const firstPath = (await vat.sessions())[0]?.path;
    const changes = (): string[] => events.filter((e) => e.name === 'path-changed').map((e) => `${String(e.detail['from'])}>${String(e.detail['to'])}`);
    const answers: number[] = [];
    const calls: Promise<void>[] = [];
    let brokeAt = 0;
    let movedMs = 0;
    const t0 = performance.now();
    // Calls every 5 ms; at call 50 break the direct path; stop 100 calls after the session moved (or 30 s).
    for (let i = 0; performance.now() - t0 < 30_000; i++) {
      calls.push(E(recorder).take(BigInt(i)).then((r) => void answers.push(Number(r))));
      if (i === 50) {
        brokeAt = performance.now();
        for (const pc of (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections) pc.close();
      }
      if (movedMs === 0 && changes().length > 0) movedMs = performance.now() - brokeAt;
      if (movedMs > 0 && calls.length > 150) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(calls);
    return { answers, sent: calls.length, movedMs, firstPath, changes: changes() };
  }, uri);
  expect(result.firstPath).toBe('webrtc');
  expect(result.changes[0]).toBe('webrtc>relay');
  expect(result.answers).toEqual(Array.from({ length: result.sent }, (_, i) => 2 * i));
  expect(await alice.page.evaluate(() => (window as unknown as { seen: number[] }).seen)).toEqual(Array.from({ length: result.sent }, (_, i) => i));
  await waitForVatEvent(alice.page, 'path-changed', { designator: bob.designator, from: 'webrtc', to: 'relay' });
  console.log(`path-switch: a WebRTC-born session, the direct path broken at call 50 of ${result.sent}, on a joined relay circuit ${Math.round(result.movedMs)} ms later`);
  await closeTabs([alice, bob]);
});

test('a tab that dialled a WebRTC session closes: the answering tab does not wait for a join, it hears from the relay that the peer is gone', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 2);
  const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  const uri = await registerGreeter(alice.page, 'Hello from Alice');
  expect(await greet(bob.page, uri, 'Bob')).toBe('Hello from Alice, Bob');
  expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'webrtc' });
  const closedAt = Date.now();
  await bob.page.close();
  // Well under relayJoinTimeoutMs (directTimeoutMs + 5 s = 10 s here): a bye, or the relay's bounce of a path probe.
  await waitForVatEvent(alice.page, 'peer-disconnected', { designator: bob.designator }, 4_000);
  console.log(`path-switch: the answering tab noticed its dialler's tab closed ${Date.now() - closedAt} ms after page.close()`);
  expect(await pathsOf(alice.page)).toEqual({});
  await closeTabs([alice]);
});

test('five host reloads, each re-dialled 250 ms after peer-disconnected: every session reaches WebRTC', async ({ browser }) => {
  test.setTimeout(180_000);
  const tabs = await openTabs(browser, relay, 2);
  const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  const uri = await alice.page.evaluate(() => window.capmeshTest.vat.registerPersistent('counter', 0n));
  const call = (): Promise<string> =>
    bob.page.evaluate(async (u) => {
      const { vat, E } = window.capmeshTest;
      const counter = await vat.enliven<{ increment(): bigint }>(u);
      return String(await E(counter).increment());
    }, uri);
  expect(await call()).toBe('1');
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'webrtc' });
  const figures: number[] = [];
  for (let reload = 1; reload <= 5; reload++) {
    const disconnects = await bob.page.evaluate(() => window.capmeshTest.events.filter((e) => e.name === 'peer-disconnected').length);
    expect(await reloadVatPage(alice.page)).toBe(alice.designator);
    await bob.page.waitForFunction((n) => window.capmeshTest.events.filter((e) => e.name === 'peer-disconnected').length > n, disconnects, { timeout: 30_000 });
    await bob.page.waitForTimeout(250);
    const t0 = Date.now();
    expect(await call()).toBe(String(reload + 1));
    await bob.page.waitForFunction((d) => window.capmeshTest.vat.sessions().some((x) => x.designator === d && x.path === 'webrtc'), alice.designator, {
      timeout: 30_000,
    });
    figures.push(Date.now() - t0);
  }
  // How many of the re-dials landed on the relay first and were moved.
  const upgrades = await bob.page.evaluate(() => window.capmeshTest.events.filter((e) => e.name === 'path-changed' && e.detail['to'] === 'webrtc').length);
  console.log(`path-switch: re-dial to WebRTC after each host reload (ms): ${figures.join(', ')}; ${upgrades} of them via the relay path first`);
  expect(figures).toHaveLength(5);
  await closeTabs(tabs);
});

/** Keeps the tab's page's peer connections reachable (as `window.peerConnections`, from a reload on), so a test can break the direct path. */
async function trackPeerConnections(tab: Awaited<ReturnType<typeof openTabs>>[0]): Promise<void> {
  await tab.context.addInitScript(() => {
    const Original = window.RTCPeerConnection;
    const made: RTCPeerConnection[] = [];
    (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections = made;
    window.RTCPeerConnection = class extends Original {
      constructor(config?: RTCConfiguration) {
        super(config);
        made.push(this);
      }
    } as typeof RTCPeerConnection;
  });
  expect(await reloadVatPage(tab.page)).toBe(tab.designator);
}

/** Registers, in the tab, a `recorder` whose `take(i)` notes `i` in `window.seen` (arrival order) and answers `2i`; returns its sturdyref. */
function registerRecorder(tab: Awaited<ReturnType<typeof openTabs>>[0]): Promise<string> {
  return tab.page.evaluate(() => {
    const { vat, far } = window.capmeshTest;
    const seen: number[] = [];
    (window as unknown as { seen: number[] }).seen = seen;
    return vat.register(
      far('recorder', {
        take: (i: bigint) => {
          seen.push(Number(i));
          return i * 2n;
        },
      }),
    );
  });
}
