/**
 * The header's relay indicator: whether this tab's vat can be reached (its
 * relay connection is open). Without the relay a tab keeps its open direct
 * sessions, but nobody new can reach it. Polls the worker tools every 2 s.
 */
import { E } from 'capmesh';
import type { BrowserVat } from 'capmesh/browser';
import { h } from './dom.js';
import type { DemoWorkerTools, RelayState } from './worker-tools.js';

const POLL_MS = 2_000;

const TEXT: Record<RelayState, string> = {
  connecting: 'connecting to the relay…',
  connected: 'online',
  unreachable: 'relay unreachable — retrying',
};

export function relayIndicator(vat: BrowserVat): { el: HTMLElement; dispose(): void } {
  const text = h('span', {}, TEXT.connecting);
  const el = h('span', { class: 'relay-state', role: 'status', 'data-state': 'connecting' }, text);
  const tools = vat.extension<DemoWorkerTools>().catch(() => undefined);
  const check = async (): Promise<void> => {
    const t = await tools;
    if (!t) return;
    const state = (await E(t).relayState()) as RelayState;
    if (el.dataset['state'] === state) return;
    el.dataset['state'] = state;
    text.textContent = TEXT[state] ?? state;
  };
  void check().catch(() => undefined);
  const timer = setInterval(() => void check().catch(() => undefined), POLL_MS);
  return { el, dispose: () => clearInterval(timer) };
}
