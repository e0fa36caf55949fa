import { CaptpSession, createManualFinalizer, type FinalizerFactory, type SessionLimits } from '../../src/captp/index.js';
import { CapmeshError } from '../../src/util/errors.js';
import { far, makeManualScheduler } from '../../src/vat/index.js';
import { dialectFor, type Dialect, type SessionOp } from '../../src/wire/index.js';
import { formatOp } from './format-op.js';

/**
 * Two CaptpSessions joined by in-memory queues. Nothing moves until the test
 * says so: `step()` delivers one message, `settle()` runs turns, delivers
 * messages and lets promise callbacks run until everything is quiet. Every
 * message is recorded as readable text (`A>B deliver …`) for exact assertions.
 */
export interface Side {
  readonly name: 'A' | 'B';
  readonly session: CaptpSession;
  readonly inbox: Uint8Array[];
  closedWith?: CapmeshError;
  sentAbort?: boolean;
}

export interface Pair {
  readonly a: Side;
  readonly b: Side;
  readonly log: string[];
  /** The raw bytes of every message, in send order, with their sender. */
  readonly frames: { from: 'A' | 'B'; bytes: Uint8Array }[];
  readonly finalizer: ReturnType<typeof createManualFinalizer>;
  /** Delivers one queued message (A's outbox first). Returns false when none is queued. */
  step(): boolean;
  /** Runs until no message, turn or promise callback is left. */
  settle(): Promise<void>;
  /** Runs scheduled turns and promise callbacks, but delivers no message. */
  settleTurnsOnly(): Promise<void>;
  /** The log since the last call. */
  take(): string[];
}

export interface PairOptions {
  dialect?: Dialect;
  /** Per side, instead of `dialect` (per-peer dialects). */
  dialectA?: Dialect;
  dialectB?: Dialect;
  /** `SessionOptions.learnDialect` per side (default off). */
  learnA?: boolean;
  learnB?: boolean;
  bootstrapA?: object;
  bootstrapB?: object;
  finalizer?: FinalizerFactory;
  limits?: SessionLimits;
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function makePair(options: PairOptions = {}): Pair {
  const dialect = options.dialect ?? dialectFor('spec');
  const scheduler = makeManualScheduler();
  const manual = createManualFinalizer();
  const finalizer = options.finalizer ?? manual.factory;
  const log: string[] = [];
  const frames: { from: 'A' | 'B'; bytes: Uint8Array }[] = [];
  let taken = 0;
  const queue: { to: Side; bytes: Uint8Array }[] = [];
  const sides: Partial<Record<'A' | 'B', Side>> = {};
  const make = (name: 'A' | 'B', bootstrap: object): Side => {
    const side: Side = {
      name,
      inbox: [],
      session: new CaptpSession(
        {
          send: (bytes: Uint8Array, op: SessionOp) => {
            log.push(`${name}>${name === 'A' ? 'B' : 'A'} ${formatOp(op)}`);
            frames.push({ from: name, bytes });
            queue.push({ to: sides[name === 'A' ? 'B' : 'A']!, bytes });
          },
          schedule: scheduler.schedule,
          finalizer,
          closed: (error, sentAbort) => {
            side.closedWith = error;
            side.sentAbort = sentAbort;
          },
        },
        {
          dialect: (name === 'A' ? options.dialectA : options.dialectB) ?? dialect,
          learnDialect: (name === 'A' ? options.learnA : options.learnB) === true,
          bootstrap,
          label: name,
          ...(options.limits ? { limits: options.limits } : {}),
        },
      ),
    } as Side;
    sides[name] = side;
    return side;
  };
  const a = make('A', options.bootstrapA ?? far('bootstrap A', {}));
  const b = make('B', options.bootstrapB ?? far('bootstrap B', {}));
  const step = (): boolean => {
    const next = queue.shift();
    if (!next) return false;
    next.to.session.receiveBytes(next.bytes);
    return true;
  };
  return {
    a,
    b,
    log,
    frames,
    finalizer: manual,
    step,
    async settle() {
      for (let round = 0; round < 10_000; round++) {
        let busy = false;
        while (scheduler.runNext()) busy = true;
        while (step()) busy = true;
        await macrotask();
        if (!busy && scheduler.pending === 0 && queue.length === 0) return;
      }
      throw new Error('pair did not settle');
    },
    async settleTurnsOnly() {
      for (let round = 0; round < 100; round++) {
        const busy = scheduler.pending > 0;
        scheduler.drain();
        await macrotask();
        if (!busy && scheduler.pending === 0) return;
      }
    },
    take() {
      const out = log.slice(taken);
      taken = log.length;
      return out;
    },
  };
}

export interface Solo {
  readonly session: CaptpSession;
  /** What the session sent, as text. */
  readonly sent: string[];
  closedWith?: CapmeshError;
  /** Runs turns and promise callbacks until quiet. */
  settle(): Promise<void>;
}

/** One session whose peer is the test itself: the test hands it ops and reads what it sends. */
export function makeSolo(bootstrap: object, options: { dialect?: Dialect; limits?: SessionLimits } = {}): Solo {
  const scheduler = makeManualScheduler();
  const sent: string[] = [];
  const solo: Solo = {
    sent,
    session: new CaptpSession(
      {
        send: (_bytes, op) => void sent.push(formatOp(op)),
        schedule: scheduler.schedule,
        finalizer: createManualFinalizer().factory,
        closed: (error) => {
          solo.closedWith = error;
        },
      },
      { dialect: options.dialect ?? dialectFor('spec'), bootstrap, label: 'solo', ...(options.limits ? { limits: options.limits } : {}) },
    ),
    async settle() {
      for (let round = 0; round < 10_000; round++) {
        const busy = scheduler.pending > 0;
        scheduler.drain();
        await macrotask();
        if (!busy && scheduler.pending === 0) return;
      }
      throw new Error('solo did not settle');
    },
  } as Solo;
  return solo;
}
