/**
 * The start page: make a chatroom or a board (hosted by this tab's vat), open
 * a link someone shared, or go back to what this tab's identity hosts.
 */
import { E, type Remote } from 'capmesh';
import { errorText, field, h } from './dom.js';
import type { AppContext, View } from './context.js';
import { routeFromPaste, routeHash } from './links.js';
import { ROOM_KIND, newRoomData } from './chat/room.js';
import { BOARD_KIND, newBoardData } from './board/board.js';
import type { BoardEditor } from './board/types.js';
import { createNotes } from './notes/host.js';

function createForm(opts: { label: string; name: string; placeholder: string; button: string; run(value: string): Promise<void> }): HTMLFormElement {
  const f = field(opts.label, { name: opts.name, placeholder: opts.placeholder, maxlength: 80 });
  const button = h('button', { type: 'submit' }, opts.button);
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card-form' }, f.label, h('div', { class: 'row' }, f.input, button), error);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    button.disabled = true;
    error.textContent = '';
    opts.run(f.input.value.trim()).then(
      () => undefined,
      (e: unknown) => {
        error.textContent = errorText(e);
        f.input.focus();
      },
    ).finally(() => (button.disabled = false));
  });
  return form;
}

export function openHome(app: AppContext): View {
  const { vat, storage } = app;
  document.title = 'capmesh demo';
  const title = h('h1', { tabindex: '-1', id: 'view-title' }, 'Share live objects between tabs');

  const chatForm = createForm({
    label: 'Room name',
    name: 'room-title',
    placeholder: 'e.g. Lunch plans',
    button: 'Create chatroom',
    async run(value) {
      const roomTitle = value || 'Chatroom';
      const uri = await vat.registerPersistent(ROOM_KIND, newRoomData(roomTitle));
      storage.addHosted({ kind: 'chat', title: roomTitle, uri });
      app.navigate({ view: 'chat', uri });
    },
  });

  const boardForm = createForm({
    label: 'Board name',
    name: 'board-title',
    placeholder: 'e.g. Shopping list',
    button: 'Create board',
    async run(value) {
      const boardTitle = value || 'Board';
      const uri = await vat.registerPersistent(BOARD_KIND, newBoardData(boardTitle));
      const board = await vat.enliven<BoardEditor>(uri);
      const readOnlyUri = String(await E(board as Remote<BoardEditor>).readOnlyLink());
      storage.addHosted({ kind: 'board', title: boardTitle, uri, readOnlyUri });
      app.navigate({ view: 'board', uri });
    },
  });

  const notesForm = createForm({
    label: 'Notes title',
    name: 'notes-title',
    placeholder: 'e.g. Meeting notes',
    button: 'Create notes',
    async run(value) {
      const notes = await createNotes(vat, storage, value || 'Notes');
      app.navigate({ view: 'notes', uri: notes.share.editor });
    },
  });

  const openForm = createForm({
    label: 'Link someone shared with you',
    name: 'open-link',
    placeholder: 'http://…#chat=ocapn://…',
    button: 'Open',
    async run(value) {
      const route = routeFromPaste(value);
      if (!route) throw new Error('That is not a capmesh demo link (it should end in #chat=…, #board=… or #notes=…).');
      app.navigate(route);
    },
  });

  const hosted = storage.hosted();
  const hostedList = h(
    'ul',
    { class: 'hosted' },
    ...hosted.map((t) =>
      h(
        'li',
        {},
        h('span', { class: `badge ${t.kind}` }, t.kind === 'chat' ? 'Chat' : t.kind === 'board' ? 'Board' : 'Notes'),
        ' ',
        h('a', { href: routeHash({ view: t.kind, uri: t.uri }) }, t.title),
      ),
    ),
  );

  const el = h(
    'section',
    { class: 'home view', 'aria-labelledby': 'view-title' },
    title,
    h(
      'p',
      { class: 'lead' },
      'This tab is a vat: it holds objects and hands out references to them. Create a chatroom or a board here — it lives in this tab — then open its link in another tab or browser. The relay only introduces tabs and carries encrypted bytes when no direct WebRTC path opens; it cannot read or forge anything.',
    ),
    h(
      'div',
      { class: 'cards' },
      h('div', { class: 'card' }, h('h2', {}, 'Chatroom'), h('p', { class: 'muted' }, 'Hosted by this tab, with its history. Invite others with a link.'), chatForm),
      h('div', { class: 'card' }, h('h2', {}, 'Collaborative board'), h('p', { class: 'muted' }, 'A shared list with two links: one to edit, one to watch.'), boardForm),
      h('div', { class: 'card' }, h('h2', {}, 'Collaborative notes'), h('p', { class: 'muted' }, 'A Yjs text everyone types into at once; an editor link and a viewer link.'), notesForm),
    ),
    h('div', { class: 'card' }, h('h2', {}, 'Join'), openForm),
    hosted.length > 0 ? h('div', { class: 'card' }, h('h2', {}, 'Hosted by this tab’s vat'), hostedList) : null,
  );
  return { el, focus: title, dispose() {} };
}
