/**
 * The page ↔ worker link: eventual sends between the page and its vat worker
 * as structured-clone messages on one `MessagePort`, without CapTP, Syrup or
 * a second vat. Both ends run the same code (the link is symmetric):
 *
 * - **exports**: local objects (far objects, presences of the worker's vat,
 *   promises) the other side holds, by id; the same object always gets the
 *   same id, so identity holds both ways (a reference passed back unwraps to
 *   the very object).
 * - **imports**: presences (`makePresence`) standing for the other side's
 *   exports, one per id while reachable. A presence that becomes unreachable
 *   (FinalizationRegistry) releases its entry over there with a `drop`
 *   carrying how many times the id arrived, so a drop that crosses a new
 *   export of the same id never releases it early.
 * - **questions / answers**: a call that wants an answer gets a question
 *   number; its result is a remote promise (`makeRemotePromise`), so
 *   `E(E(x).a()).b()` sends `b` to the answer at once (pipelined). The
 *   answering side keeps the answer until the asker says it is done with it
 *   (`fin`, carried on the next message or flushed in a later task).
 *
 * Data crosses with the values the former CapTP link produced (see
 * docs/browser.md, *The page link*): integral numbers arrive as `bigint`,
 * other numbers as numbers; strings, bytes, lists, records, `Tagged`, `Sym`,
 * `Float64` (integral) as themselves; errors as `CapmeshError` with their
 * code, message and (structured-clonable) detail, any other error as
 * `BROKEN` with its message.
 *
 * Ordering: messages leave in the order sends were made and are handled in
 * arrival order. Failure: a message of unknown shape is a `PROTOCOL` error
 * (answered as such when it carries a question, reported to `onError`); a
 * table at `maxEntries` makes the send or the incoming call fail with
 * `LIMIT`; after `close()` (or the other side's) every pending and later
 * call rejects with `DISCONNECTED`. Ownership: the link owns `port` and
 * closes it.
 */
import { CapmeshError, ERROR_CODES, isCapmeshError, type CapmeshErrorCode } from '../util/errors.js';
import { E } from '../vat/eventual.js';
import { isFar } from '../vat/far.js';
import { isPresence, makePresence, makeRemotePromise, settlementOf } from '../vat/handled.js';
import type { EventualHandler } from '../vat/types.js';
import { Float64, Sym, Tagged } from '../syrup/types.js';

/** `PageLinkOptions.maxEntries`'s default. */
export const DEFAULT_PAGE_LINK_MAX_ENTRIES = 10_000;
/** `PageLinkOptions.maxDepth`'s default. */
export const DEFAULT_PAGE_LINK_MAX_DEPTH = 64;

/** `PageLinkOptions.probeMs`'s default. */
export const DEFAULT_PAGE_LINK_PROBE_MS = 15_000;
/** `PageLinkOptions.silenceMs`'s default. */
export const DEFAULT_PAGE_LINK_SILENCE_MS = 45_000;

/** What the link needs of a `FinalizationRegistry` (tests inject one they can trigger). */
export interface LinkRegistry {
  register(target: object, held: ImportToken): void;
}

/** What a collected import's registration holds. */
export interface ImportToken {
  readonly id: number;
}

/** The port as the link uses it (a `MessagePort`, from the page's `MessageChannel`). */
export type LinkPort = Pick<MessagePort, 'postMessage' | 'onmessage' | 'close'>;

