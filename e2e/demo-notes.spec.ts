/**
 * The collaborative notes page (capmesh/yjs): a Y.Text in a text area, hosted
 * by one tab, with an editor link and a viewer link. Three people type at
 * once and end with the same text; the host reloads and its links and text
 * survive, with what an editor typed meanwhile merged; the viewer link gives
 * a read-only page whose typing goes nowhere.
 */
import { test, type Page } from '@playwright/test';
import { startTestRelay } from 'capmesh/testing/playwright';
import type { RelayServer } from '../relay/index.js';
import { closeAll, expect, open, person, reload, screenshot, status, type Person } from './demo-pages/steps.js';

let relay: RelayServer;
test.beforeAll(async () => {
  relay = await startTestRelay();
});
test.afterAll(async () => {
  await relay.close();
});

function notes(page: Page) {
  return page.getByRole('textbox', { name: 'Notes' });
}

async function createNotes(p: Person, title: string): Promise<{ editor: string; viewer: string }> {
  await p.page.getByLabel('Notes title').fill(title);
  await p.page.getByRole('button', { name: 'Create notes' }).click();
  await expect(p.page.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(notes(p.page)).toBeEditable();
  return {
    editor: await p.page.locator('input[name="editor-link"]').inputValue(),
    viewer: await p.page.locator('input[name="viewer-link"]').inputValue(),
  };
}

async function openNotes(p: Person, link: string, title: string): Promise<void> {
  await open(p, link);
  await expect(p.page.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(status(p.page)).toHaveAttribute('data-state', 'connected');
}

/** Puts the caret at `at` and types `text` key by key. */
async function typeAt(page: Page, at: number, text: string): Promise<void> {
  await notes(page).focus();
  await notes(page).evaluate((el, pos) => (el as HTMLTextAreaElement).setSelectionRange(pos, pos), at);
  await notes(page).pressSequentially(text, { delay: 15 });
}

/**
 * Puts the caret right after `marker` as the text stands *now* (other tabs may
 * already have typed: an absolute index taken earlier would be stale), then
 * types `text`; from there the binding keeps the caret where it belongs.
 */
async function typeAfter(page: Page, marker: string, text: string): Promise<void> {
  await notes(page).focus();
  await notes(page).evaluate((el, m) => {
    const area = el as HTMLTextAreaElement;
    const at = area.value.indexOf(m) + m.length;
    area.setSelectionRange(at, at);
  }, marker);
  await notes(page).pressSequentially(text, { delay: 15 });
}

test('three tabs type into the same notes at once and end with the same text; everyone sees who is here', async ({ browser }, testInfo) => {
  const alice = await person(browser, relay, 'Alice');
  const bob = await person(browser, relay, 'Bob');
  const carol = await person(browser, relay, 'Carol');
  const links = await createNotes(alice, 'Plans');
  await typeAt(alice.page, 0, 'one\ntwo\nthree');
  await openNotes(bob, links.editor, 'Plans');
  await openNotes(carol, links.editor, 'Plans');
  for (const p of [bob, carol]) await expect(notes(p.page)).toHaveValue('one\ntwo\nthree');
  for (const p of [alice, bob, carol]) await expect(p.page.getByRole('heading', { name: /^Here now/ })).toHaveText('Here now (3)');

  // All at once, each on its own line.
  await Promise.all([typeAfter(alice.page, 'one', ' alice'), typeAfter(bob.page, 'two', ' bob'), typeAfter(carol.page, 'three', ' carol')]);
  const want = 'one alice\ntwo bob\nthree carol';
  for (const p of [alice, bob, carol]) await expect(notes(p.page)).toHaveValue(want);
  await screenshot(bob.page, testInfo, 'notes-three-editors');
  await closeAll([alice, bob, carol]);
});

test('the host reloads: same links, text restored, and what an editor typed meanwhile is merged', async ({ browser }) => {
  const alice = await person(browser, relay, 'Alice');
  const bob = await person(browser, relay, 'Bob');
  const links = await createNotes(alice, 'Journal');
  await typeAt(alice.page, 0, 'before');
  await openNotes(bob, links.editor, 'Journal');
  await expect(notes(bob.page)).toHaveValue('before');

  await reload(alice.page);
  await expect(alice.page.getByRole('heading', { level: 1 })).toHaveText('Journal');
  await expect(alice.page.locator('input[name="editor-link"]')).toHaveValue(links.editor);
  await expect(alice.page.locator('input[name="viewer-link"]')).toHaveValue(links.viewer);
  // Bob types while the host may still be coming back; it merges either way.
  await typeAt(bob.page, 6, ' bob');
  await expect(status(bob.page)).toHaveAttribute('data-state', 'connected');
  await expect(notes(alice.page)).toHaveValue('before bob');
  await typeAt(alice.page, 0, '> ');
  await expect(notes(bob.page)).toHaveValue('> before bob');
  await closeAll([alice, bob]);
});

test('the viewer link gives a read-only page: it follows live, its typing goes nowhere', async ({ browser }, testInfo) => {
  const alice = await person(browser, relay, 'Alice');
  const carol = await person(browser, relay, 'Carol');
  const links = await createNotes(alice, 'Minutes');
  await typeAt(alice.page, 0, 'agenda');
  await openNotes(carol, links.viewer, 'Minutes');
  await expect(carol.page.locator('.badge.read-only')).toHaveText('Read-only');
  await expect(notes(carol.page)).toHaveValue('agenda');
  await expect(notes(carol.page)).not.toBeEditable();
  await expect(carol.page.locator('input[name="editor-link"]')).toHaveCount(0);

  await notes(carol.page).focus();
  await carol.page.keyboard.type('vandalism');
  await typeAt(alice.page, 6, ' item');
  await expect(notes(carol.page)).toHaveValue('agenda item');
  await expect(notes(alice.page)).toHaveValue('agenda item');
  await expect(alice.page.getByRole('heading', { name: /^Here now/ })).toHaveText('Here now (2)');
  await screenshot(carol.page, testInfo, 'notes-viewer');
  await closeAll([alice, carol]);
});
