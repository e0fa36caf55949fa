/**
 * The header's relay indicator: whether this tab's vat can be reached (it is
 * registered at its relay). Without the relay a tab keeps its open direct
 * sessions, but nobody new can reach it. Follows the vat's `relay-state`
 * events (`data-state`: `connecting`, `connected`, `unreachable`, or
 * `replaced` / `closed`).
 */
import type { BrowserVat, RelayState } from 'capmesh/browser';
import { h } from './dom.js';

type Shown = 'connecting' | 'connected' | 'unreachable' | 'replaced' | 'closed';

const SHOWN: Record<RelayState, Shown> = {
  connecting: 'connecting',
  registered: 'connected',
  disconnected: 'unreachable',
  refused: 'unreachable',
  replaced: 'replaced',
  closed: 'closed',
};

const TEXT: Record<Shown, string> = {
  connecting: 'connecting to the relay…',
  connected: 'online',
  unreachable: 'relay unreachable — retrying',
  replaced: 'another tab took this identity over — retrying',
  closed: 'offline',
};

export function relayIndicator(vat: BrowserVat): { el: HTMLElement; dispose(): void } {
  const text = h('span', {});
  const el = h('span', { class: 'relay-state', role: 'status' }, text);
  const show = (state: RelayState, reason: string): void => {
    const shown = SHOWN[state] ?? 'unreachable';
    el.dataset['state'] = shown;
    text.textContent = TEXT[shown];
    el.title = reason;
  };
  show(vat.relayState.state, vat.relayState.reason);
  const off = vat.on('relay-state', ({ state, reason }) => show(state, reason));
  return { el, dispose: off };
}
