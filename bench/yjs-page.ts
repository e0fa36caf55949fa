/**
 * The page side of `bench/yjs.ts`, loaded into the e2e vat page (its vat on
 * `window.capmeshTest`) and called by name with `page.evaluate`; each
 * function takes one argument. One tab is the writer, the other the reader:
 * the writer sets `p<i>` in a `Y.Map` to the time it wrote it, the reader
 * records how long that took to arrive (both tabs run in one browser on one
 * machine, so `performance.timeOrigin + now()` is one clock) and answers with
 * `a<i>`; the writer records the round trip and writes the next one. The same
 * code runs over capmesh/yjs and over y-webrtc: only the provider differs.
 */
import * as Y from 'yjs';
import { WebrtcProvider } from 'y-webrtc';
import { joinDoc, shareDoc } from 'capmesh/yjs';
import type { BrowserVat } from 'capmesh/browser';

interface BenchState {
  doc?: Y.Doc;
  provider?: WebrtcProvider;
  oneWay: number[];
}
type BenchWindow = Window & { capmeshTest: { vat: BrowserVat }; __yjsBench?: BenchState };

const now = (): number => performance.timeOrigin + performance.now();

function state(): BenchState {
  const w = window as unknown as BenchWindow;
  w.__yjsBench ??= { oneWay: [] };
  return w.__yjsBench;
}

/** The reader's side: record each `p<i>`'s travel time, answer with `a<i>`. */
function respond(doc: Y.Doc): void {
  const map = doc.getMap<number | boolean>('bench');
  map.observe((event, tr) => {
    if (tr.local) return;
    for (const key of event.keysChanged) {
      if (!key.startsWith('p')) continue;
      const sent = map.get(key);
      if (typeof sent === 'number') state().oneWay.push(now() - sent);
      map.set(`a${key.slice(1)}`, true);
    }
  });
}

/** capmesh: shares a new doc from this tab's vat; returns the editor link. */
export async function capmeshHost(): Promise<string> {
  const doc = new Y.Doc();
  state().doc = doc;
  const { editor } = await shareDoc((window as unknown as BenchWindow).capmeshTest.vat, doc);
  return editor;
}

/** capmesh: joins `uri` as the reader. */
export async function capmeshJoin(uri: string): Promise<void> {
  const doc = new Y.Doc();
  state().doc = doc;
  respond(doc);
  const joined = await joinDoc((window as unknown as BenchWindow).capmeshTest.vat, uri, doc);
  await joined.synced;
}

/** y-webrtc: joins room `room` through the signalling server `signaling` (no STUN: loopback host candidates). */
export async function yWebrtcOpen([room, signaling, reader]: [string, string, boolean]): Promise<void> {
  const doc = new Y.Doc();
  const s = state();
  s.doc = doc;
  if (reader) respond(doc);
  s.provider = new WebrtcProvider(room, doc, { signaling: [signaling], peerOpts: { config: { iceServers: [] } } });
}

type YConn = { connected: boolean; peer?: { _pc?: RTCPeerConnection; _channel?: RTCDataChannel } };

/** A y-webrtc peer whose data channel is open: y-webrtc sends updates on it from then on (it broadcasts to every known peer). */
function channelOpen(c: YConn): boolean {
  return c.connected || (c.peer?._pc?.connectionState === 'connected' && c.peer._channel?.readyState === 'open');
}

/**
 * y-webrtc: resolves with `connected` once a peer's data channel is open, or
 * after `timeoutMs` with what the provider shows, so the bench can say why
 * instead of hanging. Not simple-peer's `connect` event: in this Chromium its
 * wait for a selected candidate pair in `getStats()` can go on after the
 * channel is open, while y-webrtc already sends every update on that channel.
 */
export async function yWebrtcConnected(timeoutMs: number): Promise<string> {
  const provider = state().provider!;
  const conns = (): YConn[] => [...(provider.room?.webrtcConns.values() ?? [])] as unknown as YConn[];
  return new Promise<string>((resolve) => {
    const started = performance.now();
    const check = (): void => {
      if (conns().some(channelOpen)) return resolve('connected');
      if (performance.now() - started < timeoutMs) return void setTimeout(check, 50);
      const signalling = provider.signalingConns.map((c) => (c.connected ? 'open' : 'closed')).join(',');
      const pcs = conns().map((c) => `ice ${c.peer?._pc?.iceConnectionState}/${c.peer?._pc?.connectionState}, channel ${c.peer?._channel?.readyState}`);
      resolve(`not connected: signalling ${signalling || 'none'}, ${conns().length} peer(s) known (${pcs.join('; ')})`);
    };
    check();
  });
}

/** The writer: `rounds` sequential updates (each waits for the reader's answer); returns the round trips, ms. */
export async function write([from, rounds]: [number, number]): Promise<number[]> {
  const doc = state().doc!;
  const map = doc.getMap<number | boolean>('bench');
  const rtts: number[] = [];
  for (let i = from; i < from + rounds; i++) {
    const answered = new Promise<void>((resolve) => {
      const seen = (): void => {
        if (map.get(`a${i}`) !== true) return;
        map.unobserve(seen);
        resolve();
      };
      map.observe(seen);
    });
    const t0 = now();
    map.set(`p${i}`, t0);
    await answered;
    rtts.push(now() - t0);
  }
  return rtts;
}

/** The reader: the one-way times recorded so far, emptied. */
export async function takeOneWay(): Promise<number[]> {
  const s = state();
  const out = s.oneWay;
  s.oneWay = [];
  return out;
}

export async function stop(): Promise<void> {
  const s = state();
  s.provider?.destroy();
  s.doc?.destroy();
  (window as unknown as BenchWindow).__yjsBench = { oneWay: [] };
}
