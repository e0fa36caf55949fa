import { afterEach, describe, expect, it } from 'vitest';
import { createVat, E, far, float64, formatPeerUri, type EngineVat } from '../../src/index.js';
import { tcpTestingOnlyNetlayer } from '../../src/node.js';
import { createMemoryNetwork } from '../../src/testing.js';
import { createManualFinalizer } from '../../src/captp/index.js';
import { decode } from '../../src/syrup/decode.js';
import { Float64, Sym, SyrupRecord, type SyrupValue } from '../../src/syrup/types.js';
import { utf8Encode } from '../../src/util/bytes.js';
import { answerDesc, descriptorFromSyrup, descriptorToSyrup, dialectFor, exportDesc, importObject, importPromise, type DeliverOp, type Dialect } from '../../src/wire/index.js';
import type { Connection, Netlayer } from '../../src/netlayer/types.js';
import { RawSession, importArg, type Received } from '../conformance/harness/raw-session.js';
import { suiteLocation } from '../conformance/harness/suite-listener.js';

/**
 * One capmesh vat (the hub) with three sessions open at once, each written in
 * its peer's dialect:
 *
 * - S, a capmesh vat on `spec`: the hub's default, nothing to learn;
 * - G, a scripted peer writing Goblins forms with version "1.0" (newer
 *   Goblins): the hub learns deliver-only, the 3-field listen and the
 *   single-position GC records from G's first messages;
 * - N, a scripted peer writing Endo forms: configured by locator
 *   (`VatOptions.dialects`), because Endo's −0 folding cannot be learned.
 *
 * The scripted peers refuse any record their dialect cannot read (the
 * conformance harness's check), and the test asserts the exact form of what
 * each peer receives: fire-and-forget, listen fields, GC records, −0.
 */

const ECHO = utf8Encode('echo');
const vats: EngineVat[] = [];
const raws: RawSession[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.close();
  await Promise.all(vats.splice(0).map((v) => v.close()));
});

/** Every message a recorded netlayer's connections received, decoded, with a way to wait for one. */
class Seen {
  readonly records: SyrupRecord[] = [];
  private waiters: { where: (r: SyrupRecord) => boolean; resolve: (r: SyrupRecord) => void }[] = [];

  push(record: SyrupRecord): void {
    this.records.push(record);
    for (const w of [...this.waiters]) {
      if (w.where(record)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(record);
      }
    }
  }

  /** The first record from index `from` on that matches `where` (now, or when it arrives). */
  first(from: number, where: (r: SyrupRecord) => boolean): Promise<SyrupRecord> {
    const found = this.records.slice(from).find(where);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ where, resolve }));
  }
}

