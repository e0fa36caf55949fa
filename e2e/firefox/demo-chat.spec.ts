/**
 * The demo chatroom with Firefox members: the host in Chromium, two members
 * in Firefox, as people use it (the real UI, a real relay, real WebRTC).
 */
import { waitForPath, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../../relay/index.js';
import { closeAll, createRoom, expect, expectMessage, expectOnline, join, open, say } from '../demo-pages/steps.js';
import { awaitCapture, demoPerson, test } from './engine.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('a Chromium host and two Firefox members chat: every tab shows every message, over direct paths across engines', async ({ browser, chromium }) => {
  const alice = await demoPerson(chromium, relay, 'Alice');
  const bob = await demoPerson(browser, relay, 'Bob');
  const carol = await demoPerson(browser, relay, 'Carol');
  const link = await createRoom(alice, 'Mixed room');
  await join(alice);
  for (const member of [bob, carol]) {
    await open(member, link);
    expect(await awaitCapture(member.page)).toBeGreaterThan(0);
    await join(member);
  }
  for (const p of [alice, bob, carol]) await expectOnline(p.page, ['Alice', 'Bob', 'Carol']);

  await say(alice, 'Hello from Chromium');
  await say(bob, 'Bob in Firefox');
  await say(carol, 'Carol in Firefox too');
  const said = [
    { by: alice, text: 'Hello from Chromium' },
    { by: bob, text: 'Bob in Firefox' },
    { by: carol, text: 'Carol in Firefox too' },
  ];
  for (const viewer of [alice, bob, carol]) {
    await expect(viewer.page.locator('.messages li.message')).toHaveCount(3);
    for (const { by, text } of said) await expectMessage(viewer.page, text, by.name, by === viewer);
  }
  // Firefox ↔ Chromium (member and host) and Firefox ↔ Firefox (Carol asked Bob's own
  // user object for his name: a handoff) each on a data channel.
  await waitForPath(bob.page, alice.designator, 'webrtc', { handleName: 'capmeshDemo' });
  await waitForPath(carol.page, alice.designator, 'webrtc', { handleName: 'capmeshDemo' });
  await waitForPath(carol.page, bob.designator, 'webrtc', { handleName: 'capmeshDemo' });

  // Presence is liveness: Bob's Firefox tab goes away, and the others see him go.
  await bob.context.close();
  for (const p of [alice, carol]) {
    await expectOnline(p.page, ['Alice', 'Carol']);
    await expect(p.page.locator('.messages li.system', { hasText: /^Bob (left|went offline)/ })).toBeVisible();
  }
  await closeAll([alice, carol]);
});
