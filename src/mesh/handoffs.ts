import { CapmeshError, isCapmeshError, type CapmeshErrorCode } from '../util/errors.js';
import { equalBytes, toHex } from '../util/bytes.js';
import { cryptoBackendReady, loadCryptoBackend, makeSigEnvelope, randomBytes, verifySyrupAsync } from '../crypto/index.js';
import type { SyrupValue } from '../syrup/types.js';
import type { SendTxn } from '../captp/index.js';
import {
  descriptorFromSyrup,
  descriptorToSyrup,
  locatorsEqual,
  type Descriptor,
  type HandoffGiveDesc,
  type HandoffReceiveDesc,
  type PeerLocator,
  type SigEnvelopeDesc,
} from '../wire/index.js';
import { E } from '../vat/index.js';
import type { ConnectionShell } from './connection-shell.js';
import { GiftTable } from './gifts.js';
import { HandoffDialBudget, resolveHandoffLimits, type HandoffLimits, type ResolvedHandoffLimits } from './handoff-limits.js';
import type { Logger } from '../util/logger.js';

/**
 * OCapN third-party handoffs (notes §5), all three roles. G is the gifter, R
 * the receiver, E the exporter; G holds a reference from E and sends it to R.
 *
 * - Gifter (`give`): instead of proxying E's object through itself, G deposits
 *   it at E under a fresh 32-byte gift ID (after the message to R is sent) and
 *   sends R a `desc:handoff-give` signed with G's G–E session key.
 * - Receiver (`received`): R checks that the give names its own G–R key, opens
 *   (or reuses) a session to E, signs a `desc:handoff-receive` with its **G–R**
 *   key (the only key of R's that E can check, via the give) and asks E's
 *   bootstrap to `withdraw-gift`. The local promise settles with the answer.
 * - Exporter (`deposit`/`withdraw`): E checks everything, in the notes' order,
 *   each failure with its own code, and hands out the gift once.
 *
 * When: only when the exporter was reached over the same transport as the
 * receiver (and it is not a private one, like the page–worker `port` link);
 * otherwise the receiver could not be expected to reach the exporter, and the
 * gifter forwards messages itself (proxying), as it does without handoffs.
 *
 * Handoff counts: E keeps the *set* of counts used on each E–R session and
 * refuses any count seen before. This is the spec's "MUST not have been used"
 * rule; the monotonic rule some peers use would also refuse counts an honest
 * receiver never reuses but that arrive out of order (concurrent handoffs whose
 * withdrawals race), so the set is both stricter against replay and kinder to
 * honest receivers. The set is bounded (`handoffMemoryPerSession`): past it,
 * its lowest half becomes a floor at or below which every count is refused.
 *
 * Policy (see `HandoffLimits`). The exporter a give names is peer-chosen, so
 * the receiver dials it only through a netlayer the vat configured (never a
 * private one), and only within the dial budgets; and whatever goes wrong
 * after the give's own checks, the gifter is told one thing:
 * `HANDOFF_UNREACHABLE` with `UNREACHABLE_MESSAGE` (the cause is logged
 * locally at debug level). The exporter's gift budgets abort the session
 * that trips them with `BUDGET_EXCEEDED`.
 */
export interface HandoffHost {
  /** Every shell with an open session. */
  openShells(): Iterable<ConnectionShell>;
  /** An open session to `peer`, dialling if needed. */
  sessionTo(peer: PeerLocator): Promise<ConnectionShell>;
  /** True when a session to `peer` is open that `sessionTo` would reuse (so no dial is needed). */
  hasSession(peer: PeerLocator): boolean;
  /** True when the vat has a netlayer for `transport` (the only transports a handoff may dial). */
  hasNetlayer(transport: string): boolean;
  /** True when `peer` names this vat. */
  isSelf(peer: PeerLocator): boolean;
  /**
   * True when `shell`'s peer is known to be the vat its hello names (its
   * transport proved it, or we dialled that locator ourselves): only then may
   * a reference imported over it be handed off as living there. References
   * from any other session are proxied.
   */
  isLocated(shell: ConnectionShell): boolean;
  readonly logger: Logger;
  /** How long a withdrawal waits for its deposit. */
  readonly giftTimeoutMs: number;
  /** Handoff and gift budgets; unset fields take `DEFAULT_HANDOFF_LIMITS`. */
  readonly limits?: HandoffLimits;
  /** The clock of the dial windows (ms). Default `Date.now`. */
  readonly now?: () => number;
}

