/**
 * The page side of `bench/browser.ts`, loaded into the e2e vat page (which
 * keeps its vat on `window.capmeshTest`) as a module served by Vite, and
 * called by name with `page.evaluate`. Each function takes one argument.
 *
 * Raw baselines keep their state on `window.__raw` and speak a one-byte
 * protocol: 0 = echo this message back, 1 = bulk data (count it), 2 = end of
 * bulk (answer with one message).
 */
import type { BrowserVat } from 'capmesh/browser';
import type { E as EType, far as farType } from 'capmesh';

interface RawState {
  pc?: RTCPeerConnection;
  send?: (b: Uint8Array) => void;
  next?: () => Promise<ArrayBuffer>;
  buffered?: () => number;
  waitLow?: () => Promise<void>;
}
type RawWindow = Window & { __raw?: RawState };

/** Offerer side: makes a peer connection and data channel; returns the whole offer (after gathering). */
export async function rawDcOffer(): Promise<string> {
  const w = window as RawWindow;
  const pc = new RTCPeerConnection({ iceServers: [] });
  const dc = pc.createDataChannel('raw', { ordered: true });
  dc.binaryType = 'arraybuffer';
  dc.bufferedAmountLowThreshold = 256 * 1024;
  const inbox: ArrayBuffer[] = [];
  let wake: (() => void) | undefined;
  dc.onmessage = (e) => {
    inbox.push(e.data as ArrayBuffer);
    wake?.();
  };
  w.__raw = {
    pc,
    send: (b) => dc.send(b as Uint8Array<ArrayBuffer>),
    buffered: () => dc.bufferedAmount,
    waitLow: () => new Promise((r) => dc.addEventListener('bufferedamountlow', () => r(), { once: true })),
    next: async () => {
      while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
      return inbox.shift()!;
    },
  };
  (w.__raw as RawState & { open?: Promise<void> }).open = new Promise((r) => dc.addEventListener('open', () => r(), { once: true }));
  await pc.setLocalDescription();
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 2000);
  });
  return pc.localDescription!.sdp;
}

/** Answerer side: answers `offer` and echoes on the channel it receives; returns the whole answer. */
export async function rawDcAnswer(offer: string): Promise<string> {
  const w = window as RawWindow;
  const pc = new RTCPeerConnection({ iceServers: [] });
  w.__raw = { pc };
  pc.ondatachannel = (e) => {
    const dc = e.channel;
    dc.binaryType = 'arraybuffer';
    let bulk = 0;
    dc.onmessage = (m) => {
      const b = new Uint8Array(m.data as ArrayBuffer);
      if (b[0] === 0) dc.send(b);
      else if (b[0] === 1) bulk += b.length;
      else dc.send(new Uint8Array([2, bulk & 0xff]));
    };
  };
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  await pc.setLocalDescription();
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 2000);
  });
  return pc.localDescription!.sdp;
}

/** Offerer side: applies the answer and waits for the channel to open. */
export async function rawDcFinish(answer: string): Promise<void> {
  const w = window as unknown as { __raw: RawState & { open: Promise<void> } };
  await w.__raw.pc!.setRemoteDescription({ type: 'answer', sdp: answer });
  await w.__raw.open;
}

/** Opens a WebSocket to the bench's forwarder as `role` (`a` measures, `b` echoes). */
export async function rawWsOpen([url, role]: readonly [string, 'a' | 'b']): Promise<void> {
  const w = window as RawWindow;
  const ws = new WebSocket(`${url}/${role}`);
  ws.binaryType = 'arraybuffer';
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('the bench WebSocket did not open'));
  });
  if (role === 'b') {
    let bulk = 0;
    ws.onmessage = (m) => {
      const b = new Uint8Array(m.data as ArrayBuffer);
      if (b[0] === 0) ws.send(b);
      else if (b[0] === 1) bulk += b.length;
      else ws.send(new Uint8Array([2, bulk & 0xff]));
    };
    return;
  }
  const inbox: ArrayBuffer[] = [];
  let wake: (() => void) | undefined;
  ws.onmessage = (e) => {
    inbox.push(e.data as ArrayBuffer);
    wake?.();
  };
  w.__raw = {
    send: (b) => ws.send(b as Uint8Array<ArrayBuffer>),
    buffered: () => ws.bufferedAmount,
    // WebSocket has no low-water event: poll.
    waitLow: async () => {
      while (ws.bufferedAmount > 256 * 1024) await new Promise((r) => setTimeout(r, 1));
    },
    next: async () => {
      while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
      return inbox.shift()!;
    },
  };
}

