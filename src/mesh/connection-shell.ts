import { CapmeshError, isCapmeshError, withoutCodePrefix, type CapmeshErrorCode } from '../util/errors.js';
import type { SyrupLimits, SyrupValue } from '../syrup/types.js';
import { CaptpSession, budgetExceeded, type FinalizerFactory, type SendTxn, type SessionLimits } from '../captp/index.js';
import { decodeOp, dialectForVersion, encodeOp, type Descriptor, type Dialect, type Op, type PeerLocator, type StartSessionOp } from '../wire/index.js';
import type { Connection, ConnectionCloseReason } from '../netlayer/types.js';
import { checkHello, type CheckedHello, type LocalHello } from './handshake.js';
import type { Logger } from '../util/logger.js';
import { LivenessMonitor, type LivenessOptions } from './liveness.js';
import { randomBytes } from '../crypto/index.js';
import { exportDesc } from '../wire/index.js';

/**
 * Budgets on a connection's two directions, per session. The peer that will
 * not read what we send makes us buffer it; we stop handling its input first,
 * then abort it.
 */
export interface ShellLimits {
  /**
   * Bytes we have sent that the connection still buffers (`Connection.bufferedBytes`).
   * Over it: `op:abort` with `BUDGET_EXCEEDED` (`maxUnsentBytes`). Default 64 MiB
   * (four largest messages: a fast sender to a slow reader is not a hostile peer).
   */
  maxUnsentBytes?: number;
  /**
   * Above this many unsent bytes the shell stops handing the peer's messages to
   * the session and holds them, in order, until the connection reports it
   * drained back to this mark. Default 1 MiB.
   */
  pauseInputAtUnsentBytes?: number;
  /** Bytes of the peer's messages held while paused or while its hello's signature is checked. Over it: abort with `BUDGET_EXCEEDED` (`maxHeldInputBytes`). Default 16 MiB. */
  maxHeldInputBytes?: number;
}

export const DEFAULT_SHELL_LIMITS: Readonly<Required<ShellLimits>> = Object.freeze({
  maxUnsentBytes: 64 * 1024 * 1024,
  pauseInputAtUnsentBytes: 1024 * 1024,
  maxHeldInputBytes: 16 * 1024 * 1024,
});

/**
 * Where a session's dialect came from (`SessionInfo.dialectSource`):
 * `default` — the vat's `dialect`, unchanged; `configured` — `VatOptions.dialects`
 * named one for this peer (never changed by learning); `learned` — the
 * default moved down to older forms by the peer's start-session version or
 * the messages it wrote (see `wire/dialect-learning.ts`).
 */
export type DialectSource = 'default' | 'configured' | 'learned';

/** The dialect a vat picks for one peer before anything is learned. */
export interface DialectChoice {
  readonly dialect: Dialect;
  /** True when the vat's per-peer configuration named it (then nothing is learned). */
  readonly configured: boolean;
}

/** What a shell needs from its vat. */
export interface ShellHost {
  /**
   * The dialect for `peer`: the vat's per-peer configuration, else its
   * default (also for `undefined`: a peer not known yet). On a connection we
   * dial it is asked for the locator we dial, before our hello; on one we
   * accept, for the location the peer's hello claims, once its signature
   * checked out. May throw (a bad configuration): the caller fails that
   * connection.
   */
  dialectFor(peer: PeerLocator | undefined): DialectChoice;
  /** Learn from peers whose dialect was not configured (`VatOptions.learnDialects`). */
  readonly learnDialects: boolean;
  readonly logger: Logger;
  readonly finalizer: FinalizerFactory;
  readonly sessionLimits: SessionLimits;
  readonly decodeLimits: SyrupLimits;
  readonly maxFrameBytes: number;
  /** Output backpressure budgets (all fields set). */
  readonly shellLimits: Readonly<Required<ShellLimits>>;
  /** Heartbeats for the open session (see `LivenessOptions`); absent or `intervalMs` 0: none. */
  readonly liveness?: Readonly<Required<LivenessOptions>>;
  /**
   * The peer's hello checked out (signature, and the transport's proven
   * designator). Returns an abort reason (`PROTOCOL`), or a reason with its
   * code, to refuse this connection; undefined to open the session.
   */
  helloArrived(shell: ConnectionShell): string | HelloRefusal | undefined;
  /**
   * Asked when the peer's hello arrives, before its check: a promise the
   * session's opening must also wait for (it never rejects), or undefined.
   * The vat loads the synchronous curves there once it is about to hold two
   * sessions, so that a handoff can sign its gift while it marshals
   * (crypto/active-backend.ts).
   */
  beforeOpen?(): Promise<void> | undefined;
  /** Makes the bootstrap object (export 0) for a new session. */
  bootstrapFor(shell: ConnectionShell): object;
  /** A signed handoff descriptor arrived on this shell's session (see `Handoffs.received`). */
  handoffIn(shell: ConnectionShell, desc: Descriptor): unknown;
  /** A reference from another session is being sent on this one (see `Handoffs.give`). */
  handoffOut(shell: ConnectionShell, value: object, txn: SendTxn): SyrupValue | undefined;
  /** The session is open. */
  opened(shell: ConnectionShell): void;
  /** The shell is done (whatever state it reached). Called once. */
  closed(shell: ConnectionShell, error: CapmeshError): void;
}

