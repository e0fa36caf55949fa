import { expect, vi } from 'vitest';
import { createVat, E, far, type EngineVat } from '../../../src/index.js';
import { createManualFinalizer, createMemoryNetwork, type ManualFinalizerControl, type MemoryNetwork } from '../../../src/testing.js';

/**
 * The shadow graph of a model-based multi-vat run, and the real vats it
 * shadows.
 *
 * The model knows every object (which vat owns it), every reference local code
 * holds (a *handle*: which vat holds it, which object it designates, and the
 * JS value the vat uses for it), and every message each object must receive,
 * tagged with the *channel* it was sent on (one sending vat's one handle):
 * E-order promises the messages of one channel arrive in the order sent.
 *
 * Local code here is the test: it holds references only through handles and
 * through the objects' own methods, and every vat gets a manual finalizer, so
 * an import counts as collected exactly when the model has dropped its last
 * holder and a quiet point has passed (`Heap`) — never while a reference is
 * still on its way to local code. At quiescence, each session's tables must
 * therefore hold exactly the references the model still holds.
 */

export const VAT_NAMES = ['A', 'B', 'C'] as const;

/** What objects answer; `hit` is what the model counts. */
export interface Target {
  hit(channel: string, seq: number): void;
  make(child: string): Target;
  relay(target: Target, targetObject: string, channel: string, seq: number): Promise<void>;
  keep(ref: Target, object: string): Promise<void>;
}

/** A reference local code of vat `vat` holds. `rep` is what it sends on (a presence, promise or local object). */
export interface Handle {
  readonly id: number;
  readonly vat: number;
  readonly object: string;
  readonly rep: unknown;
  /** What `rep` resolved to, once it has (the representative the heap counts). */
  resolved?: object;
  dropped: boolean;
}

/**
 * One vat's local references, counted per representative. A representative
 * whose last holder let go is collected at the next quiet point (`collect`:
 * every microtask has run, so no resolution or delivery still carries it to
 * local code) unless it was held again by then — as a garbage collector
 * would, some time after it became unreachable. Collecting tells the vat's
 * manual finalizer (a no-op for local objects, which were never registered).
 */
class Heap {
  /** Representative → holders and the model object it designates. */
  readonly held = new Map<object, { count: number; object: string }>();
  /** Representatives nobody holds, due for collection at the next quiet point. */
  private readonly unreachable = new Set<object>();
  /** Imports already collected: local code must never reach one again. */
  private readonly collected = new WeakSet<object>();
  constructor(readonly finalizer: ManualFinalizerControl) {}

  hold(rep: object, object: string): void {
    expect(this.collected.has(rep), `${object} reached local code after it was collected`).toBe(false);
    const entry = this.held.get(rep);
    if (entry === undefined) {
      this.held.set(rep, { count: 1, object });
      return;
    }
    // One live representative per object and vat: a reference that comes back is the same presence.
    expect(entry.object).toBe(object);
    if (entry.count++ === 0) this.unreachable.delete(rep);
  }

  release(rep: object): void {
    const entry = this.held.get(rep)!;
    if (--entry.count === 0) this.unreachable.add(rep);
  }

  /** Collects what nobody holds. Call only at a quiet point. */
  collect(): void {
    for (const rep of this.unreachable) {
      this.held.delete(rep);
      // Only imports are registered; a local object stays reachable from its own vat and may come back.
      if (this.finalizer.collect(rep) > 0) this.collected.add(rep);
    }
    this.unreachable.clear();
  }
}

/** One operation the run started and has not seen settle yet. */
interface Pending {
  readonly what: string;
  settled: boolean;
  error?: unknown;
}

/** What a set of runs exercised, counted from the messages sent (so a test can assert the model reached it). */
export interface Coverage {
  /** `withdraw-gift` calls: third-party handoffs. */
  handoffs: number;
  /** Messages sent to a `desc:answer`: promise pipelining. */
  pipelined: number;
  /** `op:gc-exports` messages: releases. */
  releases: number;
}

