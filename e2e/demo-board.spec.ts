/**
 * The demo board: one board, two links with different authority. Editors
 * change it live; a read-only holder watches live and is refused, visibly and
 * with the reason, when it tries to edit (the refusal comes from the host:
 * the read-only facet has no edit methods).
 */
import { test } from '@playwright/test';
import { startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { addItem, closeAll, createBoard, expect, items, open, person, screenshot, status } from './demo-pages/steps.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

test('editor and read-only links: edits are live everywhere; the read-only tab cannot edit and says why', async ({ browser }, testInfo) => {
  const alice = await person(browser, relay, 'Alice');
  const bob = await person(browser, relay, 'Bob');
  const carol = await person(browser, relay, 'Carol');
  const links = await createBoard(alice, 'Groceries');
  expect(links.editor).not.toBe(links.readOnly);
  await addItem(alice, 'Milk');
  await expect(items(alice.page)).toHaveText(['Milk']);

  // Bob has the editor link: he edits, Alice sees it.
  await open(bob, links.editor);
  await expect(bob.page.locator('.badge.editor')).toHaveText('Editor');
  await expect(items(bob.page)).toHaveText(['Milk']);
  await addItem(bob, 'Bread');
  await expect(items(alice.page)).toHaveText(['Milk', 'Bread']);

  // Carol has the read-only link: she sees everything, live, and only the read-only link.
  await open(carol, links.readOnly);
  await expect(status(carol.page)).toHaveAttribute('data-state', 'connected');
  await expect(carol.page.locator('.badge.read-only')).toHaveText('Read-only');
  await expect(items(carol.page)).toHaveText(['Milk', 'Bread']);
  await expect(carol.page.locator('input[name="editor-link"]')).toHaveCount(0);
  await addItem(alice, 'Eggs');
  await bob.page.getByRole('checkbox', { name: 'Milk' }).click();
  await expect(items(carol.page)).toHaveText(['Milk', 'Bread', 'Eggs']);
  await expect(carol.page.getByRole('checkbox', { name: 'Milk' })).toBeChecked();

  // Carol tries to edit: the host refuses, and she is told why.
  await addItem(carol, 'Chocolate');
  const alert = carol.page.getByRole('alert').filter({ hasText: 'Refused' });
  await expect(alert).toContainText('read-only link');
  await expect(alert).toContainText('no such method');
  await expect(carol.page.getByLabel('New item')).toHaveValue('Chocolate'); // kept, not lost
  await carol.page.getByRole('checkbox', { name: 'Bread' }).click();
  await expect(alert).toContainText('cannot tick items');
  await expect(carol.page.getByRole('checkbox', { name: 'Bread' })).not.toBeChecked();
  await carol.page.getByRole('button', { name: 'Remove “Eggs”' }).click();
  await expect(alert).toContainText('cannot remove items');
  // Nothing changed anywhere.
  for (const p of [alice, bob, carol]) await expect(items(p.page)).toHaveText(['Milk', 'Bread', 'Eggs']);

  await screenshot(alice.page, testInfo, 'board-editor');
  await screenshot(carol.page, testInfo, 'board-read-only-refused');
  await closeAll([alice, bob, carol]);
});