/** Why the vat refuses a connection whose hello checked out (e.g. `BUDGET_EXCEEDED`). */
export interface HelloRefusal {
  readonly reason: string;
  readonly code: CapmeshErrorCode;
}

/** How long releases (`op:gc-exports` / `op:gc-answers`) are held to batch them. */
const GC_BATCH_MS = 5;

export type ShellState = 'handshaking' | 'open' | 'closed';

/**
 * One connection's shell: bytes → ops → session and back.
 *
 * Lifecycle: on a connection we dialled, `start()` sends our
 * `op:start-session` at once and waits for the peer's. On an inbound
 * connection we wait for the dialler's start-session first, and send ours
 * only once the vat has accepted it (`helloArrived`): a connection the vat
 * refuses — a crossed-hellos loser above all — gets our `op:abort` and never
 * our hello, so the peer cannot open a session on it (see `handshake.ts`,
 * crossed hellos). The first message must be the peer's start-session (or an
 * `op:abort`, which just closes). When the transport proved who is at the other end
 * (`Connection.provenDesignator`), a hello claiming another designator or
 * transport is aborted with `IDENTITY_MISMATCH` (after the version and the
 * location signature are checked): transports prove, the shell checks. The
 * signature check is asynchronous (the platform's crypto); whatever the peer
 * sends meanwhile is held, in arrival order, and goes to the session only
 * after the hello checked out — nothing overtakes the hello. A good hello opens a `CaptpSession`; from then on every
 * message goes to it. Any fault before or after — oversize frame, bad version,
 * bad signature, undecodable bytes — sends `op:abort` with a reason and closes
 * this connection only. So does a fault the netlayer found in the peer's
 * bytes (unframeable input, a missed deadline): it reports it as a close with
 * `canSend`, and the abort goes out inside that notice, before the transport
 * closes.
 *
 * Dialect (per peer): on a dial, the vat's choice for the locator dialled
 * (`ShellHost.dialectFor`), before our hello, whose version is that
 * dialect's. On an accepted connection, the choice for the location the
 * peer's hello claims (signature checked first); when that is the vat's
 * default and learning is on, a `goblins-0.N` version moves it to the
 * Goblins forms with that version, and our hello answers with it. The session
 * then holds the dialect and, unless it was configured, learns older forms
 * from the peer's messages (`CaptpSession.dialect`).
 *
 * Backpressure (open sessions, connections with `bufferedBytes`): after each
 * message the session sends, the connection's backlog is checked. Above
 * `pauseInputAtUnsentBytes` the peer's later messages are held, in arrival
 * order, and handed to the session once the connection says it `drained`
 * below that mark; above `maxUnsentBytes`, or with more than
 * `maxHeldInputBytes` held, the session is aborted with `BUDGET_EXCEEDED`.
 */
export class ConnectionShell {
  state: ShellState = 'handshaking';
  peer: CheckedHello | undefined;
  session: CaptpSession | undefined;
  /** The OCapN session ID (from both sides' session keys), once the peer's hello checked out. */
  sessionId: Uint8Array | undefined;
  /** Input held while the peer does not read our output (see Backpressure). */
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private paused = false;
  /** From the peer's start-session until its signature check settles: later input is held behind it. */
  private checkingHello = false;
  private outputTripped = false;
  private liveness: LivenessMonitor | undefined;
  private sentHello = false;
  /** What we write before the session opens (and what the session starts with). */
  private startDialect: DialectChoice;
  private learnedAtHello = false;