/** What the gifter is told, whatever made a handoff fail on the receiver's side after the give's own checks. */
export const UNREACHABLE_MESSAGE = 'the receiver could not complete this handoff';

/** A signed `desc:handoff-receive` that arrived as an argument: meaningful only to `withdraw-gift`. */
export class HandoffReceipt {
  constructor(readonly envelope: SigEnvelopeDesc) {}
}

function fail(code: CapmeshErrorCode, message: string): never {
  throw new CapmeshError(code, message);
}

function readGive(envelope: SigEnvelopeDesc): HandoffGiveDesc {
  let desc: Descriptor | undefined;
  try {
    desc = descriptorFromSyrup(envelope.signed);
  } catch (e) {
    fail('HANDOFF_MALFORMED', `the signed give is malformed: ${isCapmeshError(e) ? e.message : String(e)}`);
  }
  if (desc?.type !== 'handoff-give') fail('HANDOFF_MALFORMED', 'the envelope does not hold a desc:handoff-give');
  return desc;
}

function readReceive(envelope: SigEnvelopeDesc): HandoffReceiveDesc {
  let desc: Descriptor | undefined;
  try {
    desc = descriptorFromSyrup(envelope.signed);
  } catch (e) {
    fail('HANDOFF_MALFORMED', `the signed receive is malformed: ${isCapmeshError(e) ? e.message : String(e)}`);
  }
  if (desc?.type !== 'handoff-receive') fail('HANDOFF_MALFORMED', 'withdraw-gift takes a signed desc:handoff-receive');
  return desc;
}

const noop = (): void => {};

/** Transports that link two vats privately (a page and its own worker): nobody else can dial them. */
const PRIVATE_TRANSPORTS: ReadonlySet<string> = new Set(['port']);

export class Handoffs {
  readonly gifts: GiftTable;
  readonly limits: ResolvedHandoffLimits;
  /** Receiver: the next handoff count per E–R session. */
  private readonly nextCount = new WeakMap<ConnectionShell, bigint>();
  /** Exporter: counts already used per E–R session (see `UsedCounts`). */
  private readonly usedCounts = new WeakMap<ConnectionShell, UsedCounts>();
  /** Per session, the tail of its withdrawals' checks (see `inArrivalOrder`). */
  private readonly checksOf = new WeakMap<ConnectionShell, Promise<void>>();
  /** Receiver: handoff dials in flight, by exporter (transport + designator); later gives naming it join. */
  private readonly dialling = new Map<string, Promise<ConnectionShell>>();
  private readonly dialBudget: HandoffDialBudget;

  constructor(private readonly host: HandoffHost) {
    this.limits = resolveHandoffLimits(host.limits);
    this.gifts = new GiftTable(this.limits.handoffMemoryPerSession);
    this.dialBudget = new HandoffDialBudget(this.limits, host.now ?? Date.now);
  }

  // ------------------------------------------------------------------ gifter

  /** `value` (imported from another session) is going to the peer of `to`: deposit it and return the signed give. */
  give(to: ConnectionShell, value: object, txn: SendTxn): SyrupValue | undefined {
    const receiver = to.peer;
    if (!receiver) return undefined;
    let source: ConnectionShell | undefined;
    for (const shell of this.host.openShells()) {
      if (shell !== to && shell.session?.ownsReference(value)) {
        source = shell;
        break;
      }
    }
    if (!source || !source.peer || !source.session) return undefined;
    // An unproven inbound session's peer only claims its location: never send a third party there.
    if (!this.host.isLocated(source)) return undefined;
    if (locatorsEqual(source.peer.location, receiver.location)) return undefined;
    // Hand off only where the receiver can be expected to reach the exporter: over the transport
    // it reached us by. A private link (a page and its worker) or another transport is proxied.
    if (source.peer.location.transport !== receiver.location.transport || PRIVATE_TRANSPORTS.has(receiver.location.transport)) {
      return undefined;
    }
    // The gift certificate is signed now, while the message marshals: with the synchronous curves,
    // which a browser vat loads before its second session opens (createVat's beforeOpen). Without
    // them (their load failed) the reference is proxied.
    if (!cryptoBackendReady()) {
      this.host.logger.debug('handoff: no synchronous curves loaded, the reference is proxied', { receiver: receiver.location.designator });
      return undefined;
    }
    const giftId = randomBytes(32);
    const exporterBootstrap = source.session.bootstrap() as Record<string, (...args: unknown[]) => void>;
    txn.afterCommit(() => E.sendOnly(exporterBootstrap)['deposit-gift']!(giftId, value));
    const give = descriptorToSyrup({
      type: 'handoff-give',
      receiverKey: receiver.peerKey,
      exporterLocation: source.peer.location,
      session: source.sessionId!,
      gifterSide: source.hello.publicId,
      giftId,
    });
    this.host.logger.debug('handoff: gift deposited', { exporter: source.peer.location.designator, receiver: receiver.location.designator });
    return makeSigEnvelope(source.hello.keyPair.secretKey, give);
  }

