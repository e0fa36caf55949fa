/**
 * What the app remembers per identity, in localStorage (the objects
 * themselves live in the vat's IndexedDB): the user's name, the rooms and
 * boards this identity hosts, and the rooms it has joined (with the name it
 * joined as), so a reload rejoins without asking again.
 */
import type { Profile } from './profile.js';

export interface HostedThing {
  readonly kind: 'chat' | 'board' | 'notes';
  readonly title: string;
  /** The full-authority sturdyref (the room; the board's editor facet). */
  readonly uri: string;
  /** Boards: the read-only facet's sturdyref; notes: the viewer link. */
  readonly readOnlyUri?: string;
  /** Notes: the share's name in the page's notes store. */
  readonly shareName?: string;
}

export interface AppStorage {
  name(): string;
  setName(name: string): void;
  hosted(): HostedThing[];
  addHosted(thing: HostedThing): void;
  /** The name this identity joined `roomUri` as, if it did. */
  joinedAs(roomUri: string): string | undefined;
  setJoined(roomUri: string, name: string | undefined): void;
}

function read<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: the app still works, it just forgets
  }
}

export function appStorage(profile: Profile): AppStorage {
  const key = (k: string): string => `${profile.prefix}${k}`;
  return {
    name: () => read<string>(key('name'), ''),
    setName: (name) => write(key('name'), name),
    hosted: () => read<HostedThing[]>(key('hosted'), []),
    addHosted(thing) {
      const list = read<HostedThing[]>(key('hosted'), []).filter((t) => t.uri !== thing.uri);
      write(key('hosted'), [thing, ...list]);
    },
    joinedAs: (roomUri) => read<Record<string, string>>(key('joined'), {})[roomUri],
    setJoined(roomUri, name) {
      const all = read<Record<string, string>>(key('joined'), {});
      if (name === undefined) delete all[roomUri];
      else all[roomUri] = name;
      write(key('joined'), all);
    },
  };
}