export interface PageLinkOptions {
  /** The object the other side reaches with `root()`; none: `root()` calls over there reject with `NOT_FOUND`. */
  readonly root?: object;
  /** Most entries in each table (exports, imports, questions, answers); past it, `LIMIT`. Default 10 000. */
  readonly maxEntries?: number;
  /** Most nested containers in a value that crosses; deeper is `NOT_PASSABLE`. Default 64. */
  readonly maxDepth?: number;
  /** Told of messages the link could not handle (`PROTOCOL`, `LIMIT`), after it answered them where it could. */
  readonly onError?: (error: CapmeshError) => void;
  /**
   * Liveness (a worker that crashed or was terminated sends nothing): after
   * `probeMs` without a message the link asks the other side for a sign of
   * life (checked every `probeMs`, so silence is noticed up to `probeMs` late);
   * after `silenceMs` without one, and with a probe sent at least one check
   * earlier still unanswered (so a page and worker woken from a freeze probe
   * before they judge), it closes with `DISCONNECTED`. Defaults
   * 15 000 and 45 000 ms (the vat session defaults); `probeMs: 0` turns it off.
   */
  readonly probeMs?: number;
  readonly silenceMs?: number;
  /** Makes the registry that reports collected imports. Default: a `FinalizationRegistry`. */
  readonly makeRegistry?: (collected: (token: ImportToken) => void) => LinkRegistry;
}

export interface PageLink {
  /** A reference to the other side's root object (`PageLinkOptions.root`). */
  root<T = unknown>(): T;
  /** Ends the link: tells the other side, rejects pending calls with `DISCONNECTED`, closes the port. Idempotent. */
  close(reason?: string): void;
  /** Settles with the error every later call rejects with, once either side closed the link. */
  readonly closed: Promise<CapmeshError>;
  /** Table sizes (for tests and leak checks). */
  sizes(): { exports: number; imports: number; questions: number; answers: number };
}

const MARK = '\u0000cm';
type Target = { readonly e: number } | { readonly q: number };

interface ExportEntry {
  readonly value: unknown;
  count: number;
}

interface ImportEntry {
  ref: WeakRef<object>;
  token: ImportToken;
  count: number;
}

function protocolError(why: string): CapmeshError {
  return new CapmeshError('PROTOCOL', `page link: ${why}`);
}