/** Sequential echoes of `size` bytes on the raw transport; returns each round trip in ms. */
export async function rawPing([rounds, warmup, size]: readonly [number, number, number]): Promise<number[]> {
  const raw = (window as RawWindow).__raw!;
  const msg = new Uint8Array(size);
  const out: number[] = [];
  for (let i = 0; i < warmup + rounds; i++) {
    const t0 = performance.now();
    raw.send!(msg);
    await raw.next!();
    if (i >= warmup) out.push(performance.now() - t0);
  }
  return out;
}

/** Sends `count` messages of `size` bytes (backpressure at 1 MiB buffered), then waits for the end ack; returns ms. */
export async function rawBulk([count, size]: readonly [number, number]): Promise<number> {
  const raw = (window as RawWindow).__raw!;
  const msg = new Uint8Array(size);
  msg[0] = 1;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    if (raw.buffered!() > 1024 * 1024) await raw.waitLow!();
    raw.send!(msg);
  }
  raw.send!(new Uint8Array([2]));
  await raw.next!();
  return performance.now() - t0;
}

// ---- capmesh, through the page's vat (the e2e page with worker=test) ----

interface TestWindow {
  capmeshTest: { vat: BrowserVat; E: typeof EType; far: typeof farType };
}
interface BenchExtension {
  registerEcho(): string;
  pingLoop(uri: string, rounds: number | bigint, warmup: number | bigint, size: number | bigint): number[];
  sinkLoop(uri: string, count: number | bigint, size: number | bigint, window: number | bigint): number;
}
const page = (): TestWindow['capmeshTest'] => (window as unknown as TestWindow).capmeshTest;

/** Registers an echo object in this tab's worker; returns its sturdyref. */
export async function engineWorkerEcho(): Promise<string> {
  const { vat, E } = page();
  return E(await vat.extension<BenchExtension>()).registerEcho();
}

/** Registers an echo object in this page; returns its sturdyref. */
export async function enginePageEcho(): Promise<string> {
  const { vat, far } = page();
  return vat.register(far('page echo', { ping: (x: unknown) => x }));
}

/** Round trips measured inside this tab's worker, to `uri`. */
export async function engineWorkerPing([uri, rounds, warmup, size]: readonly [string, number, number, number]): Promise<number[]> {
  const { vat, E } = page();
  return E(await vat.extension<BenchExtension>()).pingLoop(uri, rounds, warmup, size);
}

/** Round trips measured in this page, to `uri` (through this tab's worker). */
export async function enginePagePing([uri, rounds, warmup, size]: readonly [string, number, number, number]): Promise<number[]> {
  const { vat, E } = page();
  const echo = await vat.enliven<{ ping(x: Uint8Array): Uint8Array }>(uri);
  const payload = new Uint8Array(size);
  const out: number[] = [];
  for (let i = 0; i < warmup + rounds; i++) {
    const t0 = performance.now();
    await E(echo).ping(payload);
    if (i >= warmup) out.push(performance.now() - t0);
  }
  return out;
}

/** Bulk calls from this tab's worker to `uri`'s `sink`; returns ms. */
export async function engineWorkerSink([uri, count, size, inFlight]: readonly [string, number, number, number]): Promise<number> {
  const { vat, E } = page();
  return E(await vat.extension<BenchExtension>()).sinkLoop(uri, count, size, inFlight);
}

/** The path of this tab's session with `designator`. */
export async function enginePath(designator: string): Promise<string> {
  return (await page().vat.sessions()).find((s) => s.designator === designator)?.path ?? 'none';
}

// ---- raw data channel owned by a worker (the place capmesh's channels live) ----

