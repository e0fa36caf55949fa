/**
 * The chatroom's DOM: header, share link, join form, who is online, the
 * message list and the compose form. It knows nothing about capmesh: the
 * client (client.ts) feeds it entries whose author names are already being
 * resolved, and gets the user's actions back through callbacks.
 *
 * Accessibility: every control has a real <label>; the message list is a
 * list; a visually hidden polite live region announces each new message
 * (history is not read out on join); errors go to a role=alert line.
 */
import { clock, copyBox, field, h, replace } from '../dom.js';
import { statusBanner, type StatusBanner } from '../status.js';
import { MAX_NAME, MAX_TEXT } from './types.js';

/** An entry as the view shows it. `name` settles to the author's name (from their user object). */
export interface ViewEntry {
  readonly id: number;
  readonly kind: 'message' | 'system';
  readonly text: string;
  readonly at: number;
  /** Where the name came from: `user` (the author's own object), `history` (the host's record), `none`. */
  readonly source: 'user' | 'history' | 'none';
  readonly name: Promise<string>;
  readonly mine: boolean;
}

export interface ChatViewActions {
  join(name: string): void;
  say(text: string): Promise<void>;
  leave(): void;
}

export interface ChatView {
  readonly el: HTMLElement;
  readonly status: StatusBanner;
  setTitle(title: string): void;
  setHost(text: string): void;
  /** Shows the join form (prefilled) or hides it when joined. */
  setJoined(joinedAs: string | undefined, prefill: string): void;
  setCanSend(can: boolean): void;
  /** Clears messages (before a (re)join brings the history). */
  reset(): void;
  /** Adds or replaces an entry; `announce` reads it out. */
  add(entry: ViewEntry, announce: boolean): void;
  /** Who is online; `null` while not connected (unknown). */
  setPresence(names: { name: Promise<string>; mine: boolean }[] | null): void;
  error(text: string): void;
}