/** `netlayer`, with every message its connections receive kept (decoded) in `seen`. */
function recording(netlayer: Netlayer, seen: Seen): Netlayer {
  const wrap = (connection: Connection): Connection =>
    new Proxy(connection, {
      get(target, key) {
        if (key === 'setReceiver') {
          return (receiver: Parameters<Connection['setReceiver']>[0]) =>
            target.setReceiver({
              ...receiver,
              message: (bytes) => {
                seen.push(decode(bytes) as SyrupRecord);
                receiver.message(bytes);
              },
            });
        }
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  return {
    transport: netlayer.transport,
    attach: (binding) => netlayer.attach({ ...binding, onConnection: (c) => binding.onConnection(wrap(c)) }),
    connect: async (locator) => wrap(await netlayer.connect(locator)),
    close: () => netlayer.close(),
  };
}

/** Field shape of a record: `f` false, `[]` a list (GC only), `-0`/`+0` floats, `·` anything else. */
function shape(record: SyrupRecord): string {
  const gc = record.labelName!.startsWith('op:gc-');
  const field = (x: SyrupValue): string => (gc && Array.isArray(x) ? '[]' : x === false ? 'f' : '·');
  return [record.labelName, ...record.fields.map(field)].join(' ');
}

/** The floats in a fulfill's value list, as `-0`/`+0`/number. */
function floatsIn(value: SyrupValue): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is Float64 => v instanceof Float64).map((f) => (Object.is(f.value, -0) ? '-0' : Object.is(f.value, 0) ? '+0' : String(f.value)));
}

/** Reads until a message whose label is in `labels`. */
async function nextOf(session: RawSession, labels: readonly string[]): Promise<Received> {
  for (;;) {
    const r = await session.next();
    if (labels.includes(r.record.labelName!)) return r;
  }
}

/** Dials the hub as a scripted peer writing `dialect`, exchanges hellos. */
async function rawPeer(uri: string, dialect: 'goblins' | 'endo', location = suiteLocation(1)): Promise<RawSession> {
  const session = await RawSession.dial(uri, location, { dialect: dialectFor(dialect), framing: 'syrup' });
  raws.push(session);
  await session.setupSession();
  return session;
}

/** Fetches the hub's echo object; returns its export position at the hub. */
async function fetchEcho(session: RawSession): Promise<number> {
  const { resolver } = session.ask(exportDesc(0), [new Sym('fetch'), ECHO]);
  const r = await session.expectResolution(resolver);
  const desc = descriptorFromSyrup((r.op as DeliverOp).args[1] as SyrupValue);
  if (desc?.type !== 'import-object') throw new Error('no echo object');
  return desc.position;
}

/** Calls echo with a promise, an object and −0 of the peer's; returns what the hub wrote back. */
async function echoCall(session: RawSession, echo: number): Promise<{ listen: Received; fulfill: Received }> {
  const promiseArg = descriptorToSyrup(importPromise(session.nextImportObject()));
  const objectArg = importArg(session.nextImportObject());
  const { resolver } = session.ask(exportDesc(echo), [promiseArg, objectArg, new Float64(-0)]);
  // The hub imports the promise and listens to it at once, before it answers.
  const listen = await session.expect('listen');
  const fulfill = await session.expectDeliverTo(resolver);
  return { listen, fulfill };
}

describe('per-peer dialects: one vat, three peers, three dialects at once', () => {
  it('writes spec to a capmesh vat, Goblins forms (learned) to a Goblins peer and Endo forms (configured) to an Endo peer', async () => {
    const finalizer = createManualFinalizer();
    const endoLocation = suiteLocation(1);
    const hub = await createVat({
      netlayers: [tcpTestingOnlyNetlayer({ host: '127.0.0.1', port: 0 })],
      dialects: (peer) => (peer.designator === endoLocation.designator ? 'endo' : undefined),
      finalizer: finalizer.factory,
    });
    vats.push(hub);
    const echoUri = await hub.register(
      far('echo', (...args: unknown[]) => args),
      { swiss: ECHO },
    );
    const uri = formatPeerUri(hub.locators()[0]!);

    // S: a capmesh vat on spec, whose received messages we record.
    const seenByS = new Seen();
    const s = await createVat({ netlayers: [recording(tcpTestingOnlyNetlayer({ host: '127.0.0.1', port: 0 }), seenByS)] });
    vats.push(s);
    const echoForS = await s.enliven<(...args: unknown[]) => unknown[]>(echoUri);

    // G: writes Goblins forms and says version "1.0". Its first messages reveal every form before
    // the hub writes anything in the session: a deliver-only, a 3-field listen on an answer, a single gc-answer.
    const g = await rawPeer(uri, 'goblins');
    g.sendOnly(exportDesc(0), [new Sym('fetch'), ECHO]);
    const answer = g.nextAnswer();
    const resolver = g.nextImportObject();
    g.send({ op: 'deliver', to: exportDesc(0), args: [new Sym('fetch'), ECHO], answerPos: answer, resolveMe: null });
    g.send({ op: 'listen', to: answerDesc(answer), listenDesc: importObject(resolver) });
    const fetched = await g.expectDeliverTo(resolver);
    expect(shape(fetched.record)).toBe('op:deliver-only · ·');
    const gEcho = descriptorFromSyrup(fetched.op.args[1] as SyrupValue);
    if (gEcho?.type !== 'import-object') throw new Error('no echo object for G');
    g.send({ op: 'gc-answers', positions: [answer] });
    // A round trip: the hub has read G's op:gc-answer once it answers this.
    await fetchEcho(g);

    // N: writes Endo forms; the hub writes endo to it from the first message (configured).
    const n = await rawPeer(uri, 'endo', endoLocation);
    const nEcho = await fetchEcho(n);

    // All three sessions are open at once, each with its own dialect.
    const sessions = hub.sessions();
    expect(sessions).toHaveLength(3);
    const byDesignator = new Map(sessions.map((x) => [x.designator, x]));
    expect(byDesignator.get(s.locators()[0]!.designator)).toMatchObject({ dialect: 'spec', dialectSource: 'default' });
    expect(byDesignator.get(g.location.designator)).toMatchObject({ dialect: 'goblins', dialectSource: 'learned' });
    expect(byDesignator.get(endoLocation.designator)).toMatchObject({ dialect: 'endo', dialectSource: 'configured' });

    // One echo call from each peer, concurrently: a promise (the hub listens), an object and −0.
    const pending = new Promise<never>(() => undefined);
    const gift = far('S gift', {});
    const mark = seenByS.records.length;
    const [sResult, gCall, nCall] = await Promise.all([
      E(echoForS)(pending, gift, float64(-0)),
      echoCall(g, gEcho.position),
      echoCall(n, nEcho),
    ]);
    expect(sResult).toHaveLength(3);
    const sListen = await seenByS.first(mark, (r) => r.labelName === 'op:listen');
    const isFulfill = (r: SyrupRecord): boolean => r.labelName === 'op:deliver' && ((r.fields[1] as SyrupValue[])[0] as Sym | undefined)?.name === 'fulfill';
    const sFulfill = await seenByS.first(mark, isFulfill);

    // Listen: 2 fields to S, 3 to G and N.
    expect(shape(sListen)).toBe('op:listen · ·');
    expect(shape(gCall.listen.record)).toBe('op:listen · · f');
    expect(shape(nCall.listen.record)).toBe('op:listen · · f');
    // Fire-and-forget (the fulfill): op:deliver … f f to S and N, op:deliver-only to G.
    expect(shape(sFulfill)).toBe('op:deliver · · f f');
    expect(shape(gCall.fulfill.record)).toBe('op:deliver-only · ·');
    expect(shape(nCall.fulfill.record)).toBe('op:deliver · · f f');
    // −0: kept for S and G, folded to +0 for N.
    expect(floatsIn((sFulfill.fields[1] as SyrupValue[])[1]!)).toEqual(['-0']);
    expect(floatsIn((gCall.fulfill.op as DeliverOp).args[1]!)).toEqual(['-0']);
    expect(floatsIn((nCall.fulfill.op as DeliverOp).args[1]!)).toEqual(['+0']);

    // One collection releases what the hub imported from all three: each peer gets its own GC form.
    const gcMark = seenByS.records.length;
    finalizer.collectAll();
    const gGc = await nextOf(g, ['op:gc-export', 'op:gc-exports']);
    const nGc = await nextOf(n, ['op:gc-export', 'op:gc-exports']);
    const sGc = await seenByS.first(gcMark, (r) => r.labelName === 'op:gc-export' || r.labelName === 'op:gc-exports');
    expect(shape(sGc)).toBe('op:gc-exports [] []');
    expect(shape(gGc.record)).toBe('op:gc-export · ·');
    expect(shape(nGc.record)).toBe('op:gc-exports [] []');

    // Still all live, each still in its dialect.
    expect(hub.sessions().map((x) => x.dialect).sort()).toEqual(['endo', 'goblins', 'spec']);
  });
});

describe('per-peer dialects between two vats: configured on one side, learned from the version on the other', () => {
  const goblins012 = dialectFor('goblins', { captpVersion: 'goblins-0.12' });

  async function pair(options: { learnDialects?: boolean; dialects?: (designator: string) => unknown } = {}) {
    const network = createMemoryNetwork();
    const b = await createVat({ netlayers: [network.netlayer()], ...(options.learnDialects !== undefined ? { learnDialects: options.learnDialects } : {}) });
    vats.push(b);
    const uri = await b.register(far('echo', (...args: unknown[]) => args));
    const bDesignator = b.locators()[0]!.designator;
    const a = await createVat({
      netlayers: [network.netlayer()],
      dialects: (peer) => (options.dialects ?? ((d) => (d === bDesignator ? goblins012 : undefined)))(peer.designator) as Dialect | undefined,
    });
    vats.push(a);
    return { a, b, uri };
  }

  it('A writes the Goblins dialect it was told to (version goblins-0.12 in its hello); B learns it from that version', async () => {
    const { a, b, uri } = await pair();
    const echo = await a.enliven<(...args: unknown[]) => unknown[]>(uri);
    expect(await E(echo)('hi', 1n)).toEqual(['hi', 1n]);
    expect(a.sessions().map((x) => [x.dialect, x.dialectSource])).toEqual([['goblins', 'configured']]);
    expect(b.sessions().map((x) => [x.dialect, x.dialectSource])).toEqual([['goblins@goblins-0.12', 'learned']]);
  });

  it('with learnDialects: false, B refuses the unknown version (BAD_VERSION) and opens nothing', async () => {
    const { a, b, uri } = await pair({ learnDialects: false });
    await expect(a.enliven(uri)).rejects.toThrow(/BAD_VERSION/);
    expect(b.sessions()).toEqual([]);
  });

  it('a dialects() answer that names no dialect fails that dial with INVALID_ARGUMENT', async () => {
    const { a, uri } = await pair({ dialects: () => 'klingon' });
    await expect(a.enliven(uri)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(a.sessions()).toEqual([]);
  });

  it('on a connection it accepts, a vat whose dialects() names no dialect aborts that connection only (INVALID_ARGUMENT)', async () => {
    const network = createMemoryNetwork();
    const b = await createVat({ netlayers: [network.netlayer()], dialects: () => 'klingon' as Dialect['name'] as 'spec' });
    vats.push(b);
    const uri = await b.register(far('echo', (...args: unknown[]) => args));
    const a = await createVat({ netlayers: [network.netlayer()] });
    vats.push(a);
    await expect(a.enliven(uri)).rejects.toThrow(/INVALID_ARGUMENT/);
    expect(b.sessions()).toEqual([]);
  });
});
