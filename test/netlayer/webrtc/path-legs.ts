import { vi } from 'vitest';
import { PathSwitchingConnection, type PathLeg, type PathName, type PathSwitchOptions } from '../../../src/netlayer/webrtc/path-switch.js';
import type { ConnectionCloseReason, ConnectionReceiver } from '../../../src/netlayer/types.js';

/** In-memory legs and ends for the path-switching tests (path-switch.test.ts, path-join.test.ts). */

type Item = { readonly control: boolean; readonly bytes: Uint8Array };

/**
 * One end of an in-memory leg. What one end sends waits in its `outgoing`
 * queue until the test moves it (`Link.step`): messages in flight. An end
 * whose receiver is not set yet keeps what arrives (as a data channel does
 * before the netlayer hands it over).
 */
export class FakeLeg implements PathLeg {
  readonly transport = 'relay';
  readonly remoteLocator = undefined;
  readonly outgoing: Item[] = [];
  /** Everything ever sent, for inspection. */
  readonly log: Item[] = [];
  receiver: ConnectionReceiver | undefined;
  closedWith: ConnectionCloseReason | undefined;
  peer!: FakeLeg;
  constructor(
    readonly path: PathName,
    readonly outbound: boolean,
    readonly provenDesignator: string | undefined,
  ) {}
  setReceiver(receiver: ConnectionReceiver): void {
    this.receiver = receiver;
  }
  send(bytes: Uint8Array): void {
    if (this.closedWith) return;
    this.outgoing.push({ control: false, bytes });
    this.log.push({ control: false, bytes });
  }
  sendControl(bytes: Uint8Array): void {
    if (this.closedWith) return;
    this.outgoing.push({ control: true, bytes });
    this.log.push({ control: true, bytes });
  }
  bufferedBytes(): number {
    return this.outgoing.reduce((n, i) => n + i.bytes.length, 0);
  }
  /** Closes this end (dropping what is in flight both ways); the other end hears `remote`. */
  close(reason = 'closed'): void {
    if (this.closedWith) return;
    this.end({ kind: 'local', message: reason });
    this.peer.end({ kind: 'remote', message: reason });
  }
  end(reason: ConnectionCloseReason): void {
    if (this.closedWith) return;
    this.closedWith = reason;
    this.outgoing.length = 0;
    this.receiver?.closed(reason);
  }
}

export class Link {
  readonly a: FakeLeg;
  readonly b: FakeLeg;
  constructor(path: PathName) {
    this.a = new FakeLeg(path, true, 'bob');
    this.b = new FakeLeg(path, false, 'alice');
    this.a.peer = this.b;
    this.b.peer = this.a;
  }
  /** Moves up to `count` items from `from`'s queue to the other end (none while it has no receiver). */
  step(from: FakeLeg, count = Infinity): number {
    let moved = 0;
    const to = from.peer;
    while (moved < count && from.outgoing.length > 0 && to.receiver && !to.closedWith) {
      const item = from.outgoing.shift()!;
      if (item.control) to.receiver.control?.(item.bytes);
      else to.receiver.message(item.bytes);
      moved++;
    }
    return moved;
  }
  /** The path fails: both ends close with an error, what was in flight is lost. */
  cut(): void {
    this.a.end({ kind: 'error', message: 'cut' });
    this.b.end({ kind: 'error', message: 'cut' });
  }
  get open(): boolean {
    return !this.a.closedWith && !this.b.closedWith;
  }
}

export interface End {
  readonly conn: PathSwitchingConnection;
  readonly got: number[];
  closed?: ConnectionCloseReason;
  readonly paths: [PathName, PathName][];
}

export function end(first: FakeLeg, options: PathSwitchOptions = {}): End {
  const e: End = { conn: undefined as unknown as PathSwitchingConnection, got: [], paths: [] };
  const conn = new PathSwitchingConnection(first, { ackEvery: 3, ackDelayMs: 10, onPathChanged: (from, to) => e.paths.push([from, to]), ...options });
  (e as { conn: PathSwitchingConnection }).conn = conn;
  conn.setReceiver({
    message: (bytes) => e.got.push(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0)),
    closed: (reason) => {
      e.closed = reason;
    },
  });
  return e;
}

export function msg(n: number, size = 4): Uint8Array {
  const b = new Uint8Array(Math.max(4, size));
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
export const span = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Deterministic pseudo-random numbers (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Moves everything on every open link until nothing moves, with the ack timers run in between. */
export const tick = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));

export function settle(links: Link[]): void {
  for (let round = 0; round < 1000; round++) {
    let moved = 0;
    for (const l of links) moved += l.step(l.a) + l.step(l.b);
    vi.advanceTimersByTime(20);
    for (const l of links) moved += l.step(l.a) + l.step(l.b);
    if (moved === 0) return;
  }
  throw new Error('did not settle');
}

