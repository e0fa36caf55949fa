/**
 * Steps the demo-app stories share. Each person is a tab in its own browser
 * context (its own vat, its own IndexedDB), driving the real UI the way a
 * user would: labels, buttons, links. Every wait is on something visible.
 */
import { expect as baseExpect, type Browser, type BrowserContext, type Page, type TestInfo } from '@playwright/test';
import { CONTEXT_PERMISSIONS } from '../../src/testing/browser-path.js';
import type { RelayServer } from '../../relay/index.js';

export interface Person {
  readonly name: string;
  readonly context: BrowserContext;
  page: Page;
  designator: string;
}

/** Reconnecting across a reload or a closed tab takes seconds, not milliseconds. */
export const expect = baseExpect.configure({ timeout: 30_000 });

const READY = '#vat-status[data-designator]';

/** Opens `url` (relative to baseURL) in `page` and waits for the tab's vat. Returns its designator. */
export async function load(page: Page, url: string): Promise<string> {
  await page.goto(url);
  const ready = page.locator(READY);
  await ready.waitFor({ state: 'attached', timeout: 30_000 });
  return (await ready.getAttribute('data-designator'))!;
}

/** Reloads the tab and waits for its vat again. Returns its designator. */
export async function reload(page: Page): Promise<string> {
  await page.reload();
  const ready = page.locator(READY);
  await ready.waitFor({ state: 'attached', timeout: 30_000 });
  return (await ready.getAttribute('data-designator'))!;
}

/** The app's start URL. */
export const HOME = '/';

/**
 * A new person: a browser context (own storage) with one tab on the app's
 * home page, whose home relay is the test relay — configured the way a user
 * would, in the origin's localStorage (a link cannot choose it).
 */
export async function person(browser: Browser, relay: Pick<RelayServer, 'url'>, name: string): Promise<Person> {
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS], viewport: { width: 1280, height: 900 } });
  await context.addInitScript((url: string) => localStorage.setItem('capmesh-demo:relay', url), relay.url);
  const page = await context.newPage();
  const designator = await load(page, HOME);
  return { name, context, page, designator };
}

/** Opens a shared link in the person's tab. */
export async function open(p: Person, link: string): Promise<void> {
  p.designator = await load(p.page, link);
}

export async function createRoom(p: Person, title: string): Promise<string> {
  await p.page.getByLabel('Room name').fill(title);
  await p.page.getByRole('button', { name: 'Create chatroom' }).click();
  await expect(p.page.getByRole('heading', { level: 1 })).toHaveText(title);
  return p.page.locator('input[name="chat-link"]').inputValue();
}

/** Creates a board; returns its editor and read-only links. */
export async function createBoard(p: Person, title: string): Promise<{ editor: string; readOnly: string }> {
  await p.page.getByLabel('Board name').fill(title);
  await p.page.getByRole('button', { name: 'Create board' }).click();
  await expect(p.page.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(status(p.page)).toHaveAttribute('data-state', 'connected');
  return {
    editor: await p.page.locator('input[name="editor-link"]').inputValue(),
    readOnly: await p.page.locator('input[name="read-only-link"]').inputValue(),
  };
}

export async function addItem(p: Person, text: string): Promise<void> {
  await p.page.getByLabel('New item').fill(text);
  await p.page.getByRole('button', { name: 'Add', exact: true }).click();
}

/** The board's items as shown, in order. */
export function items(page: Page) {
  return page.locator('.board-items li label');
}

export async function join(p: Person): Promise<void> {
  await p.page.getByLabel('Your name').fill(p.name);
  await p.page.getByRole('button', { name: 'Join the room' }).click();
  await expect(status(p.page)).toHaveAttribute('data-state', 'connected');
  await expect(p.page.getByLabel('Message', { exact: true })).toBeVisible();
}

export async function say(p: Person, text: string): Promise<void> {
  await p.page.getByLabel('Message', { exact: true }).fill(text);
  await p.page.getByLabel('Message', { exact: true }).press('Enter');
  await expect(message(p.page, text)).toBeVisible();
  await expect(p.page.getByLabel('Message', { exact: true })).toHaveValue('');
}

export function status(page: Page) {
  return page.locator('.status');
}

export function message(page: Page, text: string) {
  return page.locator('.messages li.message').filter({ has: page.locator('.text', { hasText: text }) });
}

/** Expects `page` to show `text` said by `author` (`(you)` when it is the viewer's own), the name asked of the author's user object. */
export async function expectMessage(page: Page, text: string, author: string, own: boolean, source: 'user' | 'history' = 'user'): Promise<void> {
  const author$ = message(page, text).locator('.author');
  await expect(author$).toHaveText(own ? `${author} (you)` : author);
  await expect(author$).toHaveAttribute('data-name-source', source);
}

export async function expectOnline(page: Page, names: string[]): Promise<void> {
  await expect(page.getByRole('heading', { name: /^Online/ })).toHaveText(`Online (${names.length})`);
  for (const n of names) await expect(page.locator('.presence li', { hasText: n })).toHaveCount(1);
}

/** Saves a screenshot in the test's output folder (test-results/e2e/…/<name>.png) and attaches it to the report. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

export async function closeAll(people: readonly Person[]): Promise<void> {
  for (const p of people) await p.context.close();
}
