/**
 * A tab's side of a chatroom: keeps the room reachable (connection.ts), joins
 * with this tab's own user object and listener, and shows what the room
 * pushes. Each message's author name is asked of the author's user object
 * (a reference the room passed on; for another member's object, capmesh hands
 * it off so the call goes straight to that member's tab). Names are cached per
 * reference for the life of the view.
 */
import { E, far, isCapmeshError, parseSturdyRef, type Remote } from 'capmesh';
import { keepConnected, isDisconnection } from '../connection.js';
import { errorText, short } from '../dom.js';
import type { AppContext, View } from '../context.js';
import { shareLink } from '../links.js';
import { createChatView, type ViewEntry } from './view.js';
import type { ChatEntry, ChatListener, ChatUser, HistoryEntry, JoinResult, Membership, PresenceEntry, Room } from './types.js';

const NAME_TIMEOUT_MS = 15_000;

export function openChat(app: AppContext, uri: string): View {
  const { vat, storage } = app;
  const hostDesignator = parseSturdyRef(uri).peer.designator;
  let joinedAs = storage.joinedAs(uri);
  let myName = joinedAs ?? storage.name();
  let room: Remote<Room> | undefined;
  let membership: Remote<Membership> | undefined;
  let memberId = -1;
  let connected = false;

  const user = far('chat user', { name: () => myName });
  const mine = (author: unknown): boolean => author === (user as unknown);

  const names = new WeakMap<object, Promise<string>>();
  const nameOf = (author: Remote<ChatUser>): Promise<string> => {
    let name = names.get(author);
    if (!name) {
      name = new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer')), NAME_TIMEOUT_MS);
        (E(author).name() as Promise<string>).then(
          (n) => {
            clearTimeout(timer);
            resolve(String(n));
          },
          (e: unknown) => {
            clearTimeout(timer);
            reject(e);
          },
        );
      });
      // A failed lookup is retried next time the author shows up.
      name.catch(() => names.delete(author));
      names.set(author, name);
    }
    return name;
  };

  const fromLive = (e: ChatEntry): ViewEntry => {
    const author = e.author;
    return {
      id: Number(e.id),
      kind: e.kind === 'system' ? 'system' : 'message',
      text: String(e.text),
      at: Number(e.at),
      source: author ? 'user' : e.kind === 'system' ? 'none' : 'history',
      name: author ? nameOf(author) : Promise.resolve(String(e.recordedName)),
      mine: author !== null && mine(author),
    };
  };

  const fromHistory = (e: HistoryEntry, authors: Remote<ChatUser>[]): ViewEntry => {
    const author = Number(e.author) >= 0 ? authors[Number(e.author)] : undefined;
    return {
      id: Number(e.id),
      kind: 'message',
      text: String(e.text),
      at: Number(e.at),
      source: author ? 'user' : 'history',
      name: author ? nameOf(author) : Promise.resolve(String(e.recordedName)),
      mine: author !== undefined && mine(author),
    };
  };

  const listener = far('chat listener', {
    message: (entry: ChatEntry) => view.add(fromLive(entry), true),
    presence: (list: PresenceEntry[]) => {
      lastPresence = list;
      showPresence();
    },
    ping: () => true,
  } satisfies ChatListener);

  // Presence may arrive before the join's answer says which member we are.
  let lastPresence: PresenceEntry[] = [];
  const showPresence = (): void =>
    view.setPresence(lastPresence.map((p) => ({ name: Promise.resolve(String(p.name)), mine: Number(p.id) === memberId })));

  const refresh = (): void => {
    view.setJoined(joinedAs, myName);
    view.setCanSend(connected && membership !== undefined);
  };

  const join = async (target: Remote<Room>): Promise<void> => {
    view.reset();
    const result = (await E(target).join(user as unknown as Remote<ChatUser>, listener as unknown as Remote<ChatListener>)) as JoinResult;
    membership = result.membership;
    memberId = Number(result.memberId);
    showPresence();
    view.setTitle(String(result.title));
    for (const e of result.history) view.add(fromHistory(e, result.authors), false);
    refresh();
  };

  const view = createChatView(shareLink({ view: 'chat', uri }), {
    join(name) {
      myName = name;
      joinedAs = name;
      storage.setName(name);
      storage.setJoined(uri, name);
      refresh();
      if (!room || !connected) return; // joins as soon as the room is reached
      join(room).then(
        () => view.el.querySelector<HTMLInputElement>('input[name="message"]')?.focus(),
        (e: unknown) => view.error(`Could not join: ${errorText(e)}`),
      );
    },
    async say(text) {
      if (!membership || !room) throw new Error('not connected to the room right now');
      try {
        try {
          await E(membership).say(text);
        } catch (e) {
          // The room took us for gone (a missed liveness check): join again and say it once more.
          if (!(isCapmeshError(e) && e.code === 'NOT_FOUND')) throw e;
          await join(room);
          await E(membership!).say(text);
        }
      } catch (e) {
        // The vat notices the session ended too, and the connection reconnects by itself.
        if (isDisconnection(e)) throw new Error('the connection to the room was lost; reconnecting');
        throw e;
      }
    },
    leave() {
      if (membership) E.sendOnly(membership).leave();
      membership = undefined;
      joinedAs = undefined;
      storage.setJoined(uri, undefined);
      refresh();
    },
  });
  view.setHost(
    hostDesignator === vat.designator
      ? 'Hosted by this tab: its history lives in this tab’s storage. Closing the tab takes the room offline until you open it again.'
      : `Hosted by the vat ${short(hostDesignator, 16)} (another tab).`,
  );
  refresh();

  const connection = keepConnected<Room>(vat, uri, {
    onState(state, detail) {
      connected = state === 'connected';
      if (!connected) {
        membership = undefined;
        view.setPresence(null);
      }
      view.status.set(state, detail);
      refresh();
    },
    async onConnected(ref) {
      room = ref;
      const about = (await E(ref).describe()) as { title: string };
      view.setTitle(String(about.title));
      if (joinedAs !== undefined) await join(ref);
    },
  });

  // Say goodbye when the tab goes away, so the others see it at once (best effort: the
  // worker may be gone before the message leaves; the room's liveness check covers that).
  const goodbye = (): void => {
    if (membership) E.sendOnly(membership).leave();
  };
  window.addEventListener('pagehide', goodbye);

  return {
    el: view.el,
    focus: view.el.querySelector('h1') ?? undefined,
    dispose() {
      window.removeEventListener('pagehide', goodbye);
      goodbye();
      connection.close();
    },
  };
}