  /**
   * `dialled`: the locator we dial, on a connection we dialled (its dialect is
   * chosen now, so our hello carries its version); absent on an accepted one.
   */
  constructor(
    readonly connection: Connection,
    readonly hello: LocalHello,
    private readonly host: ShellHost,
    dialled?: PeerLocator,
  ) {
    // An accepted connection knows its peer only from its hello: until then the default (for an op:abort at most).
    this.startDialect = host.dialectFor(dialled ?? (connection.outbound ? connection.remoteLocator : undefined));
  }

  /** What we write to this peer now: the session's dialect once it is open (it may learn), else the one chosen for the handshake. */
  get dialect(): Dialect {
    return this.session?.dialect ?? this.startDialect.dialect;
  }

  /** Where `dialect` came from (see `DialectSource`). */
  get dialectSource(): DialectSource {
    if (this.startDialect.configured) return 'configured';
    return this.learnedAtHello || this.session?.dialectLearned === true ? 'learned' : 'default';
  }

  get outbound(): boolean {
    return this.connection.outbound;
  }

  /** The ID that names this connection for crossed-hellos: the Public ID of its dialler's session key. */
  diallerId(): Uint8Array | undefined {
    return this.outbound ? this.hello.publicId : this.peer?.peerId;
  }

  /** Attaches to the connection; sends our hello now on a connection we dialled (an inbound one waits: see the class comment). */
  start(): void {
    this.connection.setReceiver({
      message: (bytes) => this.onMessage(bytes),
      closed: (reason) => this.onClosed(reason),
      drained: () => this.onDrained(),
      alive: () => this.liveness?.heard(),
    });
    if (this.outbound) this.sendHello();
  }

  private sendHello(): void {
    this.sentHello = true;
    // The version is this peer's dialect's: on an accepted connection it may be one learned from the peer's hello.
    this.sendRaw({ ...this.hello.op, captpVersion: this.dialect.captpVersion });
  }

  /** Aborts this connection with `reason` (sends op:abort, closes). */
  abort(reason: string, code: CapmeshError['code'] = 'PROTOCOL'): void {
    if (this.state === 'closed') return;
    if (this.session) {
      this.session.abort(reason, code);
      return;
    }
    this.sendRaw({ op: 'abort', reason });
    // The wire reason keeps its "CODE: text" form; the local error's message is the text alone.
    this.finish(new CapmeshError(code, withoutCodePrefix(code, reason)));
  }

  private sendRaw(op: Op): void {
    for (const bytes of encodeOp(op, this.dialect)) this.connection.send(bytes);
  }

  private onMessage(bytes: Uint8Array): void {
    if (this.state === 'closed') return;
    this.liveness?.heard();
    if (bytes.length > this.host.maxFrameBytes) {
      this.abort(`LIMIT: a ${bytes.length}-byte message is over the ${this.host.maxFrameBytes}-byte limit`, 'LIMIT');
      return;
    }
    if (this.checkingHello) {
      this.hold(bytes);
      return;
    }
    if (this.session) {
      if (this.paused || this.held.length > 0) {
        this.hold(bytes);
        return;
      }
      this.session.receiveBytes(bytes, this.host.decodeLimits);
      return;
    }
    try {
      this.onHandshakeMessage(decodeOp(bytes, this.host.decodeLimits));
    } catch (e) {
      this.handshakeFailed(e);
    }
  }

  private handshakeFailed(e: unknown): void {
    const error = isCapmeshError(e) ? e : new CapmeshError('PROTOCOL', 'internal error during the handshake');
    this.abort(`${error.code}: ${error.message}`, error.code);
  }

