import { CapmeshError, isCapmeshError, withoutCodePrefix, type CapmeshErrorCode } from '../util/errors.js';
import { Sym, type SyrupLimits, type SyrupValue } from '../syrup/types.js';
import { decode } from '../syrup/index.js';
import {
  answerDesc,
  encodeOp,
  formsRevealedBy,
  learnDialect,
  opFromRecord,
  exportDesc,
  importObject,
  type Descriptor,
  type Dialect,
  type ExportDesc,
  type AnswerDesc,
  type ResolverDesc,
  type SessionOp,
  type TargetDesc,
} from '../wire/index.js';
import { callLocal, isFar, makeE, makePresence, makeRemotePromise } from '../vat/index.js';
import { InternalResolver } from './internal-resolver.js';
import { ExportTable } from './export-table.js';
import { ImportTable } from './import-table.js';
import { fromWire, toWire, type MarshalContext } from './marshal.js';
import {
  BOOTSTRAP_IMPORT,
  answerPos,
  exportPos,
  importPos,
  questionPos,
  type AnswerPos,
  type ImportPos,
  type QuestionPos,
} from './positions.js';
import { RemoteHandler, type ForwardOp, type RemoteOps, type Route } from './remote-handler.js';
import { SendTxn } from './send-txn.js';
import {
  DEFAULT_SESSION_LIMITS,
  type SessionLimits,
  type SessionOptions,
  type SessionPorts,
  type SessionStats,
} from './session-types.js';
import { checkSession, dumpSession, type SessionSnapshot } from './inspect.js';
import { PeerBudgets } from './budgets.js';

/** Where one of the session's promises stands (a question, an import or an export); unrelated to the vat's `Settlement` of a handled promise. */
type ResolutionState = 'pending' | 'fulfilled' | 'broken';

/** A question we asked; its promise is pipelinable while pending. */
interface Question {
  readonly pos: QuestionPos;
  state: ResolutionState;
  value: unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** A promise the peer exported to us; we listen to it once. */
interface ImportedPromise {
  readonly pos: ImportPos;
  state: ResolutionState;
  value: unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  promise?: Promise<unknown>;
}

interface Answer {
  readonly promise: Promise<unknown>;
  state: ResolutionState;
}

const noop = (): void => {};

/**
 * Most positions one `op:gc-exports` / `op:gc-answers` carries. A batch of
 * releases (say, after tens of thousands of calls in one GC window) is split
 * into several messages, so a well-behaved session never sends a message that
 * the peer's decoder limits (100 000 list items by default here) must refuse.
 */
export const GC_POSITIONS_PER_MESSAGE = 4096;

/**
 * One CapTP session's protocol state machine. No I/O: it mutates its four
 * tables and speaks only through `SessionPorts`.
 *
 * Ordering: outgoing messages are handed to `ports.send` in the order the
 * operations happen; incoming messages must be given to `receive` in arrival
 * order. Local deliveries run in later turns through `ports.schedule`, in
 * arrival order, so messages on one reference are delivered in the order sent;
 * messages pipelined on an unresolved answer queue behind it.
 *
 * Failure: any protocol fault in incoming input (an unknown position, a
 * malformed op, a limit) aborts this session only: `op:abort` goes out,
 * every promise that depended on the session breaks with a `CapmeshError`
 * whose code says why, the tables empty, and `ports.closed` is called once.
 */
export class CaptpSession implements MarshalContext, RemoteOps {
  #dialect: Dialect;
  readonly #learnsDialect: boolean;
  #dialectLearned = false;
  private readonly ports: SessionPorts;
  private readonly limits: Required<SessionLimits>;
  private readonly label: string;
  private readonly exports: ExportTable;
  private readonly imports: ImportTable;
  private readonly questions = new Map<QuestionPos, Question>();
  private readonly answers = new Map<AnswerPos, Answer>();
  /** Presences and imported promises → the import position they stand for. */
  private readonly importOf = new WeakMap<object, ImportPos>();
  /** Question promises → their question. */
  private readonly questionOf = new WeakMap<object, Question>();
  private readonly pendingImported = new Set<ImportedPromise>();
  private readonly E: ReturnType<typeof makeE>;
  private readonly peerBootstrap: object;
  private nextQuestion = 1;
  private closedWith: CapmeshError | undefined;
  private readonly gcExportsDue = new Map<ImportPos, number>();
  private gcAnswersDue: QuestionPos[] = [];
  private flushScheduled = false;
  private readonly budgets: PeerBudgets;
  /** Answers whose promise has not settled (see `maxPendingAnswers`). */
  private pendingAnswers = 0;
  /** Length of the incoming message being handled (0 when it came decoded, through `receive`). */
  private currentBytes = 0;
  private counters = { messagesSent: 0, messagesReceived: 0, bytesSent: 0, gcExportsSent: 0, gcAnswersSent: 0 };

