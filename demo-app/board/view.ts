/**
 * The board's DOM: title and mode, share links, the add form and the list.
 * Edit controls are shown in both modes on purpose: a read-only holder may
 * try, and sees the host's refusal (role=alert), which is the point of the
 * demo. Checkboxes show the board's state, not the click: a click asks the
 * board, and the list changes when the board says so.
 */
import { copyBox, field, h, replace } from '../dom.js';
import { statusBanner, type StatusBanner } from '../status.js';
import { MAX_ITEM_TEXT, type BoardItem, type BoardMode } from './types.js';

export interface BoardViewActions {
  add(text: string): Promise<void>;
  toggle(id: number): Promise<void>;
  remove(id: number): Promise<void>;
}

export interface BoardView {
  readonly el: HTMLElement;
  readonly status: StatusBanner;
  setTitle(title: string): void;
  setHost(text: string): void;
  setMode(mode: BoardMode): void;
  setLinks(links: { editor?: string; readOnly?: string }): void;
  setItems(items: BoardItem[]): void;
  /** Shows why an edit did not happen (`refused` for the read-only case). */
  error(text: string, refused?: boolean): void;
}

export function createBoardView(actions: BoardViewActions): BoardView {
  const status = statusBanner();
  const title = h('h1', { tabindex: '-1', id: 'view-title' }, 'Board');
  const mode = h('p', { class: 'mode' });
  const host = h('p', { class: 'muted' });
  const links = h('div', { class: 'links' });
  const alert = h('p', { class: 'error', role: 'alert' });
  const list = h('ul', { class: 'board-items', 'aria-label': 'Items' });
  const empty = h('p', { class: 'muted empty' }, 'Nothing here yet.');

  const itemField = field('New item', { name: 'item', maxlength: MAX_ITEM_TEXT, placeholder: 'Add an item…' });
  const addButton = h('button', { type: 'submit' }, 'Add');
  const form = h('form', { class: 'add-form', 'aria-label': 'Add an item' }, itemField.label, h('div', { class: 'row' }, itemField.input, addButton));

  const attempt = (what: Promise<void>, after?: () => void): void => {
    what.then(
      () => {
        alert.textContent = '';
        alert.classList.remove('refused');
        after?.();
      },
      () => undefined, // the client already reported it through error()
    );
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = itemField.input.value.trim();
    if (!text) {
      itemField.input.focus();
      return;
    }
    attempt(actions.add(text), () => {
      itemField.input.value = '';
      itemField.input.focus();
    });
  });

  const renderItem = (item: BoardItem): HTMLLIElement => {
    const id = `item-${item.id}`;
    const box = h('input', { type: 'checkbox', id, checked: item.done });
    box.addEventListener('change', () => {
      box.checked = item.done; // the board decides
      attempt(actions.toggle(item.id));
    });
    const remove = h('button', { type: 'button', class: 'icon', 'aria-label': `Remove “${item.text}”`, title: 'Remove' }, '✕');
    remove.addEventListener('click', () => attempt(actions.remove(item.id)));
    return h('li', { class: item.done ? 'done' : '', 'data-item-id': item.id }, box, h('label', { for: id }, item.text), remove);
  };

  const el = h('section', { class: 'board view', 'aria-labelledby': 'view-title' }, title, mode, host, status.el, links, alert, form, list, empty);

  return {
    el,
    status,
    setTitle(text) {
      title.textContent = text;
      document.title = `${text} — capmesh board`;
    },
    setHost(text) {
      host.textContent = text;
    },
    setMode(m) {
      el.dataset['mode'] = m;
      replace(
        mode,
        h('span', { class: `badge ${m}` }, m === 'editor' ? 'Editor' : 'Read-only'),
        ' ',
        m === 'editor'
          ? 'You can add, tick and remove items. Share the read-only link to let others watch without editing.'
          : 'You can watch this board live. Your link does not carry the authority to edit it.',
      );
    },
    setLinks({ editor, readOnly }) {
      replace(
        links,
        editor ? copyBox('Editor link (full authority: whoever has it can edit)', editor, 'editor-link') : null,
        readOnly ? copyBox('Read-only link (can watch, cannot edit)', readOnly, 'read-only-link') : null,
      );
    },
    setItems(items) {
      // Keep focus on the same control across re-renders.
      const focused = document.activeElement;
      const focusKey = focused && list.contains(focused) ? `${focused.closest('li')?.dataset['itemId']}:${focused.tagName}` : undefined;
      replace(list, ...items.map(renderItem));
      empty.hidden = items.length > 0;
      if (focusKey) {
        const [itemId, tag] = focusKey.split(':');
        list.querySelector<HTMLElement>(`li[data-item-id="${itemId}"] ${tag === 'BUTTON' ? 'button' : 'input'}`)?.focus();
      }
    },
    error(text, refused = false) {
      alert.textContent = text;
      alert.classList.toggle('refused', refused);
    },
  };
}
