/**
 * The demo chatroom, as people use it: real Chromium tabs (each its own
 * browser context, so its own vat and storage), a real relay, real WebRTC.
 */
import { test } from '@playwright/test';
import { pathsOf, startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeAll, createRoom, expect, expectMessage, expectOnline, join, load, message, open, person, reload, say, screenshot, status } from './demo-pages/steps.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('three tabs chat: every tab shows every message, names asked of each author’s own object', async ({ browser }, testInfo) => {
  const alice = await person(browser, relay, 'Alice');
  const bob = await person(browser, relay, 'Bob');
  const carol = await person(browser, relay, 'Carol');
  const link = await createRoom(alice, 'Team room');
  await join(alice);
  await open(bob, link);
  await join(bob);
  await open(carol, link);
  await join(carol);
  for (const p of [alice, bob, carol]) await expectOnline(p.page, ['Alice', 'Bob', 'Carol']);

  await say(alice, 'Hello from the host');
  await say(bob, 'Bob here');
  await say(carol, 'Carol says hi');

  const said = [
    { by: alice, text: 'Hello from the host' },
    { by: bob, text: 'Bob here' },
    { by: carol, text: 'Carol says hi' },
  ];
  for (const viewer of [alice, bob, carol]) {
    await expect(viewer.page.locator('.messages li.message')).toHaveCount(3);
    for (const { by, text } of said) await expectMessage(viewer.page, text, by.name, by === viewer);
  }
  // Carol got Bob's user object from the room (Alice's tab) and asked it Bob's name:
  // a third-party handoff, so Carol's vat now talks to Bob's directly.
  expect(Object.keys(await pathsOf(carol.page, 'capmeshDemo'))).toEqual(expect.arrayContaining([alice.designator, bob.designator]));
  await expect(carol.page.locator(`.inspector [data-peer="${bob.designator}"]`)).toBeVisible();

  for (const p of [alice, bob, carol]) await screenshot(p.page, testInfo, `chat-${p.name.toLowerCase()}`);

  // Presence is liveness: Carol's tab goes away, and the others see her go.
  await carol.context.close();
  for (const p of [alice, bob]) {
    await expectOnline(p.page, ['Alice', 'Bob']);
    await expect(p.page.locator('.messages li.system', { hasText: /^Carol (left|went offline)/ })).toBeVisible();
  }
  await closeAll([alice, bob]);
});

test('the host reloads: the room and its history come back, and members reconnect', async ({ browser }, testInfo) => {
  const alice = await person(browser, relay, 'Alice');
  const bob = await person(browser, relay, 'Bob');
  const link = await createRoom(alice, 'Persistent room');
  await join(alice);
  await open(bob, link);
  await join(bob);
  await say(alice, 'before the reload');
  await say(bob, 'me too');
  await expectMessage(alice.page, 'me too', 'Bob', false);

  const before = alice.designator;
  alice.designator = await reload(alice.page);
  expect(alice.designator).toBe(before);

  // The host's tab rebuilt the room from IndexedDB and rejoined on its own.
  await expect(alice.page.getByRole('heading', { level: 1 })).toHaveText('Persistent room');
  await expect(status(alice.page)).toHaveAttribute('data-state', 'connected');
  await expect(message(alice.page, 'before the reload')).toBeVisible();
  await expect(message(alice.page, 'me too')).toBeVisible();
  // Bob noticed, reconnected and rejoined: both are online again, and the history is there.
  await expect(status(bob.page)).toHaveAttribute('data-state', 'connected');
  await expectOnline(bob.page, ['Alice', 'Bob']);
  await expectOnline(alice.page, ['Alice', 'Bob']);
  await expect(message(bob.page, 'before the reload')).toBeVisible();
  await say(bob, 'after the reload');
  await expectMessage(alice.page, 'after the reload', 'Bob', false);
  await say(alice, 'welcome back');
  await expectMessage(bob.page, 'welcome back', 'Alice', false);

  await screenshot(alice.page, testInfo, 'chat-host-after-reload');
  await closeAll([alice, bob]);
});

test('the host closes its tab: members see “host offline”; it reopens and they rejoin', async ({ browser }, testInfo) => {
  const alice = await person(browser, relay, 'Alice');
  const bob = await person(browser, relay, 'Bob');
  const link = await createRoom(alice, 'Sometimes offline');
  await join(alice);
  await open(bob, link);
  await join(bob);
  await say(bob, 'is anyone there?');

  await alice.page.close();
  await expect(status(bob.page)).toHaveAttribute('data-state', 'host-offline');
  await expect(status(bob.page)).toContainText('Host offline');
  await expect(bob.page.getByRole('button', { name: 'Send' })).toBeDisabled();
  await expect(bob.page.locator('.presence')).toHaveText('Unknown while disconnected');
  await screenshot(bob.page, testInfo, 'chat-host-offline');

  // Alice opens the app again in a new tab (same browser profile: same identity).
  alice.page = await alice.context.newPage();
  alice.designator = await load(alice.page, link);
  await expect(status(alice.page)).toHaveAttribute('data-state', 'connected');
  await expect(status(bob.page)).toHaveAttribute('data-state', 'connected');
  await expectOnline(bob.page, ['Alice', 'Bob']);
  await expect(message(alice.page, 'is anyone there?')).toBeVisible();
  await say(alice, 'back now');
  await expectMessage(bob.page, 'back now', 'Alice', false);
  await screenshot(bob.page, testInfo, 'chat-rejoined');
  await closeAll([alice, bob]);
});