  // ------------------------------------------------------ receiver (and E's side of withdraw)

  /** A signed handoff descriptor arrived on `on`: a give (we receive) or a receive (an argument to withdraw-gift). */
  received(on: ConnectionShell, desc: Descriptor): unknown {
    if (desc.type !== 'sig-envelope') return broken('HANDOFF_MALFORMED', `a bare desc:${desc.type} must be signed`);
    const label = desc.signed instanceof Object && 'labelName' in desc.signed ? (desc.signed as { labelName?: string }).labelName : undefined;
    if (label === 'desc:handoff-receive') return new HandoffReceipt(desc);
    if (label !== 'desc:handoff-give') return broken('HANDOFF_MALFORMED', 'a signed envelope arrived that holds neither a give nor a receive');
    const result = this.receive(on, desc);
    result.catch(noop);
    return result;
  }

  /**
   * The give's own checks (malformed, wrong receiver) fail with their own codes: they tell the gifter
   * only about what it sent. Everything after — policy, budgets, the dial, the exporter's answer —
   * fails with `HANDOFF_UNREACHABLE` and `UNREACHABLE_MESSAGE`, the cause logged here only.
   */
  private async receive(on: ConnectionShell, envelope: SigEnvelopeDesc): Promise<unknown> {
    const give = readGive(envelope);
    if (!equalBytes(give.receiverKey, on.hello.keyPair.publicKey)) {
      fail('HANDOFF_WRONG_RECEIVER', 'the handoff names a different receiver key than ours in this session');
    }
    if (this.host.isSelf(give.exporterLocation)) {
      // We are the exporter too: the gifter deposited with us, on the very session the give came on.
      return (await this.inArrivalOrder(on, () => this.withdrawChecked(on, envelope, give))).gift;
    }
    try {
      return await this.withdrawFrom(on, envelope, give.exporterLocation);
    } catch (e) {
      this.host.logger.debug('handoff: could not withdraw the gift (the gifter is told only HANDOFF_UNREACHABLE)', {
        gifter: on.peer?.location.designator,
        exporter: give.exporterLocation.designator,
        transport: give.exporterLocation.transport,
        code: isCapmeshError(e) ? e.code : undefined,
        reason: e instanceof Error ? e.message : String(e),
      });
      throw new CapmeshError('HANDOFF_UNREACHABLE', UNREACHABLE_MESSAGE);
    }
  }

  /** Receiver: a session to the exporter (under policy), then `withdraw-gift` on it. */
  private async withdrawFrom(on: ConnectionShell, envelope: SigEnvelopeDesc, exporterLocation: PeerLocator): Promise<unknown> {
    const exporter = await this.exporterSession(on, exporterLocation);
    const count = this.nextCount.get(exporter) ?? 0n;
    this.nextCount.set(exporter, count + 1n);
    const receive = descriptorToSyrup({
      type: 'handoff-receive',
      receivingSession: exporter.sessionId!,
      receivingSide: exporter.hello.publicId,
      handoffCount: count,
      signedGive: envelope,
    });
    await loadCryptoBackend(); // loaded already: two sessions are open (see give)
    const signed = makeSigEnvelope(on.hello.keyPair.secretKey, receive);
    const bootstrap = exporter.session!.bootstrap() as Record<string, (...args: unknown[]) => Promise<unknown>>;
    return E(bootstrap)['withdraw-gift']!(signed);
  }