  private onHandshakeMessage(op: Op): void {
    if (op.op === 'abort') {
      this.connection.close(`peer aborted: ${op.reason}`);
      this.finish(new CapmeshError('ABORTED', `the peer aborted before the session started: ${op.reason}`));
      return;
    }
    if (op.op !== 'start-session') {
      throw new CapmeshError('PROTOCOL', `expected op:start-session first, got op:${op.op}`);
    }
    // Ordering: the signature check is asynchronous (WebCrypto in browsers). Until it settles,
    // everything else the peer sends is held, in arrival order (within maxHeldInputBytes), and
    // handed to the session once it opens; a hello that fails drops it with the connection.
    this.checkingHello = true;
    const check = this.outbound
      ? checkHello(op, this.startDialect.dialect, this.hello.publicId)
      : checkHello(op, (hello) => this.chooseDialect(hello), this.hello.publicId);
    const ready = this.host.beforeOpen?.();
    const checking = ready === undefined ? check : Promise.all([check, ready]).then(([checked]) => checked);
    checking.then(
      (checked) => {
        this.checkingHello = false;
        if (this.state === 'closed') return;
        try {
          this.helloChecked(checked);
        } catch (e) {
          this.handshakeFailed(e);
        }
        this.releaseHeld();
      },
      (e: unknown) => {
        this.checkingHello = false;
        if (this.state !== 'closed') this.handshakeFailed(e);
      },
    );
  }

  /** The peer's hello verified: its claimed identity against the transport's proof, the vat's verdict, then the session. */
  private helloChecked(checked: CheckedHello): void {
    checkProvenIdentity(this.connection, checked.location);
    this.peer = checked;
    this.sessionId = checked.sessionId;
    const refusal = this.host.helloArrived(this);
    if (refusal !== undefined) {
      if (typeof refusal === 'string') this.abort(refusal);
      else this.abort(`${refusal.code}: ${refusal.reason}`, refusal.code);
      return;
    }
    // Accepted: on an inbound connection our hello goes now, before anything the session sends.
    if (!this.sentHello) this.sendHello();
    this.openSession();
  }

  /**
   * The dialect for the peer whose hello arrived on a connection we accepted:
   * the vat's choice for the location it claims; when that is the vat's
   * default (not configured) and the peer's version is not the default's,
   * the dialect that version reveals (`dialectForVersion`), if learning is on.
   * A version nothing reveals is left for `checkHello` to refuse.
   */
  private chooseDialect(hello: StartSessionOp): Dialect {
    const choice = this.host.dialectFor(hello.location);
    this.startDialect = choice;
    if (choice.configured || !this.host.learnDialects || hello.captpVersion === choice.dialect.captpVersion) return choice.dialect;
    const learned = dialectForVersion(choice.dialect, hello.captpVersion);
    if (learned === undefined) return choice.dialect;
    this.startDialect = { dialect: learned, configured: false };
    this.learnedAtHello = true;
    return learned;
  }

  private openSession(): void {
    const label = this.peer!.location.designator.slice(0, 12);
    this.session = new CaptpSession(
      {
        send: (bytes) => {
          this.connection.send(bytes);
          this.checkOutput();
        },
        schedule: (turn) => queueMicrotask(turn),
        // Releases wait a little, so a stream of calls shares one gc message instead of one each.
        scheduleGc: (flush) => void setTimeout(flush, GC_BATCH_MS),
        finalizer: this.host.finalizer,
        closed: (error) => {
          this.connection.close(error.message);
          this.finish(error);
        },
        log: (level, message, fields) => this.host.logger[level](message, { peer: label, ...fields }),
        handoff: (desc) => this.host.handoffIn(this, desc),
        handoffOut: (value, txn) => this.host.handoffOut(this, value, txn),
      },
      {
        dialect: this.startDialect.dialect,
        learnDialect: this.host.learnDialects && !this.startDialect.configured,
        bootstrap: this.host.bootstrapFor(this),
        limits: this.host.sessionLimits,
        label,
      },
    );
    this.state = 'open';
    this.startLiveness();
    this.host.opened(this);
  }

  /**
   * Heartbeats (see `LivenessOptions`): the transport's own ping where the
   * connection has one, else a side-effect-free CapTP round trip (a `fetch`
   * of a random swiss number from the peer's bootstrap, which breaks). A
   * silent peer's session is aborted with `DISCONNECTED`, so every promise
   * waiting on it breaks.
   */
  private startLiveness(): void {
    const settings = this.host.liveness;
    const connection = this.connection;
    if (settings === undefined || settings.intervalMs <= 0 || connection.heartbeats === false) return;
    this.liveness = new LivenessMonitor(settings, {
      probe: () => {
        if (connection.ping) {
          connection.ping();
          return;
        }
        // Whatever comes back (the break, or even an object) counts through onMessage; the outcome itself is not needed.
        this.session?.ask(exportDesc(0), 'fetch', [randomBytes(32)]).catch(() => undefined);
      },
      unresponsive: (silentMs) => {
        this.session?.abort(`the peer sent nothing for ${silentMs} ms (liveness timeout ${settings.timeoutMs} ms)`, 'DISCONNECTED', {
          liveness: 'timeout',
          silentMs,
          timeoutMs: settings.timeoutMs,
        });
      },
    });
  }

