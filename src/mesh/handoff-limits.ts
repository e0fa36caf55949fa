import { assertInteger } from '../util/assert.js';

/**
 * Budgets for third-party handoffs (see `Handoffs`). Every field is optional
 * in `VatLimits`; `resolveHandoffLimits` fills in the defaults below.
 *
 * Receiver side (a peer's `desc:handoff-give` makes us dial the exporter it
 * names). A give that trips a dial budget fails at once, *without dialling*,
 * with the same `HANDOFF_UNREACHABLE` error as every other receiver-side
 * failure; the session it came on carries on. "Session" below is the session
 * the give arrived on.
 *
 * Exporter side (gifts deposited and withdrawn at us). Tripping a gift budget
 * aborts the offending session with `BUDGET_EXCEEDED` and the budget's name in
 * the reason; other sessions and the vat carry on.
 */
export interface HandoffLimits {
  /**
   * Handoff dials in flight (opening a session to an exporter we had none
   * with) started by gives from one session. Gives naming an exporter already
   * being dialled join that dial and take no slot. Default 4.
   */
  maxHandoffDialsPerSession?: number;
  /** Handoff dials in flight over the whole vat. Default 32. */
  maxHandoffDials?: number;
  /**
   * Handoff dials that gives from one session may start per
   * `handoffWindowMs` (each dial to an exporter with no open session and no
   * dial in flight counts, so at most this many distinct exporter locators,
   * and at most this many connection attempts). Default 16.
   */
  maxHandoffDialsPerSessionWindow?: number;
  /** Handoff dials over the whole vat per `handoffWindowMs`. Default 128. */
  maxHandoffDialsPerWindow?: number;
  /** The window of the two `…PerWindow` budgets (fixed windows), in ms. Default 60 000. */
  handoffWindowMs?: number;
  /**
   * How long a receiver waits for the session to the exporter to open; then
   * the handoff fails (`HANDOFF_UNREACHABLE`). The dial itself keeps its slot
   * until the transport gives up on it. Default 30 000 ms.
   */
  handoffDialTimeoutMs?: number;
  /**
   * Gifts deposited through one gifter session and not yet withdrawn; the
   * deposit that would exceed it aborts that session (`BUDGET_EXCEEDED`,
   * reason names `maxGiftsPerSession`). Default 1024.
   */
  maxGiftsPerSession?: number;
  /**
   * Gifts waiting over the whole vat; the deposit that would exceed it aborts
   * the session that sent it (`BUDGET_EXCEEDED`, `maxGifts`). Default 16 384.
   */
  maxGifts?: number;
  /**
   * `withdraw-gift`s from one session still waiting for their deposit (each
   * waits up to `giftTimeoutMs`); the one that would exceed it aborts that
   * session (`BUDGET_EXCEEDED`, `maxWithdrawalsWaitingPerSession`). Default 64.
   */
  maxWithdrawalsWaitingPerSession?: number;
  /**
   * What the exporter remembers per session to refuse replays: used handoff
   * counts per E–R session, and withdrawn gift ids per G–E session. Past it,
   * the lowest half of the counts is forgotten and every count at or below the
   * highest forgotten one is refused as reused (`HANDOFF_COUNT_REUSED`; honest
   * receivers count up), and the oldest withdrawn ids are forgotten (a replay
   * of one then waits for a deposit and times out instead of failing with
   * `HANDOFF_GIFT_WITHDRAWN`; the gift itself is gone either way). Default 4096.
   */
  handoffMemoryPerSession?: number;
}

export type ResolvedHandoffLimits = Required<HandoffLimits>;

export const DEFAULT_HANDOFF_LIMITS: ResolvedHandoffLimits = Object.freeze({
  maxHandoffDialsPerSession: 4,
  maxHandoffDials: 32,
  maxHandoffDialsPerSessionWindow: 16,
  maxHandoffDialsPerWindow: 128,
  handoffWindowMs: 60_000,
  handoffDialTimeoutMs: 30_000,
  maxGiftsPerSession: 1024,
  maxGifts: 16_384,
  maxWithdrawalsWaitingPerSession: 64,
  handoffMemoryPerSession: 4096,
});

/**
 * The defaults, overridden by each field of `limits` that is set. Throws
 * `INVALID_ARGUMENT` for a field that is not a safe integer (at least 1 for the
 * window, the timeout and the memory, at least 0 for the counts: 0 refuses every
 * handoff dial, or every gift).
 */
export function resolveHandoffLimits(limits: HandoffLimits = {}): ResolvedHandoffLimits {
  const out = { ...DEFAULT_HANDOFF_LIMITS };
  for (const name of Object.keys(DEFAULT_HANDOFF_LIMITS) as (keyof ResolvedHandoffLimits)[]) {
    const value = limits[name];
    if (value === undefined) continue;
    const atLeastOne = name === 'handoffWindowMs' || name === 'handoffDialTimeoutMs' || name === 'handoffMemoryPerSession';
    assertInteger(value, `limits.${name}`, atLeastOne ? 1 : 0);
    out[name] = value;
  }
  return out;
}

interface Window {
  start: number;
  count: number;
}

/**
 * The receiver's dial budgets: dials in flight and dials started per window,
 * per session and vat-wide. `claim` is checked and taken before a dial starts;
 * the caller calls `release` once the dial settles (not when the handoff gives
 * up waiting), so the concurrency count is of real connection attempts.
 */
export class HandoffDialBudget {
  private readonly inFlight = new Map<object, number>();
  private inFlightTotal = 0;
  private readonly windows = new WeakMap<object, Window>();
  private readonly vatWindow: Window = { start: Number.NEGATIVE_INFINITY, count: 0 };

  constructor(
    private readonly limits: ResolvedHandoffLimits,
    private readonly now: () => number,
  ) {}

  /**
   * Claims a dial for a give that arrived on `session`. Returns the release
   * function, or the name of the budget that refuses (nothing is taken then).
   */
  claim(session: object): { release: () => void } | { refused: keyof ResolvedHandoffLimits } {
    const l = this.limits;
    if ((this.inFlight.get(session) ?? 0) >= l.maxHandoffDialsPerSession) return { refused: 'maxHandoffDialsPerSession' };
    if (this.inFlightTotal >= l.maxHandoffDials) return { refused: 'maxHandoffDials' };
    const t = this.now();
    let window = this.windows.get(session);
    if (!window) this.windows.set(session, (window = { start: t, count: 0 }));
    for (const w of [window, this.vatWindow]) {
      if (t - w.start >= l.handoffWindowMs) {
        w.start = t;
        w.count = 0;
      }
    }
    if (window.count >= l.maxHandoffDialsPerSessionWindow) return { refused: 'maxHandoffDialsPerSessionWindow' };
    if (this.vatWindow.count >= l.maxHandoffDialsPerWindow) return { refused: 'maxHandoffDialsPerWindow' };
    window.count++;
    this.vatWindow.count++;
    this.inFlight.set(session, (this.inFlight.get(session) ?? 0) + 1);
    this.inFlightTotal++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.inFlightTotal--;
        const left = (this.inFlight.get(session) ?? 1) - 1;
        if (left > 0) this.inFlight.set(session, left);
        else this.inFlight.delete(session);
      },
    };
  }

  /** Dials in flight (for tests and stats). */
  get dialsInFlight(): number {
    return this.inFlightTotal;
  }
}