  /**
   * The session to the exporter a give named: an open one as is; else a dial, only through a
   * netlayer the vat configured (not a private one) and within the dial budgets, checked before
   * dialling. A dial already in flight to the same exporter is joined without a new claim.
   */
  private exporterSession(on: ConnectionShell, exporter: PeerLocator): Promise<ConnectionShell> {
    const { transport } = exporter;
    if (!this.host.hasNetlayer(transport) || PRIVATE_TRANSPORTS.has(transport)) {
      return Promise.reject(new CapmeshError('HANDOFF', `the give names transport "${transport}", which this vat does not dial for handoffs`));
    }
    if (this.host.hasSession(exporter)) return this.host.sessionTo(exporter);
    const key = `${transport}\u0000${exporter.designator}`;
    const joined = this.dialling.get(key);
    if (joined) return withTimeout(joined, this.limits.handoffDialTimeoutMs);
    const claim = this.dialBudget.claim(on);
    if ('refused' in claim) {
      return Promise.reject(new CapmeshError('HANDOFF', `handoff dial budget ${claim.refused} is spent`, { detail: { budget: claim.refused } }));
    }
    const dial = this.host.sessionTo(exporter);
    this.dialling.set(key, dial);
    const settled = (): void => {
      claim.release();
      if (this.dialling.get(key) === dial) this.dialling.delete(key);
    };
    dial.then(settled, settled);
    return withTimeout(dial, this.limits.handoffDialTimeoutMs);
  }

  // ---------------------------------------------------------------- exporter

  /** `deposit-gift` arrived on session `on` (G–E). */
  deposit(on: ConnectionShell, giftId: unknown, value: unknown): void {
    if (!(giftId instanceof Uint8Array) && typeof giftId !== 'bigint' && typeof giftId !== 'string') {
      fail('HANDOFF_MALFORMED', 'deposit-gift takes a gift id (bytes, integer or string)');
    }
    if (typeof value !== 'object' && typeof value !== 'function') fail('HANDOFF_MALFORMED', 'deposit-gift takes a reference');
    if (value === null) fail('HANDOFF_MALFORMED', 'deposit-gift takes a reference');
    const key = GiftTable.key(on.sessionId!, giftId);
    if (this.gifts.wouldHold(key.session, key.gift)) {
      const { maxGiftsPerSession, maxGifts } = this.limits;
      if (this.gifts.depositsWaiting(key.session) >= maxGiftsPerSession) {
        return this.overBudget(on, 'maxGiftsPerSession', `${maxGiftsPerSession} gifts deposited on this session wait for withdrawal`);
      }
      if (this.gifts.size >= maxGifts) return this.overBudget(on, 'maxGifts', `${maxGifts} gifts wait for withdrawal at this vat`);
    }
    this.gifts.deposit(key.session, key.gift, value);
  }

  /** `withdraw-gift` arrived on session `on` (E–R). */
  withdraw(on: ConnectionShell, receipt: unknown): Promise<object> {
    if (!(receipt instanceof HandoffReceipt)) {
      return Promise.reject(new CapmeshError('HANDOFF_MALFORMED', 'withdraw-gift takes a signed desc:handoff-receive'));
    }
    const checked = this.inArrivalOrder(on, async () => {
      const receive = readReceive(receipt.envelope);
      const give = readGive(receive.signedGive);
      // c. The receive is signed with the key the gifter named.
      if (!(await verifySyrupAsync(give.receiverKey, receipt.envelope.signed, receipt.envelope.signature))) {
        fail('HANDOFF_BAD_RECEIVE', 'the handoff-receive signature does not verify against the give’s receiver key');
      }
      // d. …on this very E–R session, by the peer on it.
      if (!equalBytes(receive.receivingSession, on.sessionId!) || !equalBytes(receive.receivingSide, on.peer!.peerId)) {
        fail('HANDOFF_SESSION_MISMATCH', 'the handoff-receive names a different session or receiving side');
      }
      return this.withdrawChecked(on, receive.signedGive, give, receive.handoffCount);
    });
    return checked.then((box) => box.gift);
  }

  /**
   * Ordering: signatures are checked asynchronously (the platform's crypto),
   * so each withdrawal's checks on session `on` run after the previous
   * one's have settled — the handoff count (e) and the gift table (f) see
   * withdrawals in the order they arrived, never a later one first. Only the
   * checks are chained, not the wait for a deposit.
   */
  private inArrivalOrder<T>(on: ConnectionShell, checks: () => Promise<T>): Promise<T> {
    const before = this.checksOf.get(on) ?? Promise.resolve();
    const result = before.then(checks);
    this.checksOf.set(on, result.then(noop, noop));
    return result;
  }

