import * as Y from 'yjs';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { afterEach, describe, expect, it } from 'vitest';
import { E, far, isCapmeshError, type Remote } from '../../src/index.js';
import { createMemoryNetwork } from '../../src/testing.js';
import { joinDoc, shareDoc, type DocFacet, type EditorMemberFacet, type Subscriber } from '../../src/yjs/index.js';
import { closeVats, converged, statusLog, vatOn, whenText } from './helpers.js';

afterEach(closeVats);

function codeOf(e: unknown): string {
  return isCapmeshError(e) ? e.code : `not a CapmeshError: ${String(e)}`;
}

/** A subscriber of the test's own, recording what the host pushes. */
function recorder(): { sub: Remote<Subscriber>; updates: Uint8Array[]; closed: string[] } {
  const updates: Uint8Array[] = [];
  const closed: string[] = [];
  const sub = far('recorder', {
    update: (u: Uint8Array) => void updates.push(u),
    awareness: () => undefined,
    ack: () => undefined,
    refused: () => undefined,
    closed: (code: string) => void closed.push(code),
  }) as unknown as Remote<Subscriber>;
  return { sub, updates, closed };
}

describe('shareDoc / joinDoc on the memory network', () => {
  it('gives a member the host state, then pushes edits both ways between host and two members', async () => {
    const network = createMemoryNetwork();
    const [host, alice, bob] = await Promise.all([vatOn(network), vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    hd.getText('t').insert(0, 'host ');
    const share = await shareDoc(host, hd);
    const ad = new Y.Doc();
    const bd = new Y.Doc();
    const [a, b] = await Promise.all([joinDoc(alice, share.editor, ad), joinDoc(bob, share.editor, bd)]);
    expect([a.readOnly, b.readOnly]).toEqual([false, false]);
    await Promise.all([a.synced, b.synced]);
    expect(ad.getText('t').toString()).toBe('host ');
    expect(share.members()).toBe(2);

    ad.getText('t').insert(0, 'A');
    bd.getText('t').insert(bd.getText('t').length, 'B');
    hd.getText('t').insert(2, 'H');
    await converged([hd, ad, bd]);
    const text = hd.getText('t').toString();
    expect([...text].sort().join('')).toBe([...'Ahost HB'].sort().join(''));
    expect(a.status).toBe('synced');
  });

  it('refuses writes through the viewer link: its member has no update, its local edits stay local', async () => {
    const network = createMemoryNetwork();
    const [host, viewerVat, editorVat] = await Promise.all([vatOn(network), vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    hd.getText('t').insert(0, 'read me');
    const share = await shareDoc(host, hd);

    const vd = new Y.Doc();
    const viewer = await joinDoc(viewerVat, share.viewer, vd);
    expect(viewer.readOnly).toBe(true);
    await viewer.synced;
    expect(vd.getText('t').toString()).toBe('read me');

    // Straight at the facet: the viewer's member object has no `update` method.
    const facet = await viewerVat.enliven<DocFacet>(share.viewer);
    const forged = new Y.Doc();
    forged.getText('t').insert(0, 'forged ');
    const reply = await E(facet).join(Y.encodeStateVector(forged), forged.clientID, recorder().sub);
    const member = reply.member as unknown as Remote<EditorMemberFacet>;
    const refused = await E(member).update(Y.encodeStateAsUpdate(forged)).then(() => 'applied', codeOf);
    expect(refused).toBe('NO_SUCH_METHOD');
    expect(await E(facet as unknown as Remote<EditorMemberFacet>).update(Y.encodeStateAsUpdate(forged)).then(() => 'applied', codeOf)).toBe('NO_SUCH_METHOD');

    // joinDoc through the viewer link never sends local edits.
    vd.getText('t').insert(0, 'local ');
    // …while an editor's edit does reach the viewer, so the viewer is still subscribed.
    const ed = new Y.Doc();
    const editor = await joinDoc(editorVat, share.editor, ed);
    await editor.synced;
    ed.getText('t').insert(ed.getText('t').length, '!');
    await whenText(vd, (t) => t.endsWith('!'));
    await converged([hd, ed]);
    expect(hd.getText('t').toString()).toBe('read me!');
  });

  it('revocation: new joins and joined members get NOT_FOUND, members are told, the document stays', async () => {
    const network = createMemoryNetwork();
    const [host, alice, carol] = await Promise.all([vatOn(network), vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    const share = await shareDoc(host, hd);
    const log = statusLog();
    const ad = new Y.Doc();
    const a = await joinDoc(alice, share.editor, ad, { onStatus: log.onStatus });
    await a.synced;
    const facet = await carol.enliven<DocFacet>(share.editor);
    const raw = await E(facet).join(Y.encodeStateVector(new Y.Doc()), 7, recorder().sub);

    const failed = log.next('failed');
    await share.revoke();
    await failed;
    expect(a.status).toBe('failed');
    expect(share.members()).toBe(0);
    const member = raw.member as unknown as Remote<EditorMemberFacet>;
    expect(await E(member).update(Y.encodeStateAsUpdate(ad)).then(() => 'applied', codeOf)).toBe('NOT_FOUND');
    expect(await E(facet).describe().then(() => 'live', codeOf)).toBe('NOT_FOUND');
    expect(await joinDoc(carol, share.editor, new Y.Doc()).then(() => 'joined', codeOf)).toBe('NOT_FOUND');
    expect(await joinDoc(carol, share.viewer, new Y.Doc()).then(() => 'joined', codeOf)).toBe('NOT_FOUND');
    hd.getText('t').insert(0, 'after');
    expect(hd.getText('t').toString()).toBe('after');
  });

  it('treats updates as hostile: over maxUpdateBytes is LIMIT, garbage is YJS_MALFORMED, and neither changes the doc', async () => {
    const network = createMemoryNetwork();
    const [host, mallory] = await Promise.all([vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    hd.getText('t').insert(0, 'safe');
    const share = await shareDoc(host, hd, { maxUpdateBytes: 64 });
    const facet = await mallory.enliven<DocFacet>(share.editor);
    const reply = await E(facet).join(Y.encodeStateVector(new Y.Doc()), 9, recorder().sub);
    const member = reply.member as unknown as Remote<EditorMemberFacet>;

    const big = new Y.Doc();
    big.getText('t').insert(0, 'x'.repeat(200));
    expect(await E(member).update(Y.encodeStateAsUpdate(big)).then(() => 'applied', codeOf)).toBe('LIMIT');
    expect(await E(member).update(new Uint8Array([1, 200, 3, 4, 5, 0xff, 0xff])).then(() => 'applied', codeOf)).toBe('YJS_MALFORMED');
    expect(await E(member).update('not bytes' as unknown as Uint8Array).then(() => 'applied', codeOf)).toBe('YJS_MALFORMED');
    expect(await E(facet).join(new Uint8Array([5, 0x80]), 10, recorder().sub).then(() => 'joined', codeOf)).toBe('YJS_MALFORMED');
    expect(hd.getText('t').toString()).toBe('safe');

    // A well-formed small update still goes through: the member was not broken by the bad ones.
    const ok = new Y.Doc();
    ok.getText('t').insert(0, '!');
    await E(member).update(Y.encodeStateAsUpdate(ok));
    expect(hd.getText('t').toString()).toContain('!');
  });

  it('drops a subscriber that never acknowledges once over its queued-bytes budget; the others keep receiving', async () => {
    const network = createMemoryNetwork();
    const [host, stuck, alice] = await Promise.all([vatOn(network), vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    const share = await shareDoc(host, hd, { maxQueuedBytesPerMember: 2_000 });
    const closed: string[] = [];
    let gotClosed!: () => void;
    const toldClosed = new Promise<void>((resolve) => (gotClosed = resolve));
    const never = far('stuck subscriber', {
      update: () => undefined,
      awareness: () => undefined,
      ack: () => new Promise(() => undefined), // never acknowledges
      refused: () => undefined,
      closed: (code: string) => {
        closed.push(code);
        gotClosed();
      },
    }) as unknown as Remote<Subscriber>;
    const facet = await stuck.enliven<DocFacet>(share.viewer);
    await E(facet).join(Y.encodeStateVector(new Y.Doc()), 11, never);
    const ad = new Y.Doc();
    const a = await joinDoc(alice, share.viewer, ad);
    await a.synced;
    expect(share.members()).toBe(2);

    // Step by step, so the honest member acknowledges as it goes while the stuck one piles up.
    for (let i = 1; i <= 40; i++) {
      hd.getText('t').insert(0, 'y'.repeat(100));
      await whenText(ad, (t) => t.length === i * 100);
    }
    await toldClosed;
    expect(closed).toEqual(['BUDGET_EXCEEDED']);
    expect(share.members()).toBe(1);
    await converged([hd, ad]);
    expect(ad.getText('t').length).toBe(4000);
  });

  it('caps members at maxMembers with BUDGET_EXCEEDED', async () => {
    const network = createMemoryNetwork();
    const [host, a, b] = await Promise.all([vatOn(network), vatOn(network), vatOn(network)]);
    const share = await shareDoc(host, new Y.Doc(), { maxMembers: 1 });
    await (await joinDoc(a, share.viewer, new Y.Doc())).synced;
    const second = await joinDoc(b, share.viewer, new Y.Doc());
    expect(await second.synced.then(() => 'synced', codeOf)).toBe('BUDGET_EXCEEDED');
    expect(second.status).toBe('failed');
  });

  it('refuses bad options with INVALID_ARGUMENT', async () => {
    const network = createMemoryNetwork();
    const host = await vatOn(network);
    expect(await shareDoc(host, new Y.Doc(), { maxUpdateBytes: 0 }).then(() => 'ok', codeOf)).toBe('INVALID_ARGUMENT');
    expect(await shareDoc(host, {} as Y.Doc).then(() => 'ok', codeOf)).toBe('INVALID_ARGUMENT');
    expect(await shareDoc(host, new Y.Doc(), { name: 'a/b' }).then(() => 'ok', codeOf)).toBe('INVALID_ARGUMENT');
  });
});

describe('awareness over the same objects', () => {
  it('shows each member who is here, and forgets a member that leaves', async () => {
    const network = createMemoryNetwork();
    const [host, alice, bob] = await Promise.all([vatOn(network), vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    const hostAwareness = new Awareness(hd);
    hostAwareness.setLocalState({ name: 'host' });
    const share = await shareDoc(host, hd, { awareness: hostAwareness });
    const ad = new Y.Doc();
    const bd = new Y.Doc();
    const aw = new Awareness(ad);
    const bw = new Awareness(bd);
    aw.setLocalState({ name: 'alice' });
    bw.setLocalState({ name: 'bob' });
    const a = await joinDoc(alice, share.editor, ad, { awareness: aw });
    const b = await joinDoc(bob, share.viewer, bd, { awareness: bw });
    await Promise.all([a.synced, b.synced]);

    const names = (w: Awareness): string[] => [...w.getStates().values()].map((s) => String((s as { name?: string }).name)).sort();
    const whenNames = (w: Awareness, want: string[]): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (names(w).join() !== want.join()) return;
          w.off('change', check);
          resolve();
        };
        w.on('change', check);
        check();
      });
    await Promise.all([whenNames(aw, ['alice', 'bob', 'host']), whenNames(bw, ['alice', 'bob', 'host']), whenNames(hostAwareness, ['alice', 'bob', 'host'])]);

    const gone = whenNames(bw, ['bob', 'host']);
    a.close();
    await gone;
    expect(names(hostAwareness)).toEqual(['bob', 'host']);
    hostAwareness.destroy();
    aw.destroy();
    bw.destroy();
  });

  it('refuses an awareness update that speaks for another client ID', async () => {
    const network = createMemoryNetwork();
    const [host, mallory] = await Promise.all([vatOn(network), vatOn(network)]);
    const hd = new Y.Doc();
    const hostAwareness = new Awareness(hd);
    const share = await shareDoc(host, hd, { awareness: hostAwareness });
    const facet = await mallory.enliven<DocFacet>(share.viewer);
    const reply = await E(facet).join(Y.encodeStateVector(new Y.Doc()), 12, recorder().sub);
    const victim = new Awareness(new Y.Doc());
    victim.setLocalState({ name: 'someone else' });
    const spoof = encodeAwarenessUpdate(victim, [victim.clientID]);
    expect(await E(reply.member).awareness(spoof).then(() => 'applied', codeOf)).toBe('INVALID_ARGUMENT');
    expect(await E(reply.member).awareness(new Uint8Array([1, 12, 0, 3, 0x7b])).then(() => 'applied', codeOf)).toBe('YJS_MALFORMED');
    expect(hostAwareness.getStates().has(victim.clientID)).toBe(false);
    victim.destroy();
    hostAwareness.destroy();
  });
});
