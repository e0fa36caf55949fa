import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { afterEach, describe, expect, it } from 'vitest';
import { CapmeshError, E, far, type CapmeshErrorCode, type Remote } from '../../src/index.js';
import { createMemoryNetwork } from '../../src/testing.js';
import { joinDoc, shareDoc, type DocFacet, type Subscriber } from '../../src/yjs/index.js';
import { closeVats, converged, statusLog, vatOn, whenText } from './helpers.js';

afterEach(closeVats);

/** An hour: a timer that never fires within a test, so only the rule under test can ask for acks. */
const NEVER_MS = 3_600_000;

/**
 * A subscriber of the test's own that logs what reaches it, in order: `u`
 * for an update push, `a` for an ack request; `until(n)` resolves once the
 * log has `n` entries.
 */
function logger(): { sub: Remote<Subscriber>; log: string[]; until(n: number): Promise<void> } {
  const log: string[] = [];
  let waiters: { n: number; resolve(): void }[] = [];
  const note = (entry: string): void => {
    log.push(entry);
    const hit = waiters.filter((w) => log.length >= w.n);
    waiters = waiters.filter((w) => log.length < w.n);
    for (const w of hit) w.resolve();
  };
  const sub = far('logger', {
    update: () => note('u'),
    awareness: () => undefined,
    ack: () => note('a'),
    refused: () => undefined,
    closed: () => undefined,
  }) as unknown as Remote<Subscriber>;
  return {
    sub,
    log,
    until: (n) => (log.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

describe('fire-and-forget pushes with batched acknowledgements', () => {
  it('asks for one acknowledgement per ackEvery pushes, each after the pushes it covers', async () => {
    const network = createMemoryNetwork();
    const [host, guest] = await Promise.all([vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    const share = await shareDoc(host, hd, { ackEvery: 4, ackDelayMs: NEVER_MS });
    const facet = await guest.enliven<DocFacet>(share.viewer);
    const rec = logger();
    await E(facet).join(Y.encodeStateVector(new Y.Doc()), 21, rec.sub);
    for (let i = 0; i < 12; i++) hd.getText('t').insert(0, 'x'); // 12 transactions: 12 pushes
    await rec.until(15);
    // Anything sent with the pushes would arrive before this answer on the same session.
    await E(facet).describe();
    expect(rec.log.join('')).toBe('uuuuauuuuauuuua');
    await share.close();
  });

  it('a member answers once per batch, not once per push: its session sends back 2 messages for 64 pushes', async () => {
    const network = createMemoryNetwork();
    const [host, alice] = await Promise.all([vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    const share = await shareDoc(host, hd, { ackEvery: 32, ackDelayMs: NEVER_MS });
    const ad = new Y.Doc();
    const a = await joinDoc(alice, share.viewer, ad);
    await a.synced;
    const facet = await alice.enliven<DocFacet>(share.viewer);
    const sent = (): number => alice.sessions().reduce((n, s) => n + s.stats.messagesSent, 0);
    const before = sent();
    for (let i = 1; i <= 64; i++) hd.getText('t').insert(0, 'x');
    await whenText(ad, (t) => t.length === 64);
    // The second ack request came in right behind the last push, before this call's answer.
    await E(facet).describe();
    expect(sent() - before).toBe(2 + 1); // two ack answers, and the describe call
    await share.close();
  });

  it('asks an idle member after ackDelayMs, once for the pushes made meanwhile', async () => {
    const network = createMemoryNetwork();
    const [host, guest] = await Promise.all([vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    const share = await shareDoc(host, hd, { ackEvery: 1000, ackDelayMs: 1 });
    const facet = await guest.enliven<DocFacet>(share.viewer);
    const rec = logger();
    await E(facet).join(Y.encodeStateVector(new Y.Doc()), 22, rec.sub);
    for (let i = 0; i < 3; i++) hd.getText('t').insert(0, 'x');
    await rec.until(4);
    await E(facet).describe();
    expect(rec.log.join('')).toBe('uuua');
    hd.getText('t').insert(0, 'y'); // a later burst gets a request of its own
    await rec.until(6);
    expect(rec.log.join('')).toBe('uuuaua');
    await share.close();
  });

  it('asks for an acknowledgement every quarter of maxQueuedBytesPerMember, so an honest member keeps up', async () => {
    const network = createMemoryNetwork();
    const [host, alice] = await Promise.all([vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    // Neither the count nor the timer asks here: only the bytes rule does.
    const share = await shareDoc(host, hd, { maxQueuedBytesPerMember: 2_000, ackEvery: 1000, ackDelayMs: NEVER_MS });
    const ad = new Y.Doc();
    const a = await joinDoc(alice, share.viewer, ad);
    await a.synced;
    for (let i = 1; i <= 40; i++) {
      hd.getText('t').insert(0, 'y'.repeat(100));
      await whenText(ad, (t) => t.length === i * 100);
    }
    expect(share.members()).toBe(1);
    expect(a.status).toBe('synced');
    await share.close();
  });

  it('drops a member whose ack throws with that error, and tells it', async () => {
    const network = createMemoryNetwork();
    const [host, guest] = await Promise.all([vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    const share = await shareDoc(host, hd, { ackEvery: 1 });
    let told!: (code: string) => void;
    const closed = new Promise<string>((resolve) => (told = resolve));
    const sub = far('refusing subscriber', {
      update: () => undefined,
      awareness: () => undefined,
      ack: () => {
        throw new CapmeshError('YJS_MALFORMED', 'refused a push');
      },
      refused: () => undefined,
      closed: (code: string) => told(code),
    }) as unknown as Remote<Subscriber>;
    const facet = await guest.enliven<DocFacet>(share.viewer);
    await E(facet).join(Y.encodeStateVector(new Y.Doc()), 23, sub);
    hd.getText('t').insert(0, 'x');
    expect(await closed).toBe('YJS_MALFORMED');
    expect(share.members()).toBe(0);
  });

  it('a joinDoc member refusing a push (over its maxUpdateBytes) is dropped through the ack and fails on rejoin with LIMIT', async () => {
    const network = createMemoryNetwork();
    const [host, alice] = await Promise.all([vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    const share = await shareDoc(host, hd, { ackDelayMs: 1 });
    const errors: (CapmeshErrorCode | undefined)[] = [];
    const log = statusLog();
    const a = await joinDoc(alice, share.editor, new Y.Doc(), {
      maxUpdateBytes: 200,
      onStatus: (s, e) => {
        if (s === 'failed') errors.push(e?.code);
        log.onStatus(s);
      },
    });
    await a.synced;
    const failed = log.next('failed');
    hd.getText('t').insert(0, 'z'.repeat(500));
    await failed;
    expect(errors).toEqual(['LIMIT']);
    // It left on refusing the rejoin's answer: a later call on the same session arrives after its `leave`.
    await E(await alice.enliven<DocFacet>(share.viewer)).describe();
    expect(share.members()).toBe(0);
  });

  it('reports an update the host refused to the member’s onError (the send itself is fire-and-forget)', async () => {
    const network = createMemoryNetwork();
    const [host, alice] = await Promise.all([vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    hd.getText('t').insert(0, 'safe');
    const share = await shareDoc(host, hd, { maxUpdateBytes: 64 });
    let reported!: (e: CapmeshError) => void;
    const refused = new Promise<CapmeshError>((resolve) => (reported = resolve));
    const ad = new Y.Doc();
    const a = await joinDoc(alice, share.editor, ad, { onError: (e) => reported(e) });
    await a.synced;
    ad.getText('t').insert(0, 'w'.repeat(200));
    expect((await refused).code).toBe('LIMIT');
    expect(hd.getText('t').toString()).toBe('safe');
    // The member is still joined: the host's edits still reach it.
    hd.getText('t').insert(0, '!');
    await whenText(ad, (t) => t.includes('!'));
    expect(share.members()).toBe(1);
    expect(a.status).toBe('synced');
  });

  it('drops a member whose session ended at the next acknowledgement request, and forgets its presence', async () => {
    const network = createMemoryNetwork();
    const [host, alice] = await Promise.all([vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    const hostAwareness = new Awareness(hd);
    const share = await shareDoc(host, hd, { awareness: hostAwareness, ackDelayMs: 1 });
    const ad = new Y.Doc();
    const aw = new Awareness(ad);
    aw.setLocalState({ name: 'alice' });
    const a = await joinDoc(alice, share.editor, ad, { awareness: aw });
    await a.synced;
    const present = (): boolean => hostAwareness.getStates().has(aw.clientID);
    const whenPresence = (want: boolean): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (present() !== want) return;
          hostAwareness.off('change', check);
          resolve();
        };
        hostAwareness.on('change', check);
        check();
      });
    await whenPresence(true);
    await alice.close();
    const gone = whenPresence(false);
    hd.getText('t').insert(0, 'anyone there?');
    await gone;
    expect(share.members()).toBe(0);
    await converged([hd]);
    hostAwareness.destroy();
    aw.destroy();
  });

  it('refuses bad ack options with INVALID_ARGUMENT', async () => {
    const network = createMemoryNetwork();
    const host = await vatOn(network);
    const code = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: unknown) => (e instanceof CapmeshError ? e.code : String(e)));
    expect(await code(shareDoc(host, new Y.Doc(), { ackEvery: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await code(shareDoc(host, new Y.Doc(), { ackDelayMs: 1.5 }))).toBe('INVALID_ARGUMENT');
  });
});