  /** Checks a give (a, b, e) and hands out the gift (f), boxed so that chaining on the checks does not wait for it. `count` is checked when the receiver is another vat. */
  private async withdrawChecked(on: ConnectionShell, envelope: SigEnvelopeDesc, give: HandoffGiveDesc, count?: bigint): Promise<{ gift: Promise<object> }> {
    // a. The gifter's session with us must be live.
    const sessionHex = toHex(give.session);
    let gifter: ConnectionShell | undefined;
    for (const shell of this.host.openShells()) {
      if (shell.sessionId !== undefined && toHex(shell.sessionId) === sessionHex) gifter = shell;
    }
    if (!gifter || !gifter.peer) fail('HANDOFF_UNKNOWN_SESSION', 'the gifter’s session named in the give is unknown or closed');
    // b. Signed by the gifter, in that session, naming us.
    if (!(await verifySyrupAsync(gifter.peer.peerKey, envelope.signed, envelope.signature))) {
      fail('HANDOFF_BAD_GIVE', 'the handoff-give signature does not verify against the gifter’s session key');
    }
    if (!equalBytes(give.gifterSide, gifter.peer.peerId)) fail('HANDOFF_BAD_GIVE', 'the give’s gifter side is not the gifter in that session');
    if (!this.host.isSelf(give.exporterLocation)) fail('HANDOFF_NOT_EXPORTER', 'the give names another vat as the exporter');
    // e. Each handoff count once per E–R session.
    if (count !== undefined) {
      let used = this.usedCounts.get(on);
      if (!used) this.usedCounts.set(on, (used = new UsedCounts(this.limits.handoffMemoryPerSession)));
      if (!used.take(count)) fail('HANDOFF_COUNT_REUSED', `handoff count ${count} was already used on this session`);
    }
    // f. The gift, once (a withdrawal that must wait for its deposit takes a slot of `on`'s budget).
    const key = GiftTable.key(give.session, give.giftId);
    const max = this.limits.maxWithdrawalsWaitingPerSession;
    if (this.gifts.wouldWait(key.session, key.gift) && this.gifts.withdrawalsWaiting(on) >= max) {
      this.overBudget(on, 'maxWithdrawalsWaitingPerSession', `${max} withdrawals on this session wait for their deposit`);
      fail('BUDGET_EXCEEDED', 'maxWithdrawalsWaitingPerSession');
    }
    return { gift: this.gifts.withdraw(key.session, key.gift, this.host.giftTimeoutMs, on) };
  }

  /** A gift budget tripped: `on` is aborted with `BUDGET_EXCEEDED`, the reason naming `budget`; nothing else is touched. */
  private overBudget(on: ConnectionShell, budget: string, what: string): void {
    this.host.logger.warn('handoff: gift budget exceeded, aborting the session', { peer: on.peer?.location.designator, budget });
    on.abort(`BUDGET_EXCEEDED: ${budget}: ${what}`, 'BUDGET_EXCEEDED');
  }

  /** A session ended: gifts deposited through it go; withdrawals waiting on its gifts, or asked on it, fail. */
  sessionClosed(shell: ConnectionShell): void {
    if (shell.sessionId !== undefined) this.gifts.dropSession(toHex(shell.sessionId));
    this.gifts.dropOwner(shell);
  }
}

/**
 * The handoff counts used on one E–R session: a set of at most `max` counts
 * above a floor. Past `max`, the lowest half is dropped and the floor rises to
 * the highest dropped count; counts at or below the floor count as used.
 */
class UsedCounts {
  private floor = -1n;
  private readonly used = new Set<bigint>();

  constructor(private readonly max: number) {}

  /** Records `count`; false when it was used before (or is at or below the floor). */
  take(count: bigint): boolean {
    if (count <= this.floor || this.used.has(count)) return false;
    this.used.add(count);
    if (this.used.size > this.max) {
      const sorted = [...this.used].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const dropped = sorted.slice(0, Math.max(1, sorted.length >> 1));
      for (const c of dropped) this.used.delete(c);
      this.floor = dropped[dropped.length - 1]!;
    }
    return true;
  }
}

/** `promise`, or a `HANDOFF` rejection after `ms` (the promise itself goes on). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new CapmeshError('HANDOFF', `no session to the exporter opened within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function broken(code: CapmeshErrorCode, message: string): Promise<never> {
  const p = Promise.reject(new CapmeshError(code, message));
  p.catch(noop);
  return p;
}
