/**
 * The connection inspector: what this tab's vat is doing on the network.
 *
 * - This vat's designator and relay.
 * - One row per open session: the peer, the path carrying it (a direct
 *   WebRTC data channel, or the relay's encrypted circuit), the round-trip
 *   time (the vat times a call to the peer's probe object), who dialled,
 *   and the session's table sizes and traffic.
 * - GC events as they happen: the session counters of `op:gc-exports` and
 *   `op:gc-answers` this vat sent (references it dropped and told the peer
 *   about), taken as deltas between polls.
 * - Peer events: connected, disconnected, path changed.
 *
 * It reads `vat.sessions()` (the page's mirror of the worker's list, kept
 * current by the worker) on every session change and once a second for the
 * counters, and times each peer every few seconds; nothing here changes the vat.
 */
import { E, type SessionInfo } from 'capmesh';
import type { BrowserVat } from 'capmesh/browser';
import type { DemoWorkerTools } from './worker-tools.js';
import { clockSeconds, errorText, h, replace, short } from './dom.js';

const POLL_MS = 1_000;
const RTT_EVERY_POLLS = 3;
const MAX_LOG = 30;

export interface Inspector {
  readonly el: HTMLElement;
  dispose(): void;
}

interface Known {
  readonly designator: string;
  readonly sessionId: string;
  gcExports: number;
  gcAnswers: number;
  rtt?: number;
  rttError?: string;
}

function num(stats: SessionInfo['stats'], key: keyof SessionInfo['stats']): number {
  return Number(stats[key]);
}