/** Runs in a bench worker: owns one transferred data channel; echoes (answerer) or measures (offerer). */
const WORKER_SOURCE = `
let dc; let inbox = []; let wake; let bulk = 0;
const next = async () => { while (inbox.length === 0) await new Promise((r) => (wake = r)); return inbox.shift(); };
onmessage = async (e) => {
  const m = e.data;
  if (m.dc) {
    dc = m.dc; dc.binaryType = 'arraybuffer'; dc.bufferedAmountLowThreshold = 256 * 1024;
    dc.onmessage = (ev) => {
      if (m.role === 'b') {
        const b = new Uint8Array(ev.data);
        if (b[0] === 0) dc.send(b); else if (b[0] === 1) bulk += b.length; else dc.send(new Uint8Array([2]));
      } else if (ev.data.byteLength === 1 && new Uint8Array(ev.data)[0] === 3) postMessage({ open: true });
      else { inbox.push(ev.data); if (wake) wake(); }
    };
    // Ready means the echoing worker listens: it says so over the channel (byte 3) once its
    // handler is set, so the first ping cannot reach the answering tab before its worker does.
    if (m.role === 'b') { if (dc.readyState === 'open') dc.send(new Uint8Array([3])); else dc.onopen = () => dc.send(new Uint8Array([3])); }
    return;
  }
  if (m.ping) {
    const [rounds, warmup, size] = m.ping; const msg = new Uint8Array(size); const out = [];
    for (let i = 0; i < warmup + rounds; i++) { const t0 = performance.now(); dc.send(msg); await next(); if (i >= warmup) out.push(performance.now() - t0); }
    postMessage({ result: out });
  }
  if (m.bulk) {
    const [count, size] = m.bulk; const msg = new Uint8Array(size); msg[0] = 1; const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      if (dc.bufferedAmount > 1024 * 1024) await new Promise((r) => dc.addEventListener('bufferedamountlow', r, { once: true }));
      dc.send(msg);
    }
    dc.send(new Uint8Array([2])); await next();
    postMessage({ result: performance.now() - t0 });
  }
};`;

interface WorkerRaw {
  worker: Worker;
  pc: RTCPeerConnection;
  open: Promise<void>;
}
type WorkerRawWindow = Window & { __rawWorker?: WorkerRaw };

function benchWorker(): Worker {
  return new Worker(URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' })));
}

function gatheredSdp(pc: RTCPeerConnection): Promise<string> {
  return new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 2000);
  }).then(() => pc.localDescription!.sdp);
}

/** Offerer: a channel made and transferred to a bench worker in the same task; returns the offer. */
export async function rawWorkerDcOffer(): Promise<string> {
  const worker = benchWorker();
  const pc = new RTCPeerConnection({ iceServers: [] });
  const dc = pc.createDataChannel('raw-worker', { ordered: true });
  worker.postMessage({ dc, role: 'a' }, [dc as unknown as Transferable]);
  const open = new Promise<void>((r) => worker.addEventListener('message', (e) => (e.data as { open?: boolean }).open && r()));
  (window as WorkerRawWindow).__rawWorker = { worker, pc, open };
  await pc.setLocalDescription();
  return gatheredSdp(pc);
}

/** Answerer: the received channel goes to a bench worker that echoes; returns the answer. */
export async function rawWorkerDcAnswer(offer: string): Promise<string> {
  const worker = benchWorker();
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.ondatachannel = (e) => worker.postMessage({ dc: e.channel, role: 'b' }, [e.channel as unknown as Transferable]);
  (window as WorkerRawWindow).__rawWorker = { worker, pc, open: Promise.resolve() };
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  await pc.setLocalDescription();
  return gatheredSdp(pc);
}

export async function rawWorkerDcFinish(answer: string): Promise<void> {
  const raw = (window as WorkerRawWindow).__rawWorker!;
  await raw.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  await raw.open;
}

function askWorker<T>(message: unknown): Promise<T> {
  const { worker } = (window as WorkerRawWindow).__rawWorker!;
  return new Promise((resolve) => {
    const on = (e: MessageEvent): void => {
      const d = e.data as { result?: T };
      if (d.result === undefined) return;
      worker.removeEventListener('message', on);
      resolve(d.result);
    };
    worker.addEventListener('message', on);
    worker.postMessage(message);
  });
}

export function rawWorkerPing(args: readonly [number, number, number]): Promise<number[]> {
  return askWorker({ ping: args });
}

export function rawWorkerBulk(args: readonly [number, number]): Promise<number> {
  return askWorker({ bulk: args });
}