const contains = (bytes: Uint8Array, text: string): boolean => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(text);

/** Most event-loop turns one `settle` may take before the run is declared stuck. */
const MAX_SETTLE_TURNS = 20_000;

export class World {
  readonly network: MemoryNetwork;
  readonly vats: EngineVat[] = [];
  readonly heaps: Heap[] = [];
  /** Live handles per vat, in the order they were made (commands pick them by index). */
  readonly handles: Handle[][] = [[], [], []];
  /** Object → owning vat. */
  readonly owner = new Map<string, number>();
  /** Object → messages it received / must receive, as `channel#seq`. */
  readonly received = new Map<string, string[]>();
  readonly expected = new Map<string, string[]>();
  private readonly pending: Pending[] = [];
  /** Resolutions of promises passed to other vats, held until the next quiescence (see `pass`). */
  private pins: { vat: number; rep: object }[] = [];
  private nextHandle = 0;
  private nextObject = 0;
  private nextSeq = 0;

  private constructor(seed: number, coverage?: Coverage) {
    this.network = createMemoryNetwork({ seed, log: false });
    if (coverage) {
      this.network.onMessage((e) => {
        if (e.at !== 'sent') return;
        if (contains(e.bytes, 'withdraw-gift')) coverage.handoffs++;
        if (contains(e.bytes, 'desc:answer')) coverage.pipelined++;
        if (contains(e.bytes, 'op:gc-exports')) coverage.releases++;
      });
    }
  }

  /**
   * Three vats on a seeded memory network, each holding a handle to every
   * vat's root object; `latencies` are the vats' one-way delays in ms.
   */
  static async create(seed: number, latencies: readonly number[], coverage?: Coverage): Promise<World> {
    const world = new World(seed, coverage);
    const uris: string[] = [];
    for (let v = 0; v < VAT_NAMES.length; v++) {
      const finalizer = createManualFinalizer();
      world.heaps.push(new Heap(finalizer));
      const vat = await createVat({ netlayers: [world.network.netlayer({ latencyMs: latencies[v] ?? 0 })], finalizer: finalizer.factory, liveness: { intervalMs: 0 } });
      world.vats.push(vat);
      uris.push(await vat.register(world.makeObject(v, `root${VAT_NAMES[v]}`)));
    }
    for (let v = 0; v < VAT_NAMES.length; v++) {
      for (let o = 0; o < uris.length; o++) {
        // Sessions open over links with latency: run the clock while the enliven is under way.
        const rep = await world.until(world.vats[v]!.enliven(uris[o]!));
        world.addHandle(v, `root${VAT_NAMES[o]}`, rep, rep as object);
      }
    }
    return world;
  }

  /** A fresh object id for `make`. */
  newObjectId(): string {
    return `o${this.nextObject++}`;
  }

  /** A fresh sequence number for a message. */
  seq(): number {
    return this.nextSeq++;
  }

  /** The far object `object` on vat `vat`: it logs hits, makes children, relays and keeps references. */
  private makeObject(vat: number, object: string): Target {
    this.owner.set(object, vat);
    this.received.set(object, []);
    if (!this.expected.has(object)) this.expected.set(object, []);
    const heap = (): Heap => this.heaps[vat]!;
    return far(`model ${object}`, {
      hit: (channel: string, seq: bigint) => void this.received.get(object)!.push(`${channel}#${seq}`),
      make: (child: string) => this.makeObject(vat, child),
      /** Calls `target` once and lets go of it when the call is answered. */
      relay: async (target: Target, targetObject: string, channel: string, seq: bigint) => {
        const t = (await target) as object;
        heap().hold(t, targetObject);
        try {
          await E(t as Target).hit(channel, Number(seq));
        } finally {
          heap().release(t);
        }
      },
      /** Becomes a new handle of this vat: the reference stays held until the model drops it. */
      keep: async (ref: Target, kept: string) => {
        const t = (await ref) as object;
        this.addHandle(vat, kept, t, t);
      },
    }) as unknown as Target;
  }

