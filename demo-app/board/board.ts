/**
 * The board, hosted by the tab that created it. Two persistent kinds whose
 * objects live in the page:
 *
 * - `board`: the editor facet and the board's state (title, items), saved
 *   with `ctx.save` on every change. Its sturdyref is the editor link.
 * - `board-reader`: the read-only facet. Its record names the board's
 *   sturdyref; on rebuild it reaches the board (rebuilding it too if needed)
 *   and forwards only `describe`, `subscribe` and `ping`. Its sturdyref is the
 *   read-only link, which survives reloads like the board's.
 *
 * Subscribers get the whole list after every change (`E.sendOnly`, in order
 * per subscriber); one whose tab is gone is dropped when a liveness check
 * (on any lost peer, and every few seconds) fails.
 */
import { CapmeshError, E, far, type Remote } from 'capmesh';
import type { PageKindContext } from 'capmesh/browser';
import { timeout } from '../connection.js';
import { MAX_ITEMS, MAX_ITEM_TEXT, type BoardEditor, type BoardItem, type BoardListener, type BoardSnapshot } from './types.js';

export const BOARD_KIND = 'board';
export const BOARD_READER_KIND = 'board-reader';

type BoardRecord = {
  title: string;
  nextId: number;
  items: BoardItem[];
  /** The read-only facet's sturdyref, once made. */
  readerUri: string;
};

export interface BoardHostEnv {
  onPeerGone(listener: () => void): () => void;
  registerPersistent(kind: string, data: { board: string }): Promise<string>;
  enliven(uri: string): Promise<unknown>;
}

const LIVENESS_MS = 5_000;
const LIVENESS_TIMEOUT_MS = 10_000;

export function newBoardData(title: string): BoardRecord {
  return { title: cleanTitle(title), nextId: 1, items: [], readerUri: '' };
}

function cleanTitle(title: string): string {
  return String(title).trim().slice(0, 80) || 'Board';
}

function readRecord(data: unknown): BoardRecord {
  const d = (data ?? {}) as Record<string, unknown>;
  const items = Array.isArray(d['items']) ? (d['items'] as Record<string, unknown>[]) : [];
  return {
    title: cleanTitle(typeof d['title'] === 'string' ? d['title'] : ''),
    nextId: Number(d['nextId'] ?? 1),
    items: items.map((i) => ({ id: Number(i['id']), text: String(i['text']), done: i['done'] === true })),
    readerUri: typeof d['readerUri'] === 'string' ? d['readerUri'] : '',
  };
}

export function makeBoard(data: unknown, ctx: PageKindContext, env: BoardHostEnv): object {
  const state = readRecord(data);
  const listeners = new Set<Remote<BoardListener>>();
  let version = 1;
  let readerLink: Promise<string> | undefined;

  const snapshot = (): BoardSnapshot => ({ version, items: state.items.map((i) => ({ ...i })) });
  const changed = (): void => {
    version++;
    ctx.save({ title: state.title, nextId: state.nextId, items: state.items.map((i) => ({ ...i })), readerUri: state.readerUri }).catch(() => {
      // logged by the vat; the board keeps working from memory
    });
    const snap = snapshot();
    for (const l of listeners) E.sendOnly(l).update(snap);
  };
  const find = (id: unknown): BoardItem => {
    const item = state.items.find((i) => i.id === Number(id));
    if (!item) throw new CapmeshError('NOT_FOUND', 'no such item (someone may have removed it)');
    return item;
  };
  const checkLiveness = (): void => {
    for (const l of listeners) timeout(E(l).ping() as Promise<boolean>, LIVENESS_TIMEOUT_MS, 'ping').catch(() => listeners.delete(l));
  };
  env.onPeerGone(checkLiveness);
  setInterval(checkLiveness, LIVENESS_MS);

  const editor = far('board (editor)', {
    describe: () => ({ kind: 'board', title: state.title, mode: 'editor' }),
    ping: () => true,
    subscribe(listener: Remote<BoardListener>) {
      listeners.add(listener);
      return snapshot();
    },
    add(text: unknown) {
      const body = String(text).trim();
      if (!body) throw new CapmeshError('INVALID_ARGUMENT', 'an item needs some text');
      if (body.length > MAX_ITEM_TEXT) throw new CapmeshError('LIMIT', `an item is at most ${MAX_ITEM_TEXT} characters`);
      if (state.items.length >= MAX_ITEMS) throw new CapmeshError('LIMIT', `a board holds at most ${MAX_ITEMS} items`);
      state.items.push({ id: state.nextId++, text: body, done: false });
      changed();
    },
    toggle(id: unknown) {
      const item = find(id);
      state.items = state.items.map((i) => (i === item ? { ...i, done: !i.done } : i));
      changed();
    },
    remove(id: unknown) {
      const item = find(id);
      state.items = state.items.filter((i) => i !== item);
      changed();
    },
    readOnlyLink(): Promise<string> {
      if (state.readerUri) return Promise.resolve(state.readerUri);
      readerLink ??= ctx.uri().then(async (board) => {
        state.readerUri = await env.registerPersistent(BOARD_READER_KIND, { board });
        changed();
        return state.readerUri;
      });
      return readerLink;
    },
  } satisfies Record<keyof BoardEditor, unknown>);
  return editor;
}

/** The read-only facet: reaches the board named in its record and forwards only what reads. */
export async function makeBoardReader(data: unknown, env: BoardHostEnv): Promise<object> {
  const boardUri = String((data as Record<string, unknown> | null)?.['board'] ?? '');
  const board = (await env.enliven(boardUri)) as Remote<BoardEditor>;
  return far('board (read-only)', {
    describe: async () => ({ ...((await E(board).describe()) as object), mode: 'read-only' }),
    ping: () => true,
    subscribe: (listener: Remote<BoardListener>) => E(board).subscribe(listener),
  });
}
