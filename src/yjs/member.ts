import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import { CapmeshError, E, ERROR_CODES, far, isCapmeshError, reconnecting, type CapmeshErrorCode, type Remote, type Vat } from '../index.js';
import { DEFAULT_MAX_AWARENESS_BYTES, DEFAULT_MAX_UPDATE_BYTES, applyPeerUpdate, checkBytes, positiveOption } from './checks.js';
import type { DocFacet, EditorMemberFacet, Subscriber } from './protocol.js';

/**
 * Where a joined document is: `connecting` (reaching the host, the first
 * time or again), `synced` (joined: the host's state is in, updates flow both
 * ways), `offline` (the host is unreachable; local edits wait and merge on
 * rejoin), `failed` (for good: the link was revoked or is malformed), `closed`.
 */
export type JoinStatus = 'connecting' | 'synced' | 'offline' | 'failed' | 'closed';

export interface JoinDocOptions {
  /** This member's presence, published to the others; theirs are merged into it. Default: a new `Awareness(ydoc)`, destroyed by `close`. */
  readonly awareness?: Awareness;
  /** Largest update the host may push in one call (the initial state included). Default {@link DEFAULT_MAX_UPDATE_BYTES}. */
  readonly maxUpdateBytes?: number;
  /** Largest awareness update the host may push in one call. Default {@link DEFAULT_MAX_AWARENESS_BYTES}. */
  readonly maxAwarenessBytes?: number;
  /** Backoff while the host is unreachable (`reconnecting`'s; defaults 250 ms, doubling, at most 30 s). */
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number; readonly factor?: number };
  /** Told every status change, synchronously, with the error behind `offline` and `failed`. Must not throw. */
  readonly onStatus?: (status: JoinStatus, error?: CapmeshError) => void;
  /** Told when the host refuses an update this member sent (`LIMIT`, `YJS_MALFORMED`…). Default: ignored. */
  readonly onError?: (error: CapmeshError) => void;
}

/** What `joinDoc` gives a member. */
export interface JoinedDoc {
  /** True through a viewer link: local edits stay local and are never sent. */
  readonly readOnly: boolean;
  /** Resolves once the host's state is in `ydoc` (the first sync); rejects if the join fails for good or is closed first. */
  readonly synced: Promise<void>;
  /** Where it is now (see {@link JoinStatus}). */
  readonly status: JoinStatus;
  /** Leaves: the host forgets this member and its presence; nothing is sent any more. Idempotent. */
  close(): void;
}

/** True for a code of `ERROR_CODES` (a code the host sends is data: it may be anything). */
function isErrorCode(code: unknown): code is CapmeshErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

function asCapmeshError(e: unknown): CapmeshError {
  return isCapmeshError(e) ? e : new CapmeshError('BROKEN', String((e as Error)?.message ?? e));
}

/**
 * Joins the document `uri` (an editor or viewer link from `shareDoc`) into
 * `ydoc`. Resolves once the host answered which link this is; `synced`
 * follows once its state is merged into `ydoc`. From then on each local
 * update is sent to the host as it happens (editor only) and the host's
 * pushes are applied as they arrive. When the host goes away, the member
 * re-enlivens the link with backoff and, on rejoin, exchanges state vectors
 * both ways, so edits made while disconnected merge.
 *
 * The host's pushes are hostile input: each is size-checked and decoded
 * before it is applied (`LIMIT`, `YJS_MALFORMED` are thrown back to the host
 * from its next acknowledgement request, and it drops this member; the member
 * then joins again). Local updates and presence are sent fire-and-forget; an
 * update the host refuses is reported to `onError`.
 *
 * Failure: rejects with `NOT_FOUND` for a revoked link, `URI_MALFORMED`,
 * `INVALID_ARGUMENT` for bad options.
 */