  constructor(ports: SessionPorts, options: SessionOptions) {
    this.ports = ports;
    this.#dialect = options.dialect;
    this.#learnsDialect = options.learnDialect === true;
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...options.limits };
    this.label = options.label ?? 'peer';
    this.budgets = new PeerBudgets(this.limits);
    this.exports = new ExportTable(options.bootstrap, this.limits.maxExports);
    this.imports = new ImportTable(ports.finalizer, (pos, count) => this.queueGcExport(pos, count), this.limits.maxImports);
    this.E = makeE(ports.schedule);
    this.peerBootstrap = makePresence(`${this.label} bootstrap`, new RemoteHandler(this, () => this.routeToExport(BOOTSTRAP_IMPORT)));
    this.importOf.set(this.peerBootstrap, BOOTSTRAP_IMPORT);
  }

  /** The peer's bootstrap object (its export 0) as a presence. */
  bootstrap(): object {
    return this.peerBootstrap;
  }

  /**
   * What this session writes now: `SessionOptions.dialect`, moved down to the
   * peer's older forms as its messages reveal them when `learnDialect` is on
   * (`learnDialect` in `wire/dialect-learning.ts` has the rules). A change
   * applies from the next message written after the revealing one was read.
   */
  get dialect(): Dialect {
    return this.#dialect;
  }