export function createChatView(shareUrl: string, actions: ChatViewActions): ChatView {
  const status = statusBanner();
  const title = h('h1', { tabindex: '-1' }, 'Chatroom');
  const host = h('p', { class: 'muted' });
  const errorLine = h('p', { class: 'error', role: 'alert' });

  // Join form.
  const nameField = field('Your name', { name: 'name', maxlength: MAX_NAME, required: true, autocomplete: 'nickname' });
  const joinButton = h('button', { type: 'submit' }, 'Join the room');
  const joinForm = h('form', { class: 'join-form', 'aria-label': 'Join the room' }, nameField.label, h('div', { class: 'row' }, nameField.input, joinButton));
  joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = nameField.input.value.trim();
    if (!name) {
      errorLine.textContent = 'Type a name to join.';
      nameField.input.focus();
      return;
    }
    errorLine.textContent = '';
    actions.join(name);
  });

  // Who is online.
  const presenceHeading = h('h2', { id: 'presence-heading' }, 'Online');
  const presenceList = h('ul', { class: 'presence', 'aria-labelledby': 'presence-heading' });

  // Messages.
  const messages = h('ol', { class: 'messages', 'aria-label': 'Messages' });
  const announcer = h('div', { class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'false' });
  const entries = new Map<number, HTMLLIElement>();

  // Compose.
  const textField = field('Message', { name: 'message', maxlength: MAX_TEXT, placeholder: 'Say something…' });
  const sendButton = h('button', { type: 'submit' }, 'Send');
  const leaveButton = h('button', { type: 'button', class: 'secondary' }, 'Leave');
  leaveButton.addEventListener('click', () => actions.leave());
  const compose = h('form', { class: 'compose', 'aria-label': 'Send a message' }, textField.label, h('div', { class: 'row' }, textField.input, sendButton, leaveButton));
  compose.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = textField.input.value.trim();
    if (!text) return;
    sendButton.disabled = true;
    actions.say(text).then(
      () => {
        textField.input.value = '';
        errorLine.textContent = '';
      },
      (e: unknown) => {
        errorLine.textContent = `Your message was not sent: ${e instanceof Error ? e.message : String(e)}`;
      },
    ).finally(() => {
      sendButton.disabled = !canSend;
      textField.input.focus();
    });
  });
  let canSend = false;

  const roomPanel = h(
    'div',
    { class: 'chat-grid' },
    h('section', { class: 'chat-main', 'aria-label': 'Conversation' }, messages, announcer, compose),
    h('aside', { class: 'chat-side', 'aria-labelledby': 'presence-heading' }, presenceHeading, presenceList),
  );

  const el = h(
    'section',
    { class: 'chat view', 'aria-labelledby': 'view-title' },
    title,
    host,
    status.el,
    copyBox('Invite link (anyone with it can join)', shareUrl, 'chat-link'),
    errorLine,
    joinForm,
    roomPanel,
  );
  title.id = 'view-title';

  const scrollToEnd = (): void => {
    messages.scrollTop = messages.scrollHeight;
  };

  const render = (entry: ViewEntry): HTMLLIElement => {
    if (entry.kind === 'system') {
      return h('li', { class: 'system', 'data-id': entry.id }, h('span', { class: 'text' }, entry.text), ' ', h('time', { datetime: new Date(entry.at).toISOString() }, clock(entry.at)));
    }
    const author = h('span', { class: 'author', 'data-name-source': entry.source }, '…');
    const li = h(
      'li',
      { class: entry.mine ? 'message mine' : 'message', 'data-id': entry.id },
      h('div', { class: 'meta' }, author, ' ', h('time', { datetime: new Date(entry.at).toISOString() }, clock(entry.at))),
      h('p', { class: 'text' }, entry.text),
    );
    if (entry.source === 'history') author.title = 'Name as the host recorded it (the author is not connected to the room now)';
    entry.name.then(
      (name) => {
        author.textContent = entry.mine ? `${name} (you)` : name;
        author.dataset['resolved'] = 'true';
      },
      () => {
        author.textContent = 'unknown (their tab is unreachable)';
        author.dataset['resolved'] = 'failed';
      },
    );
    return li;
  };

  return {
    el,
    status,
    setTitle(text) {
      title.textContent = text;
      document.title = `${text} — capmesh chat`;
    },
    setHost(text) {
      host.textContent = text;
    },
    setJoined(joinedAs, prefill) {
      joinForm.hidden = joinedAs !== undefined;
      roomPanel.hidden = joinedAs === undefined;
      if (joinedAs === undefined) {
        if (!nameField.input.value) nameField.input.value = prefill;
        joinButton.disabled = false;
      }
    },
    setCanSend(can) {
      canSend = can;
      sendButton.disabled = !can;
      joinButton.disabled = !can && joinForm.hidden === false && status.state !== 'connected';
    },
    reset() {
      entries.clear();
      replace(messages);
    },
    add(entry, announce) {
      const li = render(entry);
      const old = entries.get(entry.id);
      entries.set(entry.id, li);
      if (old) old.replaceWith(li);
      else {
        // Keep id order: most arrive last; history may interleave with early live pushes.
        const after = [...entries.keys()].filter((id) => id > entry.id).sort((a, b) => a - b)[0];
        const next = after === undefined ? undefined : entries.get(after);
        if (next && next !== li && next.parentNode === messages) messages.insertBefore(li, next);
        else messages.appendChild(li);
      }
      scrollToEnd();
      if (announce) {
        if (entry.kind === 'system') announcer.append(h('p', {}, entry.text));
        else void entry.name.then((n) => announcer.append(h('p', {}, `${n}: ${entry.text}`)), () => undefined);
        while (announcer.childNodes.length > 5) announcer.firstChild!.remove();
      }
    },
    setPresence(list) {
      if (list === null) {
        presenceHeading.textContent = 'Online';
        replace(presenceList, h('li', { class: 'unknown' }, 'Unknown while disconnected'));
        return;
      }
      presenceHeading.textContent = `Online (${list.length})`;
      replace(
        presenceList,
        ...list.map((p) => {
          const li = h('li', {}, '…');
          p.name.then(
            (n) => (li.textContent = p.mine ? `${n} (you)` : n),
            () => (li.textContent = 'unknown'),
          );
          return li;
        }),
      );
    },
    error(text) {
      errorLine.textContent = text;
    },
  };
}
