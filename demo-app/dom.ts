/**
 * Tiny DOM helpers for the demo (no framework). `h` builds an element from a
 * tag, attributes and children; text children are always set as text, never
 * parsed as HTML, so nothing a peer sends can inject markup.
 */
export type Child = Node | string | null | undefined | false;

export type Attrs = Record<string, string | number | boolean | undefined | null | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value);
    else if (key === 'class') el.className = String(value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/** A unique id for label/aria wiring. */
let nextId = 1;
export function uid(prefix: string): string {
  return `${prefix}-${nextId++}`;
}

/** A labelled text input: `<label for>` + `<input id>`; returns both. */
export function field(label: string, input: Attrs & { name: string }): { label: HTMLLabelElement; input: HTMLInputElement } {
  const id = uid(input.name);
  return { label: h('label', { for: id }, label), input: h('input', { id, type: 'text', autocomplete: 'off', ...input }) };
}

/** The first `n` characters of a designator, for display (the full one goes in `title`). */
export function short(designator: string, n = 10): string {
  return designator.length > n ? `${designator.slice(0, n)}…` : designator;
}

/** `HH:MM` for a timestamp in ms. */
export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** `HH:MM:SS` for a timestamp in ms. */
export function clockSeconds(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The message of anything thrown, for showing in the UI. */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/**
 * A read-only text field holding `value` with a "Copy" button beside it;
 * the button says "Copied" for a moment (or explains why copying failed).
 */
export function copyBox(label: string, value: string, name: string): HTMLElement {
  const { label: l, input } = field(label, { name, readonly: true, value, class: 'link-input' });
  input.addEventListener('focus', () => input.select());
  const feedback = h('span', { class: 'copy-feedback', role: 'status' });
  const button = h('button', { type: 'button', class: 'secondary', 'aria-describedby': input.id }, 'Copy link');
  button.addEventListener('click', () => {
    const done = (text: string): void => {
      feedback.textContent = text;
      setTimeout(() => {
        if (feedback.textContent === text) feedback.textContent = '';
      }, 2500);
    };
    const fallback = (): void => {
      input.select();
      done(document.execCommand('copy') ? 'Copied' : 'Select the link and copy it');
    };
    if (navigator.clipboard?.writeText) navigator.clipboard.writeText(value).then(() => done('Copied'), fallback);
    else fallback();
  });
  return h('div', { class: 'copy-box' }, l, h('div', { class: 'copy-row' }, input, button, feedback));
}