export async function joinDoc(vat: Vat, uri: string, ydoc: Y.Doc, options: JoinDocOptions = {}): Promise<JoinedDoc> {
  if (!(ydoc instanceof Y.Doc)) throw new CapmeshError('INVALID_ARGUMENT', '`ydoc` must be a Y.Doc', { detail: { argument: 'ydoc' } });
  const maxUpdate = positiveOption(options.maxUpdateBytes, 'maxUpdateBytes', DEFAULT_MAX_UPDATE_BYTES);
  const maxAwareness = positiveOption(options.maxAwarenessBytes, 'maxAwarenessBytes', DEFAULT_MAX_AWARENESS_BYTES);
  const awareness = options.awareness ?? new Awareness(ydoc);
  const ownsAwareness = options.awareness === undefined;
  const origin = {}; // marks updates that came from the host, so they are not sent back

  let status: JoinStatus = 'connecting';
  let readOnly: boolean | undefined;
  let member: Remote<EditorMemberFacet> | undefined;
  let generation = 0;
  let closed = false;
  let resolveFirst!: (readOnly: boolean) => void;
  let rejectFirst!: (e: CapmeshError) => void;
  const first = new Promise<boolean>((resolve, reject) => ((resolveFirst = resolve), (rejectFirst = reject)));
  let resolveSynced!: () => void;
  let rejectSynced!: (e: CapmeshError) => void;
  const synced = new Promise<void>((resolve, reject) => ((resolveSynced = resolve), (rejectSynced = reject)));
  synced.catch(() => undefined);

  const setStatus = (next: JoinStatus, error?: CapmeshError): void => {
    if (status === next && next !== 'offline') return;
    status = next;
    options.onStatus?.(next, error);
  };
  const forgetOthers = (): void => {
    const others = [...awareness.getStates().keys()].filter((c) => c !== awareness.clientID);
    if (others.length > 0) removeAwarenessStates(awareness, others, origin);
  };
  const lose = (error?: CapmeshError): void => {
    member = undefined;
    generation++;
    forgetOthers();
    if (!closed && status !== 'failed') setStatus(error ? 'offline' : 'connecting', error);
  };
  const fail = (error: CapmeshError): void => {
    if (closed || status === 'failed') return;
    lose();
    setStatus('failed', error);
    rejectFirst(error);
    rejectSynced(error);
    conn.close();
  };

  /**
   * The host's pushes arrive fire-and-forget: a push this member refuses is
   * kept and thrown from the host's next `ack` request, so the host drops
   * this member and tells it (`closed`), and it joins again.
   */
  const subscriber = (gen: number): Remote<Subscriber> => {
    let refusedPush: CapmeshError | undefined;
    const guard = (work: () => void): void => {
      if (gen !== generation || refusedPush) return; // after a refused push, the rest waits for the rejoin
      try {
        work();
      } catch (e) {
        refusedPush = asCapmeshError(e);
        throw e;
      }
    };
    return far('yjs subscriber', {
      update: (update: Uint8Array) => guard(() => applyPeerUpdate(ydoc, update, maxUpdate, origin)),
      awareness: (update: Uint8Array) =>
        guard(() => {
          checkBytes(update, maxAwareness, 'an awareness update');
          try {
            applyAwarenessUpdate(awareness, update, origin);
          } catch (e) {
            throw new CapmeshError('YJS_MALFORMED', 'an awareness update that does not decode', { cause: e });
          }
        }),
      ack: () => {
        if (refusedPush) throw refusedPush;
      },
      refused: (code: string, message: string) => {
        if (gen === generation) options.onError?.(new CapmeshError(isErrorCode(code) ? code : 'BROKEN', String(message)));
      },
      closed: (code: string, message: string) => {
        if (gen !== generation) return;
        if (code === 'NOT_FOUND') return fail(new CapmeshError('NOT_FOUND', message));
        lose(new CapmeshError('DISCONNECTED', message));
        void join();
      },
    }) as unknown as Remote<Subscriber>;
  };

  const join = async (): Promise<void> => {
    const gen = ++generation;
    try {
      const facet = await conn.current();
      if (gen !== generation) return;
      const described = E(facet).describe();
      const reply = E(facet).join(Y.encodeStateVector(ydoc), awareness.clientID, subscriber(gen));
      readOnly = (await described).readOnly === true;
      resolveFirst(readOnly);
      const r = await reply;
      if (gen !== generation || closed) {
        E.sendOnly(r.member).leave();
        return;
      }
      try {
        applyPeerUpdate(ydoc, r.update, maxUpdate, origin);
        checkBytes(r.awareness, maxAwareness, 'an awareness update');
        applyAwarenessUpdate(awareness, r.awareness, origin);
      } catch (e) {
        E.sendOnly(r.member).leave(); // joined, but refused what the host answered: do not stay on its member list
        throw e;
      }
      member = r.member as unknown as Remote<EditorMemberFacet>;
      if (!readOnly) {
        const mine = Y.encodeStateAsUpdate(ydoc, r.stateVector as Uint8Array); // edits the host lacks: made offline
        if (mine.length > 2) send(mine);
      }
      if (awareness.getLocalState() !== null) sendAwareness();
      setStatus('synced');
      resolveSynced();
    } catch (e) {
      const error = asCapmeshError(e);
      if (gen !== generation || closed) return;
      if (error.code === 'DISCONNECTED' || error.code === 'ABORTED') lose(error); // the reconnect loop joins again
      else fail(error);
    }
  };

  // Fire-and-forget both: the host reports a refused update to the subscriber (`refused`), and a lost session reaches us through `reconnecting`.
  const send = (update: Uint8Array): void => {
    const to = member;
    if (to) E.sendOnly(to).update(update);
  };
  const sendAwareness = (): void => {
    const to = member;
    if (to) E.sendOnly(to).awareness(encodeAwarenessUpdate(awareness, [awareness.clientID]));
  };
  const onUpdate = (update: Uint8Array, from: unknown): void => {
    if (from !== origin && readOnly === false) send(update);
  };
  const onAwareness = (change: { added: number[]; updated: number[]; removed: number[] }, from: unknown): void => {
    if (from === origin) return;
    if ([...change.added, ...change.updated, ...change.removed].includes(awareness.clientID)) sendAwareness();
  };

  const conn = reconnecting<DocFacet>(vat, uri, {
    ...(options.reconnect ?? {}),
    onChange: (state, error) => {
      if (closed) return;
      if (state === 'connected') void join();
      else if (state === 'connecting' && error) lose(error);
      else if (state === 'waiting') lose(error);
      else if (state === 'failed') fail(error ?? new CapmeshError('DISCONNECTED', 'gave up'));
    },
  });
  ydoc.on('update', onUpdate);
  awareness.on('update', onAwareness);

  const detach = (): void => {
    ydoc.off('update', onUpdate);
    awareness.off('update', onAwareness);
    if (ownsAwareness) awareness.destroy();
  };
  try {
    readOnly = await first;
  } catch (e) {
    closed = true;
    detach();
    throw e;
  }

  return {
    readOnly,
    synced,
    get status() {
      return status;
    },
    close() {
      if (closed) return;
      const to = member;
      if (to) E.sendOnly(to).leave();
      closed = true;
      generation++;
      member = undefined;
      conn.close();
      detach();
      rejectSynced(new CapmeshError('DISCONNECTED', 'closed before the first sync'));
      status = 'closed';
      options.onStatus?.('closed');
    },
  };
}
