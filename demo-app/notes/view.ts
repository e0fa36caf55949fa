/**
 * The collaborative notes page: a `Y.Text` bound to a text area, the editor
 * and viewer links (for the host), and who is here (awareness). The host's
 * tab edits its own `Y.Doc`; any other tab joins with `joinDoc` through the
 * link it opened, as an editor or, through the viewer link, read-only — then
 * the text area is read-only too and nothing it does is sent (the host would
 * refuse it anyway: the viewer's member object has no `update`).
 */
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { joinDoc, type JoinedDoc, type JoinStatus } from 'capmesh/yjs';
import { copyBox, errorText, h, replace } from '../dom.js';
import type { AppContext, View } from '../context.js';
import { shareLink } from '../links.js';
import { statusBanner } from '../status.js';
import type { LinkState } from '../connection.js';
import { bindTextarea } from './binding.js';
import { hostedNotes } from './host.js';

const STATE: Record<JoinStatus, LinkState> = {
  connecting: 'connecting',
  synced: 'connected',
  offline: 'host-offline',
  failed: 'failed',
  closed: 'closed',
};

export function openNotes(app: AppContext, uri: string): View {
  const { vat, storage } = app;
  const title = h('h1', { tabindex: '-1', id: 'view-title' }, 'Notes');
  const badge = h('span', { class: 'badge' });
  const status = statusBanner();
  const textarea = h('textarea', { class: 'notes-text', 'aria-label': 'Notes', rows: 14, readonly: true });
  const links = h('div', { class: 'links' });
  const here = h('ul', { class: 'presence' });
  const hereTitle = h('h2', {}, 'Here now');
  const alert = h('p', { class: 'error', role: 'alert' });
  const el = h(
    'section',
    { class: 'notes view', 'aria-labelledby': 'view-title' },
    title,
    badge,
    status.el,
    links,
    alert,
    textarea,
    h('div', { class: 'card' }, hereTitle, here),
  );
  const me = storage.name() || `Guest ${vat.designator.slice(0, 4)}`;
  const cleanup: (() => void)[] = [];
  let disposed = false;

  const showPeople = (awareness: Awareness): void => {
    const names = [...awareness.getStates().entries()].map(([id, s]) => {
      const name = String((s as { name?: unknown }).name ?? '?');
      return h('li', { 'data-client': String(id) }, id === awareness.clientID ? `${name} (you)` : name);
    });
    hereTitle.textContent = `Here now (${names.length})`;
    replace(here, ...names);
  };
  const mount = (doc: Y.Doc, awareness: Awareness, readOnly: boolean): void => {
    badge.className = `badge ${readOnly ? 'read-only' : 'editor'}`;
    badge.textContent = readOnly ? 'Read-only' : 'Editor';
    textarea.readOnly = readOnly;
    cleanup.push(bindTextarea(textarea, doc.getText('notes')));
    const meta = doc.getMap('meta');
    const showTitle = (): void => {
      const t = meta.get('title');
      title.textContent = typeof t === 'string' ? t : 'Notes';
      document.title = `${title.textContent} · capmesh notes`;
    };
    meta.observe(showTitle);
    showTitle();
    awareness.setLocalState({ name: me });
    const onChange = (): void => showPeople(awareness);
    awareness.on('change', onChange);
    showPeople(awareness);
    cleanup.push(() => {
      meta.unobserve(showTitle);
      awareness.off('change', onChange);
    });
  };

  const mine = hostedNotes(storage, uri);
  if (mine) {
    mine.then(
      (notes) => {
        if (disposed) return;
        mount(notes.doc, notes.awareness, false);
        status.set('connected');
        replace(
          links,
          copyBox('Editor link (can write anything)', shareLink({ view: 'notes', uri: notes.share.editor }), 'editor-link'),
          copyBox('Viewer link (read-only)', shareLink({ view: 'notes', uri: notes.share.viewer }), 'viewer-link'),
        );
      },
      (e: unknown) => status.set('failed', errorText(e)),
    );
  } else {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    let joined: JoinedDoc | undefined;
    joinDoc(vat, uri, doc, {
      awareness,
      reconnect: { initialDelayMs: 250, maxDelayMs: 2_000 },
      onStatus: (s, error) => status.set(STATE[s], error?.message),
      onError: (e) => (alert.textContent = `The host refused an edit: ${errorText(e)}`),
    }).then(
      (j) => {
        joined = j;
        if (disposed) return j.close();
        mount(doc, awareness, j.readOnly);
      },
      (e: unknown) => status.set('failed', errorText(e)),
    );
    cleanup.push(() => {
      joined?.close();
      awareness.destroy();
    });
  }

  return {
    el,
    focus: title,
    dispose() {
      disposed = true;
      for (const fn of cleanup.splice(0)) fn();
    },
  };
}