  /**
   * Records a handle. `resolved` is its representative when known now; for a
   * promise it is counted in the heap once the promise settles (and released
   * at once if the model dropped the handle before that).
   */
  addHandle(vat: number, object: string, rep: unknown, resolved?: object): Handle {
    const handle: Handle = { id: this.nextHandle++, vat, object, rep, dropped: false };
    this.handles[vat]!.push(handle);
    const heap = this.heaps[vat]!;
    if (resolved !== undefined) {
      handle.resolved = resolved;
      heap.hold(resolved, object);
    } else {
      this.track(
        `handle ${handle.id} of ${VAT_NAMES[vat]} resolves`,
        (rep as Promise<object>).then((value) => {
          handle.resolved = value;
          heap.hold(value, object);
          if (handle.dropped) heap.release(value);
        }),
      );
    }
    return handle;
  }

  /**
   * What vat `handle.vat` passes when it sends `handle` as an argument. A
   * promise (an unanswered or answered `make`) is passed as itself; the vat's
   * session may then export it and, for as long as the peer holds that export,
   * keeps what it resolves to reachable — however soon local code drops the
   * handle. The model cannot see when the peer lets go, so it holds the
   * resolution until the next quiescence, by which time every peer has
   * settled and released such an import.
   */
  pass(handle: Handle): unknown {
    if (handle.rep === handle.resolved) return handle.rep;
    const heap = this.heaps[handle.vat]!;
    this.track(
      `pin of handle ${handle.id}`,
      (handle.rep as Promise<object>).then((value) => {
        heap.hold(value, handle.object);
        this.pins.push({ vat: handle.vat, rep: value });
      }),
    );
    return handle.rep;
  }

  /** Local code of the handle's vat lets go of it. */
  drop(handle: Handle): void {
    const list = this.handles[handle.vat]!;
    list.splice(list.indexOf(handle), 1);
    handle.dropped = true;
    if (handle.resolved !== undefined) this.heaps[handle.vat]!.release(handle.resolved);
  }

  /**
   * Sends one `hit` on `handle` (a question, or with `only` a send-only
   * message); the model expects it at the handle's object, on the handle's
   * channel, whichever kind it was.
   */
  send(handle: Handle, only = false): void {
    const channel = `${VAT_NAMES[handle.vat]}/h${handle.id}`;
    const seq = this.seq();
    this.expect(handle.object, `${channel}#${seq}`);
    if (only) E.sendOnly(handle.rep as Target).hit(channel, seq);
    else this.track(`hit ${channel}#${seq}`, E(handle.rep as Target).hit(channel, seq));
  }

  expect(object: string, message: string): void {
    const list = this.expected.get(object) ?? [];
    list.push(message);
    this.expected.set(object, list);
  }

  track(what: string, promise: Promise<unknown>): void {
    const entry: Pending = { what, settled: false };
    this.pending.push(entry);
    promise.then(
      () => void (entry.settled = true),
      (error: unknown) => {
        entry.settled = true;
        entry.error = error;
      },
    );
  }