  /** True once learning changed at least one knob of the dialect this session started with. */
  get dialectLearned(): boolean {
    return this.#dialectLearned;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Why the session ended, once it has. */
  get closeReason(): CapmeshError | undefined {
    return this.closedWith;
  }

  // ---------------------------------------------------------------- incoming

  /**
   * Decodes and handles one message. Decode faults abort the session. With
   * `learnDialect`, a message that read cleanly first teaches the dialect
   * (before it is handled, so whatever its handling writes is in the form learned).
   */
  receiveBytes(bytes: Uint8Array, limits?: SyrupLimits): void {
    if (this.closedWith) return;
    let op;
    try {
      const value = decode(bytes, limits);
      op = opFromRecord(value);
      if (this.#learnsDialect) this.learnFrom(value);
    } catch (e) {
      this.abortFor(e);
      return;
    }
    this.currentBytes = bytes.length;
    if (op.op === 'start-session') {
      this.abortFor(new CapmeshError('PROTOCOL', 'op:start-session arrived on an established session'));
      return;
    }
    if (op.op === 'pick' || op.op === 'bootstrap') {
      this.abortFor(new CapmeshError('PROTOCOL', `op:${op.op} is obsolete and not supported`));
      return;
    }
    this.receive(op);
    this.currentBytes = 0;
  }

  private learnFrom(value: SyrupValue): void {
    const next = learnDialect(this.#dialect, formsRevealedBy(value));
    if (next === this.#dialect) return;
    this.ports.log?.('debug', 'dialect learned from the peer', { from: this.#dialect.name, to: next.name });
    this.#dialect = next;
    this.#dialectLearned = true;
  }

  /** Handles one decoded session op. Protocol faults abort the session. */
  receive(op: SessionOp): void {
    if (this.closedWith) return;
    this.counters.messagesReceived++;
    this.budgets.startMessage();
    try {
      this.dispatch(op);
    } catch (e) {
      this.abortFor(e);
    }
  }

  private dispatch(op: SessionOp): void {
    switch (op.op) {
      case 'deliver':
        return this.onDeliver(op.to, op.args, op.answerPos, op.resolveMe);
      case 'listen': {
        const target = this.resolveTarget(op.to);
        this.budgets.listen(target, op.to.type === 'answer');
        const listener = this.importResolver(op.listenDesc);
        this.notifyWhenSettled(Promise.resolve(target), listener);
        return;
      }
      case 'get':
      case 'index':
      case 'untag': {
        // Refuse a taken answer position before starting any local work for it.
        this.checkNewAnswer(op.answerPos);
        const target = this.resolveTarget(op.to);
        this.budgets.queue(target, this.currentBytes);
        const result =
          op.op === 'get' ? this.E.get(target, op.field) : op.op === 'index' ? this.indexLocal(target, op.index) : this.E.untag(target, op.tag);
        return this.storeAnswer(op.answerPos, result);
      }
      case 'gc-exports':
        for (const { position, delta } of op.entries) this.exports.release(exportPos(position), delta);
        return;
      case 'gc-answers':
        for (const p of op.positions) {
          if (!this.answers.delete(answerPos(p))) {
            throw new CapmeshError('PROTOCOL', `op:gc-answers names answer ${p}, which does not exist`);
          }
        }
        return;
      case 'abort':
        this.teardown(new CapmeshError('ABORTED', `the peer aborted the session: ${op.reason}`), false);
        return;
    }
  }

  private onDeliver(to: TargetDesc, rawArgs: readonly SyrupValue[], answer: number | null, resolveMe: ResolverDesc | null): void {
    const target = this.resolveTarget(to);
    if (answer !== null) this.checkNewAnswer(answer);
    this.budgets.queue(target, this.currentBytes);
    const first = rawArgs[0];
    // Methods are a convention (a leading symbol). A far function has none: it gets every argument, that symbol included.
    const method = first instanceof Sym && !(typeof target === 'function' && isFar(target)) ? first.name : undefined;
    const skip = method === undefined ? 0 : 1;
    const args: unknown[] = new Array<unknown>(rawArgs.length - skip);
    for (let i = skip; i < rawArgs.length; i++) args[i - skip] = fromWire(this, rawArgs[i]!);
    const resolver = resolveMe ? this.importResolver(resolveMe) : undefined;
    if (answer === null && resolver === undefined) {
      if (target instanceof InternalResolver) {
        target.deliver(method, args);
        return;
      }
      if (method === undefined) this.E.sendOnly(target)(...args);
      else this.E.sendOnly(target)[method]!(...args);
      return;
    }
    const result = this.invokeLocal(target, method, args);
    if (answer !== null) this.storeAnswer(answer, result, resolver);
    else if (resolver !== undefined) this.notifyWhenSettled(result, resolver);
    else result.catch(noop);
  }

  private invokeLocal(target: unknown, method: string | undefined, args: readonly unknown[]): Promise<unknown> {
    if (target instanceof InternalResolver) {
      return target.deliver(method, args)
        ? Promise.resolve(undefined)
        : Promise.reject(new CapmeshError('NO_SUCH_METHOD', 'a resolver only takes fulfill or break with one argument'));
    }
    if (isFar(target)) {
      // The common case, without a proxy: run the method in a later turn.
      return new Promise((resolve, reject) => {
        this.ports.schedule(() => {
          try {
            resolve(callLocal(target, method, args));
          } catch (e) {
            reject(e);
          }
        });
      });
    }
    const proxy = this.E(target) as unknown as ((...a: unknown[]) => Promise<unknown>) & Record<string, (...a: unknown[]) => Promise<unknown>>;
    return method === undefined ? proxy(...args) : proxy[method]!(...args);
  }

  private indexLocal(target: unknown, index: bigint): Promise<unknown> {
    if (index < 0n || index > BigInt(Number.MAX_SAFE_INTEGER)) {
      return Promise.reject(new CapmeshError('BAD_FIELD', `index ${index} is out of range`));
    }
    return this.E.index(target, Number(index));
  }

  private checkNewAnswer(pos: number): void {
    if (this.answers.has(answerPos(pos))) {
      throw new CapmeshError('PROTOCOL', `answer position ${pos} is already in use`);
    }
    if (this.answers.size >= this.limits.maxAnswers) {
      throw this.budgets.trip('maxAnswers', `the peer has more than ${this.limits.maxAnswers} open answers`);
    }
    if (this.pendingAnswers >= this.limits.maxPendingAnswers) {
      throw this.budgets.trip('maxPendingAnswers', `the peer has more than ${this.limits.maxPendingAnswers} unsettled answers`);
    }
  }

  /**
   * Stores an answer whose position `checkNewAnswer` has already accepted.
   * With `resolver` (the deliver's resolve-me), the peer's resolver is told
   * once it settled, right after the answer's state is (one reaction, not two).
   */
  private storeAnswer(pos: number, promise: Promise<unknown>, resolver?: object): void {
    const entry: Answer = { promise, state: 'pending' };
    this.pendingAnswers++;
    promise.then(
      (value) => {
        entry.state = 'fulfilled';
        if (!this.closedWith) this.pendingAnswers--;
        if (resolver !== undefined) this.notify(resolver, 'fulfill', value);
      },
      (reason) => {
        entry.state = 'broken';
        if (!this.closedWith) this.pendingAnswers--;
        if (resolver !== undefined) this.notify(resolver, 'break', reason);
      },
    );
    this.answers.set(answerPos(pos), entry);
  }

  private resolveTarget(to: TargetDesc): unknown {
    return to.type === 'export' ? this.ownExport(to.position) : this.ownAnswer(to.position);
  }

  /** A resolver the peer handed us (resolve-me or listen): an import only the session holds, until shared. */
  private importResolver(desc: ResolverDesc): object {
    const pos = importPos(desc.position);
    if (desc.type === 'import-promise') return this.importedPromise(desc.position);
    if (this.imports.has(pos)) {
      // Seen before: it may have other users, so never release it on our own.
      return this.importRepresentative(pos, false);
    }
    return this.importRepresentative(pos, true);
  }

  private notifyWhenSettled(result: Promise<unknown>, resolver: object): void {
    result.then(
      (value) => this.notify(resolver, 'fulfill', value),
      (reason) => this.notify(resolver, 'break', reason),
    );
  }

  /** Tells a peer resolver how something settled, then lets go of it if only we held it. */
  private notify(resolver: object, verb: 'fulfill' | 'break', value: unknown): void {
    if (this.closedWith) return;
    const pos = this.importOf.get(resolver);
    if (pos === undefined) return;
    try {
      this.sendDeliver(exportDesc(pos), verb, [value], null);
    } catch (e) {
      if (this.closedWith) return;
      // The value could not be sent (not passable, say): the peer still learns that it broke.
      this.sendDeliver(exportDesc(pos), 'break', [asError(e)], null);
    }
    if (this.imports.isInternal(pos)) this.imports.release(pos);
  }

  // ------------------------------------------------------------ MarshalContext

  peerDescriptorOf(value: object): ExportDesc | AnswerDesc | undefined {
    const pos = this.importOf.get(value);
    if (pos !== undefined && (pos === BOOTSTRAP_IMPORT || this.imports.has(pos))) return exportDesc(pos);
    const q = this.questionOf.get(value);
    if (q !== undefined && q.state === 'pending') return answerDesc(q.pos);
    return undefined;
  }

  importedObject(position: number): object {
    this.budgets.reference();
    return this.importRepresentative(importPos(position), false);
  }

  private importRepresentative(pos: ImportPos, internal: boolean): object {
    if (pos === BOOTSTRAP_IMPORT) return this.peerBootstrap;
    const live = this.imports.received(pos, 'object');
    if (live !== undefined) {
      if (internal || !this.imports.isInternal(pos)) return live;
      // Local code now gets a reference the session held alone: give it a real presence.
      const presence = makePresence(`${this.label} export ${pos}`, new RemoteHandler(this, () => this.routeToExport(pos)));
      this.imports.share(pos, presence);
      this.importOf.set(presence, pos);
      return presence;
    }
    if (internal) {
      // A resolver the peer handed us: only the session uses it, once, then releases it.
      const token = {};
      this.imports.add(pos, 'object', token, true);
      this.importOf.set(token, pos);
      return token;
    }
    const presence = makePresence(`${this.label} export ${pos}`, new RemoteHandler(this, () => this.routeToExport(pos)));
    this.imports.add(pos, 'object', presence, internal);
    this.importOf.set(presence, pos);
    return presence;
  }

  importedPromise(position: number): Promise<unknown> {
    this.budgets.reference();
    const pos = importPos(position);
    const live = this.imports.received(pos, 'promise');
    if (live !== undefined) return live as Promise<unknown>;
    const ip: ImportedPromise = { pos, state: 'pending', value: undefined, resolve: noop, reject: noop };
    const rp = makeRemotePromise(new RemoteHandler(this, () => settledRoute(ip, exportDesc(pos))));
    ip.resolve = rp.resolve;
    ip.reject = rp.reject;
    ip.promise = rp.promise;
    // A promise the peer sent us must not crash the process if nobody looks at it.
    rp.promise.catch(noop);
    this.imports.add(pos, 'promise', rp.promise, false);
    this.importOf.set(rp.promise, pos);
    this.pendingImported.add(ip);
    const resolver = this.makeResolver((ok, v) => this.settleImported(ip, ok, v));
    const txn = new SendTxn(this.exports);
    this.sendOp({ op: 'listen', to: exportDesc(pos), listenDesc: importObject(txn.exportRef(resolver, false)) }, txn);
    return rp.promise;
  }

  ownExport(position: number): object {
    const value = this.exports.lookup(exportPos(position));
    if (value === undefined) throw new CapmeshError('PROTOCOL', `desc:export ${position} names nothing we export`);
    return value;
  }

  ownAnswer(position: number): Promise<unknown> {
    const answer = this.answers.get(answerPos(position));
    if (answer === undefined) throw new CapmeshError('PROTOCOL', `desc:answer ${position} names no open answer`);
    return answer.promise;
  }

  foreignReference(value: object, txn: SendTxn): SyrupValue | undefined {
    return this.ports.handoffOut?.(value, txn);
  }

  /** True when `value` is a live reference imported from this session's peer (a presence or imported promise). */
  ownsReference(value: object): boolean {
    const pos = this.importOf.get(value);
    if (pos === undefined) return false;
    return pos === BOOTSTRAP_IMPORT || this.imports.representativeIs(pos, value);
  }

  handoff(desc: Descriptor): unknown {
    this.budgets.reference();
    if (this.ports.handoff) return this.ports.handoff(desc);
    const p = Promise.reject(new CapmeshError('HANDOFF', `received desc:${desc.type}, but this vat has no handoff support configured`));
    p.catch(noop);
    return p;
  }

  private settleImported(ip: ImportedPromise, ok: boolean, value: unknown): void {
    if (ip.state !== 'pending') return;
    ip.state = ok ? 'fulfilled' : 'broken';
    ip.value = value;
    this.pendingImported.delete(ip);
    if (ok) ip.resolve(value);
    else ip.reject(value);
    // Once settled, operations on the promise go to its resolution: the import is no longer needed.
    if (ip.promise !== undefined && this.imports.representativeIs(ip.pos, ip.promise)) this.imports.release(ip.pos);
  }

  // ----------------------------------------------------------------- outgoing

  private routeToExport(pos: ImportPos): Route {
    if (this.closedWith) return { kind: 'broken', reason: this.closedWith };
    return { kind: 'peer', to: exportDesc(pos) };
  }

  ask(to: TargetDesc, method: string | undefined, args: readonly unknown[]): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const refused = this.questionRefused();
    if (refused) return Promise.reject(refused);
    const q = this.newQuestion();
    const resolver = this.makeResolver((ok, v) => this.settleQuestion(q, ok, v));
    try {
      const txn = new SendTxn(this.exports);
      const wireArgs = this.wireArgs(txn, method, args);
      const resolveMe = importObject(txn.exportRef(resolver, false));
      this.sendOp({ op: 'deliver', to, args: wireArgs, answerPos: q.pos, resolveMe }, txn);
    } catch (e) {
      q.state = 'broken';
      return Promise.reject(e);
    }
    this.questions.set(q.pos, q);
    return this.promiseOf(q);
  }

  sendOnly(to: TargetDesc, method: string | undefined, args: readonly unknown[]): void {
    if (this.closedWith) return;
    try {
      this.sendDeliver(to, method, args, null);
    } catch (e) {
      this.ports.log?.('warn', 'a fire-and-forget send was dropped', { error: asError(e).message });
    }
  }

  askField(to: TargetDesc, kind: 'get' | 'index' | 'untag', key: string | number): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const refused = this.questionRefused();
    if (refused) return Promise.reject(refused);
    const q = this.newQuestion();
    const resolver = this.makeResolver((ok, v) => this.settleQuestion(q, ok, v));
    try {
      if (kind === 'get') this.sendOp({ op: 'get', to, field: String(key), answerPos: q.pos });
      else if (kind === 'index') this.sendOp({ op: 'index', to, index: BigInt(key), answerPos: q.pos });
      else this.sendOp({ op: 'untag', to, tag: String(key), answerPos: q.pos });
      const txn = new SendTxn(this.exports);
      this.sendOp({ op: 'listen', to: answerDesc(q.pos), listenDesc: importObject(txn.exportRef(resolver, false)) }, txn);
    } catch (e) {
      q.state = 'broken';
      return Promise.reject(e);
    }
    this.questions.set(q.pos, q);
    return this.promiseOf(q);
  }

  forward(value: unknown, op: ForwardOp): Promise<unknown> {
    switch (op.kind) {
      case 'call':
        return this.invokeLocal(value, op.method, op.args);
      case 'sendOnly':
        if (op.method === undefined) this.E.sendOnly(value)(...op.args);
        else this.E.sendOnly(value)[op.method]!(...op.args);
        return Promise.resolve(undefined);
      case 'get':
        return this.E.get(value, String(op.key));
      case 'index':
        return this.E.index(value, Number(op.key));
      case 'untag':
        return this.E.untag(value, String(op.key));
    }
  }

  /** The `maxQuestions` error when another question would go over it (the session lives on). */
  private questionRefused(): CapmeshError | undefined {
    if (this.questions.size < this.limits.maxQuestions) return undefined;
    return this.budgets.trip('maxQuestions', `more than ${this.limits.maxQuestions} questions outstanding`);
  }

  private newQuestion(): Question {
    return { pos: questionPos(this.nextQuestion++), state: 'pending', value: undefined, resolve: noop, reject: noop };
  }

  private promiseOf(q: Question): Promise<unknown> {
    const rp = makeRemotePromise(new RemoteHandler(this, () => settledRoute(q, answerDesc(q.pos))));
    q.resolve = rp.resolve;
    q.reject = rp.reject;
    this.questionOf.set(rp.promise, q);
    return rp.promise;
  }

  private settleQuestion(q: Question, ok: boolean, value: unknown): void {
    if (q.state !== 'pending') return;
    q.state = ok ? 'fulfilled' : 'broken';
    q.value = value;
    this.questions.delete(q.pos);
    if (ok) q.resolve(value);
    else q.reject(value);
    this.gcAnswersDue.push(q.pos);
    this.scheduleGcFlush();
  }

  /** A one-shot resolver object we export so the peer can tell us how something settled. */
  private makeResolver(settle: (ok: boolean, value: unknown) => void): object {
    return new InternalResolver(settle);
  }

  private wireArgs(txn: SendTxn, method: string | undefined, args: readonly unknown[]): SyrupValue[] {
    const out: SyrupValue[] = method === undefined ? [] : [new Sym(method)];
    for (let i = 0; i < args.length; i++) out.push(toWire(this, txn, args[i], `args[${i}]`));
    return out;
  }

  private sendDeliver(to: TargetDesc, method: string | undefined, args: readonly unknown[], answer: number | null): void {
    const txn = new SendTxn(this.exports);
    this.sendOp({ op: 'deliver', to, args: this.wireArgs(txn, method, args), answerPos: answer, resolveMe: null }, txn);
  }

  /** Encodes, then commits the transaction's refcounts, then hands the bytes out. */
  private sendOp(op: SessionOp, txn?: SendTxn): void {
    if (this.closedWith) throw this.closedWith;
    const frames = encodeOp(op, this.dialect);
    txn?.commit();
    for (const bytes of frames) {
      this.counters.messagesSent++;
      this.counters.bytesSent += bytes.length;
      this.ports.send(bytes, op);
      // The port may end the session from inside `send` (output over its budget): then nothing more goes out.
      if (this.closedWith) return;
    }
    txn?.runAfterCommit();
  }

  // ----------------------------------------------------------------------- GC

  private queueGcExport(pos: ImportPos, count: number): void {
    if (this.closedWith || count <= 0) return;
    this.gcExportsDue.set(pos, (this.gcExportsDue.get(pos) ?? 0) + count);
    this.scheduleGcFlush();
  }

  private scheduleGcFlush(): void {
    if (this.flushScheduled || this.closedWith) return;
    this.flushScheduled = true;
    (this.ports.scheduleGc ?? this.ports.schedule)(() => this.flushGc());
  }

  /** Sends the batched `op:gc-exports` / `op:gc-answers` now (normally done in a later turn). */
  flushGc(): void {
    this.flushScheduled = false;
    if (this.closedWith) return;
    if (this.gcExportsDue.size > 0) {
      const entries = [...this.gcExportsDue].sort((a, b) => a[0] - b[0]).map(([position, delta]) => ({ position, delta }));
      this.gcExportsDue.clear();
      for (let i = 0; i < entries.length && !this.closedWith; i += GC_POSITIONS_PER_MESSAGE) {
        this.sendOp({ op: 'gc-exports', entries: entries.slice(i, i + GC_POSITIONS_PER_MESSAGE) });
        this.counters.gcExportsSent++;
      }
    }
    if (this.gcAnswersDue.length > 0) {
      const positions = this.gcAnswersDue.sort((a, b) => a - b);
      this.gcAnswersDue = [];
      for (let i = 0; i < positions.length && !this.closedWith; i += GC_POSITIONS_PER_MESSAGE) {
        this.sendOp({ op: 'gc-answers', positions: positions.slice(i, i + GC_POSITIONS_PER_MESSAGE) });
        this.counters.gcAnswersSent++;
      }
    }
  }

  // ------------------------------------------------------------------ closing

  /** Sends `op:abort` (if still open) and ends the session; every dependent promise breaks with `code`. */
  abort(reason: string, code: CapmeshErrorCode = 'PROTOCOL', detail?: Record<string, unknown>): void {
    if (this.closedWith) return;
    let sent = false;
    try {
      for (const bytes of encodeOp({ op: 'abort', reason }, this.dialect)) this.ports.send(bytes, { op: 'abort', reason });
      sent = true;
    } catch {
      // the abort itself could not be encoded (reason not well-formed): close anyway
    }
    // `reason` goes on the wire as is (peers read "CODE: text"); the local error keeps only the text.
    this.teardown(new CapmeshError(code, withoutCodePrefix(code, reason), detail === undefined ? {} : { detail }), sent);
  }

  /** The transport went away: no abort is sent; everything breaks with `code` (default `DISCONNECTED`). */
  disconnected(message: string, code: CapmeshErrorCode = 'DISCONNECTED'): void {
    this.teardown(new CapmeshError(code, message), false);
  }

  private abortFor(e: unknown): void {
    if (isCapmeshError(e)) {
      this.abort(`${e.code}: ${e.message}`, e.code, e.detail);
      return;
    }
    this.ports.log?.('warn', 'internal error while handling a message', { error: asError(e).message });
    this.abort('internal error', 'PROTOCOL');
  }

  private teardown(error: CapmeshError, sentAbort: boolean): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.budgets.close();
    this.pendingAnswers = 0;
    const questions = [...this.questions.values()];
    const imported = [...this.pendingImported];
    this.questions.clear();
    this.pendingImported.clear();
    this.answers.clear();
    this.exports.clear();
    this.imports.clear();
    this.gcExportsDue.clear();
    this.gcAnswersDue = [];
    for (const q of questions) {
      q.state = 'broken';
      q.value = error;
      q.reject(error);
    }
    for (const ip of imported) {
      ip.state = 'broken';
      ip.value = error;
      ip.reject(error);
    }
    this.ports.closed(error, sentAbort);
  }

  // ---------------------------------------------------------------- inspection

  stats(): SessionStats {
    return {
      exports: this.exports.size,
      imports: this.imports.size,
      questions: this.questions.size,
      answers: this.answers.size,
      ...this.counters,
      queuedMessages: this.budgets.queuedMessages,
      queuedBytes: this.budgets.queuedBytes,
      listeners: this.budgets.listeners,
      budgetTrips: this.budgets.trips,
      closed: this.closed,
    };
  }

  private snapshot(): SessionSnapshot {
    return {
      label: this.label,
      closed: this.closedWith?.message,
      exports: [...this.exports.entries()].map(([pos, e]) => ({ pos, refs: e.refs, promise: e.promise })),
      imports: [...this.imports.list()],
      questions: [...this.questions.values()].map((q) => ({ pos: q.pos, state: q.state })),
      answers: [...this.answers].map(([pos, a]) => ({ pos, state: a.state })),
      pendingImportedPromises: this.pendingImported.size,
    };
  }

  /** The tables with their refcounts, as readable text. */
  dump(): string {
    return dumpSession(this.snapshot());
  }

  /** Throws `CapmeshError('INTERNAL')` describing the first broken invariant. */
  check(): void {
    checkSession(this.snapshot());
  }
}

function settledRoute(s: { state: ResolutionState; value: unknown }, to: TargetDesc): Route {
  if (s.state === 'pending') return { kind: 'peer', to };
  if (s.state === 'fulfilled') return { kind: 'forward', value: s.value };
  return { kind: 'broken', reason: s.value };
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
