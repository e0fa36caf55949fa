/**
 * The collaborative board's protocol. A board is a shared list of items.
 *
 * Two facets, two links: the *editor* facet (full authority: add, toggle,
 * remove, and get the read-only link) and the *read-only* facet, a separate
 * object that forwards only the reading methods. A read-only holder's edit
 * attempts reach the host and are refused there — the facet simply has no
 * such methods — whatever its UI lets it try.
 */
import type { Remote } from 'capmesh';

export type BoardItem = {
  readonly id: number;
  readonly text: string;
  readonly done: boolean;
};

/** What a subscriber gets: the whole list, with a version so late arrivals can be ignored. */
export interface BoardSnapshot {
  readonly version: number;
  readonly items: BoardItem[];
}

export interface BoardListener {
  update(snapshot: BoardSnapshot): void;
  ping(): boolean;
}

export type BoardMode = 'editor' | 'read-only';

export interface BoardReader {
  describe(): { kind: 'board'; title: string; mode: BoardMode };
  /** Subscribes `listener` to every later change; returns the current snapshot. */
  subscribe(listener: Remote<BoardListener>): BoardSnapshot;
  ping(): boolean;
}

export interface BoardEditor extends BoardReader {
  add(text: string): void;
  toggle(id: number): void;
  remove(id: number): void;
  /** The read-only facet's sturdyref (made on first request, then kept). */
  readOnlyLink(): string;
}

export const MAX_ITEM_TEXT = 200;
export const MAX_ITEMS = 200;