  /**
   * A quiet point: every microtask has run (deliveries due, local turns,
   * resolutions), so local code holds references only through the heaps;
   * then unheld representatives are collected. Messages with latency stay on
   * the network until the fake clock makes them due.
   */
  async quiet(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const heap of this.heaps) heap.collect();
  }

  /** Moves the fake clock `ms` milliseconds, one at a time, with a quiet point after each. */
  async tick(ms: number): Promise<void> {
    for (let i = 0; i < ms; i++) {
      vi.advanceTimersByTime(1);
      await this.quiet();
    }
  }

  /** Runs the clock until `promise` settles; its value. */
  async until<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    promise.then(
      () => void (done = true),
      () => void (done = true),
    );
    for (let turn = 0; !done; turn++) {
      if (turn > MAX_SETTLE_TURNS) throw new Error(`never settled:\n${this.dump()}`);
      await this.quiet();
      if (!done && vi.getTimerCount() > 0) vi.advanceTimersToNextTimer();
    }
    return promise;
  }

  /**
   * Runs the vats until nothing more can happen: no message queued on the
   * network, no microtask, no timer (deliveries with latency and the
   * sessions' GC batching both run on the fake clock). Then every operation
   * started must have settled, without error.
   */
  async settle(): Promise<void> {
    for (let turn = 0; ; turn++) {
      if (turn > MAX_SETTLE_TURNS) throw new Error(`never quiescent:\n${this.dump()}`);
      await this.quiet();
      if (vi.getTimerCount() > 0) vi.advanceTimersToNextTimer();
      else if (this.network.pending() > 0) continue;
      else if (this.pins.length === 0) break;
      else {
        for (const pin of this.pins) this.heaps[pin.vat]!.release(pin.rep);
        this.pins = [];
      }
    }
    for (const p of this.pending) {
      if (!p.settled) throw new Error(`stuck at quiescence: ${p.what}\n${this.dump()}`);
      if (p.error !== undefined) throw new Error(`${p.what} failed: ${String(p.error)}`, { cause: p.error });
    }
    this.pending.length = 0;
  }

  /**
   * At quiescence: every object received exactly the messages the model sent
   * it, each channel in order; and every session's tables hold exactly what
   * the model's heaps hold — vat X imports from Y one entry per Y object X
   * still holds, exports to Y one per X object Y still holds, and no
   * question, answer or queued message is left.
   */
  check(): void {
    for (const [object, expected] of this.expected) {
      const got = this.received.get(object) ?? [];
      expect([...got].sort(), `messages at ${object}`).toEqual([...expected].sort());
      const channels = new Set(expected.map((m) => m.slice(0, m.indexOf('#'))));
      for (const channel of channels) {
        if (channel.startsWith('relay')) continue;
        const on = (list: string[]) => list.filter((m) => m.startsWith(`${channel}#`));
        expect(on(got), `order on ${channel} at ${object}`).toEqual(on(expected));
      }
    }
    const heldObjects = this.heaps.map((heap) => [...heap.held.values()].filter((e) => e.count > 0).map((e) => e.object));
    for (let x = 0; x < this.vats.length; x++) {
      const vat = this.vats[x]!;
      vat.check();
      expect(new Set(heldObjects[x]).size, `one representative per object in ${VAT_NAMES[x]}`).toBe(heldObjects[x]!.length);
      let imported = 0;
      for (let y = 0; y < this.vats.length; y++) {
        if (y === x) continue;
        const sessions = vat.sessions().filter((s) => s.designator === this.vats[y]!.designator);
        expect(sessions.length, `sessions ${VAT_NAMES[x]}→${VAT_NAMES[y]}`).toBeLessThanOrEqual(1);
        const stats = sessions[0]?.stats;
        const imports = heldObjects[x]!.filter((o) => this.owner.get(o) === y).length;
        const exports = heldObjects[y]!.filter((o) => this.owner.get(o) === x).length;
        const where = `${VAT_NAMES[x]}'s session to ${VAT_NAMES[y]}\n${vat.dump()}`;
        expect(
          { imports: stats?.imports ?? 0, exports: stats?.exports ?? 0, questions: stats?.questions ?? 0, answers: stats?.answers ?? 0, queued: stats?.queuedMessages ?? 0, listeners: stats?.listeners ?? 0 },
          where,
        ).toEqual({ imports, exports, questions: 0, answers: 0, queued: 0, listeners: 0 });
        imported += imports;
      }
      // Every import the model holds is registered with the finalizer once; nothing else is.
      expect(this.heaps[x]!.finalizer.live, `finalizer registrations in ${VAT_NAMES[x]}`).toBe(imported);
    }
  }

  dump(): string {
    return this.vats.map((v, i) => `${VAT_NAMES[i]}:\n${v.dump()}`).join('\n');
  }

  async close(): Promise<void> {
    await Promise.all(this.vats.map((v) => v.close()));
  }
}