export function createInspector(vat: BrowserVat, relay: string): Inspector {
  const count = h('span', { 'data-testid': 'session-count' }, '0');
  const peerList = h('ul', { class: 'peers', 'aria-label': 'Open sessions, one per peer vat' });
  const noPeers = h('p', { class: 'muted' }, 'No sessions yet. Open a link from another tab, or share one.');
  const gcLog = h('ol', { class: 'log gc-log', 'aria-label': 'GC events' });
  const eventLog = h('ol', { class: 'log event-log', 'aria-label': 'Peer events' });

  const el = h(
    'aside',
    { class: 'inspector', 'aria-labelledby': 'inspector-title' },
    h('h2', { id: 'inspector-title' }, 'Inspector'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'This vat'),
      h('dd', {}, h('code', { class: 'designator', 'data-testid': 'my-designator', title: 'This tab’s designator: the public key that names its vat' }, vat.designator)),
      h('dt', {}, 'Relay'),
      h('dd', {}, h('code', {}, relay)),
      h('dt', {}, 'Open sessions'),
      h('dd', {}, count),
    ),
    h('h3', {}, 'Peers'),
    noPeers,
    peerList,
    h('h3', {}, 'GC events'),
    h('p', { class: 'muted hint' }, 'Sent when this vat drops references it imported, as the browser collects them.'),
    gcLog,
    h('h3', {}, 'Peer events'),
    eventLog,
  );

  const log = (list: HTMLOListElement, text: string, cls = ''): void => {
    list.prepend(h('li', { class: cls }, h('time', {}, clockSeconds(Date.now())), ' ', text));
    while (list.children.length > MAX_LOG) list.lastElementChild!.remove();
  };

  const known = new Map<string, Known>();
  let polls = 0;
  let stopped = false;

  const row = (s: SessionInfo, k: Known): HTMLLIElement => {
    const st = s.stats;
    const rtt = k.rtt !== undefined ? `${k.rtt < 10 ? k.rtt.toFixed(1) : Math.round(k.rtt)} ms` : k.rttError ? 'RTT —' : 'RTT …';
    const stat = (label: string, value: string, title: string): HTMLElement => h('span', { title }, h('span', { class: 'k' }, label), ' ', value);
    return h(
      'li',
      { class: 'peer', 'data-peer': s.designator, 'data-path': s.path },
      h(
        'div',
        { class: 'peer-head' },
        h('code', { title: s.designator }, short(s.designator, 14)),
        h('span', { class: `path ${s.path}`, title: s.path === 'webrtc' ? 'A direct WebRTC data channel' : 'The relay’s end-to-end encrypted circuit' }, s.path === 'webrtc' ? 'WebRTC' : s.path),
        h('span', { class: 'rtt', title: k.rttError ?? 'Round-trip time of a call to the peer' }, rtt),
      ),
      h(
        'div',
        { class: 'peer-stats' },
        h('span', { class: 'k', title: s.outbound ? 'This vat opened the session' : 'The peer opened the session' }, s.outbound ? 'dialled' : 'accepted'),
        stat('imp', String(num(st, 'imports')), 'References this vat imports from the peer'),
        stat('exp', String(num(st, 'exports')), 'References this vat exports to the peer'),
        stat('q/a', `${num(st, 'questions')}/${num(st, 'answers')}`, 'Questions asked of the peer / answers owed to it'),
        stat('msgs', `${num(st, 'messagesSent')}↑ ${num(st, 'messagesReceived')}↓`, 'Messages sent / received'),
      ),
    );
  };

  const tools = vat.extension<DemoWorkerTools>().catch(() => undefined);
  const measure = (designator: string): void => {
    const k = known.get(designator);
    if (!k) return;
    tools.then(async (t) => {
      if (!t) throw new Error('this vat has no probe');
      return Number(await E(t).rtt(designator)) / 1000;
    }).then(
      (ms) => {
        k.rtt = ms;
        k.rttError = undefined;
      },
      (e: unknown) => {
        k.rttError = `no round-trip time: ${errorText(e)}`;
      },
    );
  };

  const poll = (): void => {
    const sessions = vat.sessions();
    polls++;
    for (const s of sessions) {
      let k = known.get(s.designator);
      const gcE = num(s.stats, 'gcExportsSent');
      const gcA = num(s.stats, 'gcAnswersSent');
      // A new session with a peer we knew starts its counters at zero again.
      if (!k || k.sessionId !== s.sessionId) {
        k = { designator: s.designator, sessionId: s.sessionId, gcExports: gcE, gcAnswers: gcA };
        known.set(s.designator, k);
        if (gcE + gcA > 0) logGc(s.designator, gcE, gcA);
        measure(s.designator);
      } else {
        const dE = gcE - k.gcExports;
        const dA = gcA - k.gcAnswers;
        if (dE > 0 || dA > 0) logGc(s.designator, Math.max(0, dE), Math.max(0, dA));
        k.gcExports = gcE;
        k.gcAnswers = gcA;
      }
      if (polls % RTT_EVERY_POLLS === 0) measure(s.designator);
    }
    for (const d of [...known.keys()]) if (!sessions.some((s) => s.designator === d)) known.delete(d);
    count.textContent = String(sessions.length);
    noPeers.hidden = sessions.length > 0;
    replace(peerList, ...sessions.map((s) => row(s, known.get(s.designator)!)));
  };

  const logGc = (designator: string, exportsDropped: number, answersDropped: number): void => {
    const parts: string[] = [];
    if (exportsDropped) parts.push(`op:gc-exports ×${exportsDropped}`);
    if (answersDropped) parts.push(`op:gc-answers ×${answersDropped}`);
    log(gcLog, `→ ${short(designator)} ${parts.join(', ')}`, 'gc');
  };

  // Peer events are logged and refresh the list at once (not at the next poll).
  const offs = [
    vat.onSessionsChanged(poll),
    vat.on('peer-connected', (d) => log(eventLog, `${short(d.designator)} connected over ${d.path}`, 'connected')),
    vat.on('peer-disconnected', (d) => log(eventLog, `${short(d.designator)} disconnected${d.code ? ` (${d.code})` : ''}`, 'disconnected')),
    vat.on('path-changed', (d) => log(eventLog, `${short(d.designator)} moved from ${d.from} to ${d.to}`, 'changed')),
  ];

  const timer = setInterval(() => {
    if (!stopped) poll();
  }, POLL_MS);
  poll();

  return {
    el,
    dispose() {
      stopped = true;
      clearInterval(timer);
      for (const off of offs) off();
    },
  };
}
