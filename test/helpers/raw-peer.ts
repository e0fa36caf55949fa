import { Sym, SyrupRecord, type SyrupValue } from '../../src/syrup/types.js';
import { descriptorFromSyrup, dialectFor, exportDesc, importObject, type DeliverOp, type TargetDesc } from '../../src/wire/index.js';
import { formatPeerUri, parseSturdyRef } from '../../src/mesh/uri.js';
import { RawSession } from '../conformance/harness/raw-session.js';
import { suiteLocation } from '../conformance/harness/suite-listener.js';

/** How a question we asked was settled: `fulfill`/`break` and the value (for a break, the error's text). */
export interface Settled {
  readonly verb: 'fulfill' | 'break';
  readonly value: SyrupValue | undefined;
  /** For a break with `<desc:error "…">`: its text (`"CODE: message"` from capmesh). */
  readonly errorText: string | undefined;
}

/**
 * A hostile peer, hand-rolled over tcp-testing-only (the conformance suite's
 * `RawSession`): it sends exactly the ops a test writes. After `open`, a pump
 * reads every message; `ask` returns a promise of the question's settlement
 * and `aborted` resolves with the reason of the peer's `op:abort`.
 */
export class RawPeer {
  readonly aborted: Promise<string>;
  private readonly settled = new Map<number, (s: Settled) => void>();
  private onAbort!: (reason: string) => void;

  private constructor(readonly session: RawSession) {
    this.aborted = new Promise((resolve) => (this.onAbort = resolve));
  }

  /** Dials the vat at `ref` (a sturdyref or peer URI) from a fresh location (random designator), exchanges hellos and starts the pump. */
  static async open(ref: string): Promise<RawPeer> {
    const uri = ref.includes('/s/') ? formatPeerUri(parseSturdyRef(ref).peer) : ref;
    const session = await RawSession.dial(uri, suiteLocation(1), { dialect: dialectFor('spec'), framing: 'syrup' });
    await session.setupSession();
    const peer = new RawPeer(session);
    void peer.pump();
    return peer;
  }

  /** The peer's session key (for a give naming it as the receiver). */
  get peerKey(): Uint8Array {
    return this.session.peerKey!;
  }

  /** A deliver with a fresh resolver; resolves when the peer fulfils or breaks it. */
  ask(to: TargetDesc, args: readonly SyrupValue[]): Promise<Settled> {
    const resolver = this.session.nextImportObject();
    const result = new Promise<Settled>((resolve) => this.settled.set(resolver, resolve));
    this.session.send({ op: 'deliver', to, args, answerPos: null, resolveMe: importObject(resolver) });
    return result;
  }

  sendOnly(to: TargetDesc, args: readonly SyrupValue[]): void {
    this.session.sendOnly(to, args);
  }

  /** `fetch` at the peer's bootstrap; the export position of the object (throws if it breaks). */
  async fetch(swiss: Uint8Array): Promise<number> {
    const s = await this.ask(exportDesc(0), [new Sym('fetch'), swiss]);
    const desc = s.verb === 'fulfill' && s.value !== undefined ? descriptorFromSyrup(s.value) : undefined;
    if (desc?.type !== 'import-object') throw new Error(`fetch did not give an object: ${s.verb} ${s.errorText ?? ''}`);
    return desc.position;
  }

  /** A round trip: a `fetch` of a swiss number nobody registered, answered (broken) once the peer has read everything sent before. */
  async roundTrip(): Promise<Settled> {
    return this.ask(exportDesc(0), [new Sym('fetch'), new TextEncoder().encode('no such swiss number')]);
  }

  /** `'aborted: <reason>'` if the peer aborts before answering a round trip, else `'answered'`. */
  async abortedOrAnswered(): Promise<string> {
    return Promise.race([this.aborted.then((reason) => `aborted: ${reason}`), this.roundTrip().then(() => 'answered')]);
  }

  close(): void {
    this.session.close();
  }

  private async pump(): Promise<void> {
    for (;;) {
      let op;
      try {
        op = (await this.session.next()).op;
      } catch {
        return;
      }
      if (op.op === 'abort') {
        this.onAbort(op.reason);
        return;
      }
      if (op.op !== 'deliver' || op.to.type !== 'export') continue;
      const settle = this.settled.get(op.to.position);
      if (!settle) continue;
      const [verb, value] = (op as DeliverOp).args;
      if (!(verb instanceof Sym) || (verb.name !== 'fulfill' && verb.name !== 'break')) continue;
      this.settled.delete(op.to.position);
      const errorText = value instanceof SyrupRecord && value.labelName === 'desc:error' && typeof value.fields[0] === 'string' ? value.fields[0] : undefined;
      settle({ verb: verb.name, value, errorText });
    }
  }
}
