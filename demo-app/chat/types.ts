/**
 * The chatroom's protocol: what the room (hosted in one tab) and its members
 * (in other tabs) say to each other. Everything here crosses vats.
 *
 * Authority: holding the room lets you `join` it. Joining hands the room your
 * own `ChatUser` (which answers your name) and a `ChatListener` (where the
 * room pushes messages and presence), and gives you back a `Membership`
 * bound to your user: it is the only way to speak in the room, so nobody can
 * post as somebody else. Each message the room pushes carries its author's
 * `ChatUser` itself, and members ask *that object* for the name to show: for
 * a member, a reference that came from the room to another member's object is
 * a third-party handoff, and the call goes straight to the author's tab.
 */
import type { Remote } from 'capmesh';

/** A member's own object: it alone says what its name is. */
export interface ChatUser {
  name(): string;
}

export interface ChatEntry {
  /** Increasing within the room (across the host's reloads). */
  readonly id: number;
  readonly kind: 'message' | 'system';
  /**
   * The author's own user object, for messages whose author the room still
   * holds (so its name is asked of the author); null for system notices and
   * for history older than the host's last reload.
   */
  readonly author: Remote<ChatUser> | null;
  /** For history without an author reference: the name the host recorded when it was said. Empty otherwise. */
  readonly recordedName: string;
  readonly text: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/**
 * One member online. Presence carries names, not user objects: passing every
 * member's object to every other member would make each pair of tabs connect
 * (a handoff each) just to show a list.
 */
export interface PresenceEntry {
  /** The member's number in this room (see `JoinResult.memberId`). */
  readonly id: number;
  /** The name the member joined with (asked of its user object at join). */
  readonly name: string;
}

/** The member's side: where the room pushes what happens. */
export interface ChatListener {
  message(entry: ChatEntry): void;
  presence(members: PresenceEntry[]): void;
  ping(): boolean;
}

/** Given to a member when it joins: speaking rights bound to its user. */
export interface Membership {
  say(text: string): void;
  leave(): void;
}

/**
 * A message from the room's history, as a new member receives it. Its author
 * is an index into `JoinResult.authors` (-1: none), so each author's object
 * crosses once however many messages it wrote.
 */
export interface HistoryEntry {
  readonly id: number;
  readonly author: number;
  readonly recordedName: string;
  readonly text: string;
  readonly at: number;
}

export interface JoinResult {
  readonly membership: Remote<Membership>;
  /** This member's number, to find itself in presence lists. */
  readonly memberId: number;
  readonly title: string;
  readonly history: HistoryEntry[];
  readonly authors: Remote<ChatUser>[];
}

export interface Room {
  describe(): { kind: 'chat'; title: string };
  join(user: Remote<ChatUser>, listener: Remote<ChatListener>): JoinResult;
  ping(): boolean;
}

/** Limits the room enforces on what members send. */
export const MAX_TEXT = 2_000;
export const MAX_NAME = 40;
export const MAX_HISTORY = 200;