function isId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isPlain(x: object): boolean {
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

const KNOWN_CODES = new Set<string>(ERROR_CODES);

/** Detail that survives structured clone, else none. */
function cloneableDetail(detail: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (detail === undefined) return undefined;
  try {
    return structuredClone(detail);
  } catch {
    return undefined;
  }
}

/** Opens the link on `port` (started here: messages flow from now on). */
export function openPageLink(port: LinkPort, options: PageLinkOptions = {}): PageLink {
  const maxEntries = options.maxEntries ?? DEFAULT_PAGE_LINK_MAX_ENTRIES;
  const maxDepth = options.maxDepth ?? DEFAULT_PAGE_LINK_MAX_DEPTH;
  const report = (e: CapmeshError): void => {
    try {
      options.onError?.(e);
    } catch {
      // a failing reporter changes nothing
    }
  };

  const exports = new Map<number, ExportEntry>();
  const exportIds = new Map<unknown, number>();
  let nextExport = 1;
  if (options.root !== undefined) {
    exports.set(0, { value: options.root, count: Number.POSITIVE_INFINITY });
    exportIds.set(options.root, 0);
  }
  const imports = new Map<number, ImportEntry>();
  /** Promises the other side exported, until they settle. */
  const importedPromises = new Map<number, (ok: boolean, value: unknown) => void>();
  const questions = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void; promise: Promise<unknown> }>();
  const questionOf = new WeakMap<object, number>();
  let nextQuestion = 1;
  const answers = new Map<number, Promise<unknown>>();
  const presenceIds = new WeakMap<object, number>();
  let rootPresence: object | undefined;

  let closedError: CapmeshError | undefined;
  let markClosed!: (e: CapmeshError) => void;
  const closed = new Promise<CapmeshError>((resolve) => (markClosed = resolve));

  const registry: LinkRegistry = options.makeRegistry
    ? options.makeRegistry(collected)
    : new FinalizationRegistry<ImportToken>((token) => collected(token));

  // ---- sending

  let fins: number[] = [];
  let finTimer: ReturnType<typeof setTimeout> | undefined;
  const send = (message: Record<string, unknown>): void => {
    if (closedError) return;
    if (fins.length > 0) {
      message['f'] = fins;
      fins = [];
    }
    port.postMessage(message);
  };
  const finish = (q: number): void => {
    fins.push(q);
    if (finTimer !== undefined) return;
    finTimer = setTimeout(() => {
      finTimer = undefined;
      if (fins.length > 0) send({ t: 'fin' });
    }, 0);
  };

  // ---- encoding

  /** Exports made by the encoding under way, undone if it fails (so a refused value leaks no entry). */
  let journal: number[] = [];
  const release = (id: number, n: number): boolean => {
    const entry = exports.get(id);
    if (!entry) return false;
    entry.count -= n;
    if (entry.count <= 0) {
      exports.delete(id);
      if (exportIds.get(entry.value) === id) exportIds.delete(entry.value);
    }
    return true;
  };
  const encodeAll = (values: readonly unknown[]): unknown[] => {
    journal = [];
    try {
      return values.map((v) => encode(v, 1));
    } catch (e) {
      for (const id of journal) release(id, 1);
      throw e;
    } finally {
      journal = [];
    }
  };

  const exportValue = (value: unknown): number => {
    let id = exportIds.get(value);
    if (id === undefined) {
      if (exports.size >= maxEntries) throw new CapmeshError('LIMIT', `page link: more than ${maxEntries} exported references`, { detail: { maxEntries } });
      id = nextExport++;
      exports.set(id, { value, count: 0 });
      exportIds.set(value, id);
    }
    exports.get(id)!.count += 1;
    journal.push(id);
    return id;
  };

  const exportPromise = (p: Promise<unknown>): number => {
    if (exports.size >= maxEntries) throw new CapmeshError('LIMIT', `page link: more than ${maxEntries} exported references`, { detail: { maxEntries } });
    const id = nextExport++;
    exports.set(id, { value: p, count: 1 });
    journal.push(id);
    p.then(
      (v) => settle(id, true, v),
      (e: unknown) => settle(id, false, e),
    );
    return id;
  };
  const settle = (id: number, ok: boolean, value: unknown): void => {
    if (!exports.has(id)) return; // never sent (its encoding failed) or the link closed
    send({ t: 'settle', i: id, ...encodeOutcome(ok, value) });
  };

  /** A fulfilment or rejection as it crosses; a value that cannot be encoded turns it into a rejection with that error. */
  function encodeOutcome(ok: boolean, value: unknown): { ok: boolean; v: unknown } {
    try {
      return ok ? { ok, v: encodeAll([value])[0] } : { ok, v: encodeError(value) };
    } catch (e) {
      return { ok: false, v: encodeError(e) };
    }
  }

  const notPassable = (why: string): never => {
    throw new CapmeshError('NOT_PASSABLE', `a value for the page link is not passable: ${why}`);
  };

  function encodeError(e: unknown): Record<string, unknown> {
    if (isCapmeshError(e)) {
      const detail = cloneableDetail(e.detail);
      return { [MARK]: 'x', c: e.code, m: e.message, ...(detail ? { d: detail } : {}) };
    }
    return { [MARK]: 'x', c: 'BROKEN', m: e instanceof Error ? String(e.message) : String(e) };
  }

  function encode(x: unknown, depth: number): unknown {
    switch (typeof x) {
      case 'number':
        return Number.isInteger(x) ? BigInt(x) : x;
      case 'string':
      case 'bigint':
      case 'boolean':
      case 'undefined':
        return x;
      case 'function':
        if (isFar(x)) return { [MARK]: 'e', i: exportValue(x) };
        return notPassable('a plain function (wrap it with far())');
      case 'symbol':
        return notPassable('a JavaScript symbol');
      case 'object':
        break;
    }
    if (x === null) return null;
    const obj = x as object;
    if (depth >= maxDepth) notPassable(`nested more than ${maxDepth} containers deep (or cyclic)`);
    if (obj instanceof Uint8Array) return obj;
    if (Array.isArray(obj)) return obj.map((v: unknown) => encode(v, depth + 1));
    const mine = presenceIds.get(obj);
    if (mine !== undefined) return { [MARK]: 'y', i: mine };
    const q = questionOf.get(obj);
    if (q !== undefined) {
      const s = settlementOf(obj);
      if (s === undefined) return { [MARK]: 'a', i: q };
      return s.status === 'fulfilled' ? encode(s.value, depth) : { [MARK]: 'p', i: exportPromise(obj as Promise<unknown>) };
    }
    if (isFar(obj) || isPresence(obj)) return { [MARK]: 'e', i: exportValue(obj) };
    if (obj instanceof Promise) return { [MARK]: 'p', i: exportPromise(obj) };
    if (obj instanceof Error) return encodeError(obj);
    if (obj instanceof Tagged) return { [MARK]: 't', g: obj.tag, v: encode(obj.value, depth + 1) };
    if (obj instanceof Sym) return { [MARK]: 's', n: obj.name };
    if (obj instanceof Float64) return Number.isInteger(obj.value) ? { [MARK]: 'f', v: obj.value } : obj.value;
    if (!isPlain(obj)) return notPassable('an instance of a class (only plain data, far objects and promises cross)');
    if (Object.getOwnPropertySymbols(obj).length > 0) notPassable('a record with symbol keys');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) out[key] = encode((obj as Record<string, unknown>)[key], depth + 1);
    return Object.hasOwn(out, MARK) ? { [MARK]: 'o', v: out } : out;
  }

  // ---- decoding (throws PROTOCOL on a shape it does not know)

  function importRef(id: number): object {
    const entry = imports.get(id);
    const live = entry?.ref.deref();
    if (entry && live) {
      entry.count += 1;
      return live;
    }
    if (!entry && imports.size >= maxEntries) throw new CapmeshError('LIMIT', `page link: more than ${maxEntries} imported references`, { detail: { maxEntries } });
    const presence = makePresence('page link reference', targetHandler({ e: id }));
    presenceIds.set(presence, id);
    const token: ImportToken = { id };
    // A collected-but-not-yet-finalized predecessor's count carries over: the new presence's drop releases it all.
    imports.set(id, { ref: new WeakRef(presence), token, count: (entry?.count ?? 0) + 1 });
    registry.register(presence, token);
    return presence;
  }

  function importPromise(id: number): Promise<unknown> {
    if (importedPromises.has(id)) throw protocolError(`promise ${id} arrived twice`);
    if (importedPromises.size >= maxEntries) throw new CapmeshError('LIMIT', `page link: more than ${maxEntries} imported promises`, { detail: { maxEntries } });
    const kit = makeRemotePromise(targetHandler({ e: id }));
    importedPromises.set(id, (ok, value) => {
      importedPromises.delete(id);
      if (ok) kit.resolve(value);
      else kit.reject(value);
      send({ t: 'drop', i: id, n: 1 });
    });
    return kit.promise;
  }

  function decodeError(x: Record<string, unknown>): CapmeshError {
    const { c, m, d } = x;
    if (typeof c !== 'string' || typeof m !== 'string' || !(d === undefined || (typeof d === 'object' && d !== null))) throw protocolError('a malformed error');
    const code: CapmeshErrorCode = KNOWN_CODES.has(c) ? (c as CapmeshErrorCode) : 'BROKEN';
    return new CapmeshError(code, m, d === undefined ? {} : { detail: d as Record<string, unknown> });
  }

  function decodeRecord(r: Record<string, unknown>, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(r)) Object.defineProperty(out, key, { value: decode(r[key], depth + 1), enumerable: true, writable: true, configurable: true });
    return out;
  }

  function decode(x: unknown, depth: number): unknown {
    if (typeof x !== 'object' || x === null) {
      if (typeof x === 'function' || typeof x === 'symbol') throw protocolError(`a ${typeof x} in a value`);
      return x;
    }
    if (depth >= maxDepth) throw protocolError('a value nested too deep');
    if (x instanceof Uint8Array) return x;
    if (Array.isArray(x)) return x.map((v: unknown) => decode(v, depth + 1));
    if (!isPlain(x)) throw protocolError('an object of an unknown kind in a value');
    const r = x as Record<string, unknown>;
    if (!Object.hasOwn(r, MARK)) return decodeRecord(r, depth);
    switch (r[MARK]) {
      case 'e':
        if (!isId(r['i'])) break;
        return importRef(r['i']);
      case 'y': {
        if (!isId(r['i'])) break;
        const entry = exports.get(r['i']);
        if (!entry) throw protocolError(`no export ${r['i']}`);
        return entry.value;
      }
      case 'a': {
        if (!isId(r['i'])) break;
        const answer = answers.get(r['i']);
        if (!answer) throw protocolError(`no answer ${r['i']}`);
        return answer;
      }
      case 'p':
        if (!isId(r['i'])) break;
        return importPromise(r['i']);
      case 'x':
        return decodeError(r);
      case 't':
        if (typeof r['g'] !== 'string') break;
        return new Tagged(r['g'], decode(r['v'], depth + 1) as never);
      case 's':
        if (typeof r['n'] !== 'string') break;
        return new Sym(r['n']);
      case 'f':
        if (typeof r['v'] !== 'number') break;
        return new Float64(r['v']);
      case 'o': {
        const v = r['v'];
        if (typeof v !== 'object' || v === null || !isPlain(v)) break;
        return decodeRecord(v as Record<string, unknown>, depth);
      }
    }
    throw protocolError(`a malformed ${JSON.stringify(String(r[MARK]))} value`);
  }

  // ---- asking

  function ask(target: Target, op: Record<string, unknown>): Promise<unknown> {
    if (closedError) return Promise.reject(closedError);
    if (questions.size >= maxEntries) return Promise.reject(new CapmeshError('LIMIT', `page link: more than ${maxEntries} unanswered calls`, { detail: { maxEntries } }));
    const q = nextQuestion++;
    const kit = makeRemotePromise(targetHandler({ q }));
    try {
      const encoded = encodeOp(op);
      questions.set(q, { resolve: kit.resolve, reject: kit.reject, promise: kit.promise });
      questionOf.set(kit.promise, q);
      send({ ...encoded, q, to: target });
    } catch (e) {
      kit.reject(e);
    }
    return kit.promise;
  }

  function encodeOp(op: Record<string, unknown>): Record<string, unknown> {
    return op['t'] === 'call' ? { t: 'call', m: op['m'], a: encodeAll(op['a'] as unknown[]) } : op;
  }

  function targetHandler(target: Target): EventualHandler {
    return {
      applyMethod: (method, args) => ask(target, { t: 'call', m: method ?? null, a: args }),
      sendOnly(method, args) {
        if (closedError) return;
        try {
          send({ t: 'call', q: 0, to: target, m: method ?? null, a: encodeAll(args) });
        } catch {
          // sendOnly drops its failures
        }
      },
      get: (field) => ask(target, { t: 'get', k: field }),
      index: (i) => ask(target, { t: 'index', k: i }),
      untag: (tag) => ask(target, { t: 'untag', k: tag }),
    };
  }

  function collected(token: ImportToken): void {
    const entry = imports.get(token.id);
    if (!entry || entry.token !== token) return; // a newer presence owns the entry now
    imports.delete(token.id);
    send({ t: 'drop', i: token.id, n: entry.count });
  }

  // ---- answering

  function localTarget(to: unknown): unknown {
    if (typeof to !== 'object' || to === null) throw protocolError('a message without a target');
    const t = to as Record<string, unknown>;
    if (isId(t['e'])) {
      const entry = exports.get(t['e']);
      if (!entry) throw new CapmeshError(t['e'] === 0 ? 'NOT_FOUND' : 'PROTOCOL', t['e'] === 0 ? 'page link: this side has no root object' : `page link: no export ${t['e']}`);
      return entry.value;
    }
    if (isId(t['q'])) {
      const answer = answers.get(t['q']);
      if (!answer) throw protocolError(`no answer ${t['q']}`);
      return answer;
    }
    throw protocolError('a malformed target');
  }

  function perform(m: Record<string, unknown>): Promise<unknown> | undefined {
    const target = localTarget(m['to']);
    switch (m['t']) {
      case 'call': {
        const method = m['m'];
        if (method !== null && typeof method !== 'string') throw protocolError('a call with a malformed method');
        if (!Array.isArray(m['a'])) throw protocolError('a call without arguments');
        const args = (m['a'] as unknown[]).map((v) => decode(v, 1));
        if (m['q'] === 0) {
          const proxy = E.sendOnly(target) as unknown as ((...a: unknown[]) => void) & Record<string, (...a: unknown[]) => void>;
          if (method === null) proxy(...args);
          else proxy[method]!(...args);
          return undefined;
        }
        const proxy = E(target) as unknown as ((...a: unknown[]) => Promise<unknown>) & Record<string, (...a: unknown[]) => Promise<unknown>>;
        return method === null ? proxy(...args) : proxy[method]!(...args);
      }
      case 'get':
        if (typeof m['k'] !== 'string') break;
        return E.get(target, m['k']);
      case 'index':
        if (!isId(m['k'])) break;
        return E.index(target, m['k']);
      case 'untag':
        if (typeof m['k'] !== 'string') break;
        return E.untag(target, m['k']);
    }
    throw protocolError(`a malformed ${JSON.stringify(String(m['t']))} message`);
  }

  function answer(q: number, ok: boolean, value: unknown): void {
    send({ t: 'ans', q, ...encodeOutcome(ok, value) });
  }

  function onCall(m: Record<string, unknown>): void {
    const q = m['q'];
    if (!isId(q)) throw protocolError('a message with a malformed question number');
    if (q !== 0 && answers.has(q)) throw protocolError(`question ${q} is already in use`);
    let result: Promise<unknown> | undefined;
    try {
      if (q !== 0 && answers.size >= maxEntries) throw new CapmeshError('LIMIT', `page link: more than ${maxEntries} open answers`, { detail: { maxEntries } });
      result = perform(m);
    } catch (e) {
      if (q === 0) throw e;
      result = Promise.reject(e);
      if (isCapmeshError(e) && (e.code === 'PROTOCOL' || e.code === 'LIMIT')) report(e);
    }
    if (q === 0 || result === undefined) return;
    answers.set(q, result);
    result.then(
      (v) => answer(q, true, v),
      (e: unknown) => answer(q, false, e),
    );
  }

  function onAnswer(m: Record<string, unknown>): void {
    const q = m['q'];
    const question = isId(q) ? questions.get(q) : undefined;
    if (!question || typeof m['ok'] !== 'boolean') throw protocolError('an answer to no question');
    questions.delete(q as number);
    // Whatever happens to the value, the other side may forget the answer once we stop pipelining to it.
    finish(q as number);
    try {
      if (m['ok']) question.resolve(decode(m['v'], 0));
      else {
        const v = m['v'];
        question.reject(typeof v === 'object' && v !== null && (v as Record<string, unknown>)[MARK] === 'x' ? decodeError(v as Record<string, unknown>) : protocolError('a rejection that is not an error'));
      }
    } catch (e) {
      question.reject(e);
      throw e;
    }
  }

  function onMessage(data: unknown): void {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw protocolError('a message that is not a record');
    const m = data as Record<string, unknown>;
    const f = m['f'];
    if (f !== undefined) {
      if (!Array.isArray(f) || !f.every(isId)) throw protocolError('a malformed finish list');
      for (const q of f) answers.delete(q);
    }
    switch (m['t']) {
      case 'call':
      case 'get':
      case 'index':
      case 'untag':
        return onCall(m);
      case 'ans':
        return onAnswer(m);
      case 'fin':
      case 'pong':
        return;
      case 'ping':
        return send({ t: 'pong' });
      case 'drop': {
        const { i, n } = m;
        if (!isId(i) || !isId(n) || i === 0) throw protocolError('a malformed drop');
        if (!release(i, n)) throw protocolError(`a drop of no export ${i}`);
        return;
      }
      case 'settle': {
        const i = m['i'];
        const settleIt = isId(i) ? importedPromises.get(i) : undefined;
        if (!settleIt || typeof m['ok'] !== 'boolean') throw protocolError('a settlement of no promise');
        const v = m['v'];
        if (m['ok']) settleIt(true, decode(v, 0));
        else settleIt(false, typeof v === 'object' && v !== null && (v as Record<string, unknown>)[MARK] === 'x' ? decodeError(v as Record<string, unknown>) : protocolError('a rejection that is not an error'));
        return;
      }
      case 'bye':
        return shut(new CapmeshError('DISCONNECTED', `the page link was closed by the other side: ${typeof m['reason'] === 'string' ? m['reason'] : 'no reason'}`), false);
    }
    throw protocolError(`a message of unknown type ${JSON.stringify(String(m['t']))}`);
  }

  const probeMs = options.probeMs ?? DEFAULT_PAGE_LINK_PROBE_MS;
  const silenceMs = options.silenceMs ?? DEFAULT_PAGE_LINK_SILENCE_MS;
  let lastHeard = Date.now();
  // Probes sent since we last heard anything. Silence alone never closes the
  // link: a page and its worker frozen together (bfcache, a frozen tab) wake
  // with the clock far ahead, so the first tick after that only probes, and
  // the link closes only when a probe sent a tick earlier is still unanswered.
  let unansweredProbes = 0;
  const probe =
    probeMs > 0
      ? setInterval(() => {
          const silent = Date.now() - lastHeard;
          if (silent >= silenceMs && unansweredProbes >= 2) shut(new CapmeshError('DISCONNECTED', `the page link heard nothing for ${silent} ms`, { detail: { silenceMs } }), true);
          else if (silent >= probeMs) {
            unansweredProbes++;
            send({ t: 'ping' });
          }
        }, probeMs)
      : undefined;
  (probe as { unref?: () => void } | undefined)?.unref?.();

  port.onmessage = (event: MessageEvent) => {
    if (closedError) return;
    lastHeard = Date.now();
    unansweredProbes = 0;
    try {
      onMessage(event.data);
    } catch (e) {
      report(isCapmeshError(e) ? e : new CapmeshError('PROTOCOL', `page link: ${String(e)}`, { cause: e }));
    }
  };

  function shut(error: CapmeshError, tell: boolean): void {
    if (closedError) return;
    if (tell) send({ t: 'bye', reason: error.message });
    closedError = error;
    if (finTimer !== undefined) clearTimeout(finTimer);
    if (probe !== undefined) clearInterval(probe);
    for (const q of questions.values()) q.reject(error);
    questions.clear();
    for (const s of importedPromises.values()) s(false, error);
    importedPromises.clear();
    answers.clear();
    exports.clear();
    exportIds.clear();
    port.onmessage = null;
    port.close();
    markClosed(error);
  }

  return {
    root: <T>() => importRoot() as T,
    close(reason = 'closed') {
      shut(new CapmeshError('DISCONNECTED', `the page link is closed (${reason})`, { detail: { linkClosed: true } }), true);
    },
    closed,
    sizes: () => ({ exports: exports.size, imports: imports.size, questions: questions.size, answers: answers.size }),
  };

  function importRoot(): object {
    if (rootPresence) return rootPresence;
    const presence = makePresence('page link root', targetHandler({ e: 0 }));
    presenceIds.set(presence, 0);
    // The root is held for the link's life and never dropped: no registration.
    rootPresence = presence;
    return presence;
  }
}
