import { expect, test } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeTabs, greet, openTabs, registerGreeter } from './helpers.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('ICE really fails (relay-only candidates, no TURN server): the call still works, over the relay path', async ({ browser }) => {
  // iceTransportPolicy 'relay' with no TURN server: Chromium gathers no candidate at all,
  // so ICE cannot succeed; the dial gives up on the direct path after directTimeoutMs.
  const tabs = await openTabs(browser, relay, 2, { iceTransportPolicy: 'relay', directTimeoutMs: '1500' });
  const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  // The premise, checked in this browser: that configuration gathers no candidate.
  const candidates = await alice.page.evaluate(async () => {
    const pc = new RTCPeerConnection({ iceServers: [], iceTransportPolicy: 'relay' });
    pc.createDataChannel('probe');
    const complete = new Promise<void>((resolve) => {
      const check = (): void => void (pc.iceGatheringState === 'complete' && resolve());
      pc.addEventListener('icegatheringstatechange', check);
      check();
    });
    await pc.setLocalDescription();
    await complete;
    const count = pc.localDescription!.sdp.split('\n').filter((l) => l.startsWith('a=candidate')).length;
    pc.close();
    return count;
  });
  expect(candidates).toBe(0);
  const uri = await registerGreeter(alice.page, 'Hello from the page');
  const circuitsBefore = relay.stats().circuits;
  expect(await greet(bob.page, uri, 'Bob')).toBe('Hello from the page, Bob');
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'relay' });
  expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'relay' });
  // The relay really carries it: one circuit more than before.
  expect(relay.stats().circuits).toBe(circuitsBefore + 1);
  await closeTabs(tabs);
});

test('directPaths: false — no direct path is even tried; calls work both ways over the relay', async ({ browser }) => {
  const tabs = await openTabs(browser, relay, 2, { directPaths: '0' });
  const [alice, bob] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
  const aliceUri = await registerGreeter(alice.page, 'Hello from Alice');
  const bobUri = await registerGreeter(bob.page, 'Hello from Bob');
  expect(await greet(bob.page, aliceUri, 'Bob')).toBe('Hello from Alice, Bob');
  expect(await greet(alice.page, bobUri, 'Alice')).toBe('Hello from Bob, Alice');
  expect(await pathsOf(bob.page)).toEqual({ [alice.designator]: 'relay' });
  expect(await pathsOf(alice.page)).toEqual({ [bob.designator]: 'relay' });
  await closeTabs(tabs);
});
