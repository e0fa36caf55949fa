/**
 * The chatroom, hosted by the tab that created it: a persistent kind whose
 * object lives in the page and whose record (title, history) the tab's vat
 * keeps in IndexedDB. After the host reloads, the room is rebuilt from the
 * record the first time anyone fetches it; members then rejoin.
 *
 * Membership is live state, never saved: a member is whoever joined and is
 * still reachable. The room pushes messages with `E.sendOnly` (fire and
 * forget, in order per member) and presence with `E(...)`: a presence push
 * that fails, or a liveness check (run whenever this vat loses a peer, and
 * every few seconds) that fails, means that member's tab is gone, and the
 * others are told.
 */
import { CapmeshError, E, far, type Remote } from 'capmesh';
import type { PageKindContext } from 'capmesh/browser';
import { timeout } from '../connection.js';
import { MAX_HISTORY, MAX_NAME, MAX_TEXT, type ChatEntry, type ChatListener, type ChatUser, type HistoryEntry, type JoinResult, type Membership, type PresenceEntry } from './types.js';

export const ROOM_KIND = 'chat-room';

/** What the host's vat stores for a room. */
type SavedEntry = {
  id: number;
  name: string;
  text: string;
  at: number;
};
type RoomRecord = {
  title: string;
  nextId: number;
  history: SavedEntry[];
};

interface Member {
  readonly id: number;
  readonly user: Remote<ChatUser>;
  readonly listener: Remote<ChatListener>;
  readonly name: string;
}

export interface RoomHostEnv {
  /** Subscribes to "this vat lost a peer"; returns an unsubscribe function. */
  onPeerGone(listener: () => void): () => void;
}

const LIVENESS_MS = 5_000;
/** A member that does not answer a liveness check within this long is taken as gone. */
const LIVENESS_TIMEOUT_MS = 8_000;

export function newRoomData(title: string): RoomRecord {
  return { title: cleanTitle(title), nextId: 1, history: [] };
}

function cleanTitle(title: string): string {
  const t = String(title).trim().slice(0, 80);
  return t || 'Chatroom';
}

/** Reads a record back (integers arrive as bigint from the worker). */
function readRecord(data: unknown): RoomRecord {
  const d = (data ?? {}) as Partial<Record<keyof RoomRecord, unknown>>;
  const history = Array.isArray(d.history) ? (d.history as Record<string, unknown>[]) : [];
  return {
    title: cleanTitle(typeof d.title === 'string' ? d.title : ''),
    nextId: Number(d.nextId ?? 1),
    history: history.map((e) => ({ id: Number(e['id']), name: String(e['name']), text: String(e['text']), at: Number(e['at']) })),
  };
}

export function makeRoom(data: unknown, ctx: PageKindContext, env: RoomHostEnv): object {
  const state = readRecord(data);
  /** Authors of entries said since this page loaded, by entry id (not persistable: they are live references). */
  const authors = new Map<number, Remote<ChatUser>>();
  const members = new Map<number, Member>();
  let nextMember = 1;

  const save = (): void => {
    ctx.save({ title: state.title, nextId: state.nextId, history: state.history }).catch(() => {
      // logged by the vat; the room keeps working from memory
    });
  };

  /** The history for a new member, each author object listed once. */
  const historyForJoin = (): Pick<JoinResult, 'history' | 'authors'> => {
    const list: Remote<ChatUser>[] = [];
    const index = new Map<Remote<ChatUser>, number>();
    const history = state.history.map((e): HistoryEntry => {
      const author = authors.get(e.id);
      if (author === undefined) return { id: e.id, author: -1, recordedName: e.name, text: e.text, at: e.at };
      let i = index.get(author);
      if (i === undefined) {
        i = list.push(author) - 1;
        index.set(author, i);
      }
      return { id: e.id, author: i, recordedName: '', text: e.text, at: e.at };
    });
    return { history, authors: list };
  };

  const broadcast = (entry: ChatEntry): void => {
    for (const m of members.values()) E.sendOnly(m.listener).message(entry);
  };

  const notice = (text: string): void => {
    broadcast({ id: state.nextId++, kind: 'system', author: null, recordedName: '', text, at: Date.now() });
  };

  const presence = (): PresenceEntry[] => [...members.values()].map((m) => ({ id: m.id, name: m.name }));

  const drop = (m: Member, why: string): void => {
    if (!members.delete(m.id)) return;
    notice(`${m.name} ${why}`);
    pushPresence();
  };

  function pushPresence(): void {
    const list = presence();
    for (const m of members.values()) (E(m.listener).presence(list) as Promise<void>).catch(() => drop(m, 'went offline'));
  }

  const checkLiveness = (): void => {
    for (const m of members.values()) timeout(E(m.listener).ping() as Promise<boolean>, LIVENESS_TIMEOUT_MS, 'ping').catch(() => drop(m, 'went offline'));
  };
  env.onPeerGone(checkLiveness);
  setInterval(checkLiveness, LIVENESS_MS);

  return far('chat room', {
    describe: () => ({ kind: 'chat', title: state.title }),
    ping: () => true,
    async join(user: Remote<ChatUser>, listener: Remote<ChatListener>): Promise<JoinResult> {
      // The name comes from the member's own object.
      const name = String(await E(user).name()).trim().slice(0, MAX_NAME) || 'anonymous';
      const member: Member = { id: nextMember++, user, listener, name };
      members.set(member.id, member);
      const membership = far('membership', {
        async say(text: unknown) {
          if (!members.has(member.id)) throw new CapmeshError('NOT_FOUND', 'you are no longer a member of this room: join again');
          const body = String(text).trim();
          if (!body) throw new CapmeshError('INVALID_ARGUMENT', 'a message cannot be empty');
          if (body.length > MAX_TEXT) throw new CapmeshError('LIMIT', `a message is at most ${MAX_TEXT} characters`);
          // Recorded for history under the name the author's object gives now.
          const saidAs = String(await E(user).name()).slice(0, MAX_NAME);
          const saved: SavedEntry = { id: state.nextId++, name: saidAs, text: body, at: Date.now() };
          state.history.push(saved);
          if (state.history.length > MAX_HISTORY) {
            const gone = state.history.splice(0, state.history.length - MAX_HISTORY);
            for (const g of gone) authors.delete(g.id);
          }
          authors.set(saved.id, user);
          save();
          broadcast({ id: saved.id, kind: 'message', author: user, recordedName: '', text: body, at: saved.at });
        },
        leave: () => drop(member, 'left'),
      });
      notice(`${name} joined`);
      pushPresence();
      return { membership: membership as unknown as Remote<Membership>, memberId: member.id, title: state.title, ...historyForJoin() };
    },
  });
}