  /** After a session send: pause input above the pause mark, abort above `maxUnsentBytes`. */
  private checkOutput(): void {
    const buffered = this.connection.bufferedBytes?.() ?? 0;
    const limits = this.host.shellLimits;
    if (buffered <= limits.pauseInputAtUnsentBytes) return;
    this.paused = true;
    if (buffered <= limits.maxUnsentBytes || this.outputTripped) return;
    // The op:abort sent below comes back through here: trip once.
    this.outputTripped = true;
    this.abortForBudget('maxUnsentBytes', `the peer left more than ${limits.maxUnsentBytes} bytes of our messages unread`);
  }

  private hold(bytes: Uint8Array): void {
    const max = this.host.shellLimits.maxHeldInputBytes;
    if (this.heldBytes + bytes.length > max) {
      this.abortForBudget('maxHeldInputBytes', `more than ${max} bytes arrived while the peer was not reading ours`);
      return;
    }
    this.held.push(bytes);
    this.heldBytes += bytes.length;
  }

  /** The connection drained: if below the pause mark, hand the held messages over, in order, until paused again. */
  private onDrained(): void {
    if (!this.paused || this.state !== 'open') return;
    if ((this.connection.bufferedBytes?.() ?? 0) > this.host.shellLimits.pauseInputAtUnsentBytes) return;
    this.paused = false;
    this.releaseHeld();
  }

  /** Hands the held messages to the session, in order, until paused again (or none is left). */
  private releaseHeld(): void {
    while (this.held.length > 0 && !this.paused && this.state === 'open' && this.session) {
      const bytes = this.held.shift()!;
      this.heldBytes -= bytes.length;
      this.session.receiveBytes(bytes, this.host.decodeLimits);
    }
  }

  private abortForBudget(budget: keyof ShellLimits, message: string): void {
    const error = budgetExceeded(budget, message);
    this.held = [];
    this.heldBytes = 0;
    if (this.session) this.session.abort(`${error.code}: ${error.message}`, error.code, error.detail);
    else if (this.state !== 'closed') {
      // Before the session (input held behind the hello's check): the same op:abort `abort` sends, the budget kept in the detail.
      this.sendRaw({ op: 'abort', reason: `${error.code}: ${error.message}` });
      this.finish(error);
    }
  }

  private onClosed(reason: ConnectionCloseReason): void {
    if (this.state === 'closed') return;
    if (reason.canSend === true && reason.code !== undefined) {
      // The transport refused the peer's input (framing, size, deadline) and can still send during this call: op:abort says why.
      this.abort(`${reason.code}: ${reason.message}`, reason.code);
      return;
    }
    if (this.session) {
      this.session.disconnected(`connection closed (${reason.kind}): ${reason.message}`, reason.code);
      return;
    }
    this.finish(new CapmeshError('DISCONNECTED', `connection closed during the handshake (${reason.kind}): ${reason.message}`));
  }

  private finish(error: CapmeshError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.liveness?.stop();
    this.connection.close(error.message);
    this.host.closed(this, error);
  }

  /**
   * True when the transport proved the peer's designator (and the hello
   * matched it). False for a connection whose dialler proved nothing, and for
   * our own dials on a transport that cannot prove (reached by address).
   */
  get proven(): boolean {
    return this.connection.provenDesignator !== undefined;
  }
}

/**
 * Throws `IDENTITY_MISMATCH` when `connection` proved a designator and the
 * hello's location names another designator or another transport. A
 * connection that proved nothing passes: the vat then treats its session as
 * unproven (see `createVat`).
 */
export function checkProvenIdentity(connection: Connection, claimed: PeerLocator): void {
  const proven = connection.provenDesignator;
  if (proven === undefined) return;
  if (claimed.designator !== proven || claimed.transport !== connection.transport) {
    throw new CapmeshError(
      'IDENTITY_MISMATCH',
      `the transport proved ${proven.slice(0, 12)}….${connection.transport} but the start-session claims ${String(claimed.designator).slice(0, 12)}….${claimed.transport}`,
      { detail: { proven, claimed: claimed.designator, transport: claimed.transport } },
    );
  }
}
