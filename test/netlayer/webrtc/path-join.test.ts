import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awaitFirstArrival, decodeJoin, encodeJoin } from '../../../src/netlayer/webrtc/path-join.js';
import { encodeAck, encodeBye } from '../../../src/netlayer/webrtc/path-switch.js';
import type { PathSwitchOptions } from '../../../src/netlayer/webrtc/path-switch.js';
import { Link, end, msg, range, settle, span, tick, type End } from './path-legs.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const ID = new Uint8Array(16).fill(7);

/** Two ends of a connection born on a direct path, resumable, waiting `awaitPathMs` for a leg after a path failure. */
function direct(options: PathSwitchOptions = {}) {
  const link = new Link('webrtc');
  const lost: string[] = [];
  const alice = end(link.a, { resumable: true, awaitPathMs: 1_000, onPathLost: (r) => void lost.push(`alice:${r.kind}`), ...options });
  const bob = end(link.b, { resumable: true, awaitPathMs: 1_000, onPathLost: (r) => void lost.push(`bob:${r.kind}`), ...options });
  return { link, alice, bob, lost };
}

/** What the netlayers do after the direct path failed: Alice (the dialler) joins a relay circuit, Bob attaches it on seeing the join. */
function join(alice: End, bob: End, id = ID): { relay: Link; joined: Uint8Array[] } {
  const relay = new Link('relay');
  const joined: Uint8Array[] = [];
  awaitFirstArrival(relay.b, ({ join: named, leg }) => {
    if (named) joined.push(named);
    bob.conn.attach(leg, true);
  });
  relay.a.sendControl(encodeJoin(id));
  alice.conn.attach(relay.a, true);
  return { relay, joined };
}

describe('connections born on a direct path', () => {
  it('count and acknowledge from their first message (both ends are path-switching vats)', () => {
    const { link, alice, bob } = direct();
    for (const n of range(5)) alice.conn.send(msg(n));
    expect(alice.conn.unackedBytes).toBe(20);
    settle([link]);
    expect(bob.got).toEqual(range(5));
    expect(link.b.log.filter((i) => i.control).map((i) => Array.from(i.bytes))).toEqual([Array.from(encodeAck(3)), Array.from(encodeAck(5))]);
    expect(alice.conn.unackedBytes).toBe(0);
  });

  it('resume on a joined relay leg after the channel fails mid-stream, messages in flight both ways: exact sequences at both ends', async () => {
    const { link, alice, bob, lost } = direct();
    for (const n of range(40)) alice.conn.send(msg(n));
    for (const n of range(25)) bob.conn.send(msg(n));
    link.step(link.a, 17);
    link.step(link.b, 9);
    vi.advanceTimersByTime(20); // some acks go out; part of them is lost with the channel
    link.step(link.b, 1);
    link.cut();
    expect(lost).toEqual(['alice:error', 'bob:error']);
    expect(alice.conn.awaitingPath).toBe(true);
    // Both sessions go on sending while no path is up.
    for (const n of span(40, 50)) alice.conn.send(msg(n));
    for (const n of span(25, 30)) bob.conn.send(msg(n));
    const { relay, joined } = join(alice, bob);
    settle([relay]);
    expect(joined.map((j) => Array.from(j))).toEqual([Array.from(ID)]);
    expect(bob.got).toEqual(range(50));
    expect(alice.got).toEqual(range(30));
    expect(alice.paths).toEqual([['webrtc', 'relay']]);
    expect(bob.paths).toEqual([['webrtc', 'relay']]);
    for (const n of span(50, 60)) alice.conn.send(msg(n));
    settle([relay]);
    expect(bob.got).toEqual(range(60));
    await tick();
    expect(alice.closed).toBeUndefined();
    expect(bob.closed).toBeUndefined();
    expect(alice.conn.awaitingPath).toBe(false);
  });

  it('resume when the join reaches the answerer before it noticed the failure: it moves to the relay at once', async () => {
    const { link, alice, bob, lost } = direct();
    for (const n of range(10)) alice.conn.send(msg(n));
    for (const n of range(10)) bob.conn.send(msg(n));
    link.step(link.a, 4);
    link.step(link.b, 6);
    link.a.end({ kind: 'local', message: 'the direct path did not come back within 5000 ms' }); // Alice's ICE restart gave up
    expect(lost).toEqual(['alice:local']);
    const { relay } = join(alice, bob);
    settle([relay]);
    expect(bob.conn.path).toBe('relay');
    for (const n of span(10, 15)) bob.conn.send(msg(n));
    settle([relay]);
    link.b.end({ kind: 'error', message: 'cut' }); // Bob's channel dies later: nothing changes
    expect(bob.got).toEqual(range(10));
    expect(alice.got).toEqual(range(15));
    await tick();
    expect(bob.closed).toBeUndefined();
  });

  it('end at once on a clean goodbye (the peer’s bye, sent by its close): no fallback', async () => {
    const { link, alice, lost } = direct();
    alice.conn.send(msg(0));
    settle([link]);
    // Bob's close, as the channel delivers it: the bye, then the close (the fake drops what is in flight at a close).
    link.b.sendControl(encodeBye());
    link.step(link.b);
    link.a.end({ kind: 'remote', message: 'the peer closed the data channel' });
    await tick();
    expect(lost.filter((l) => l.startsWith('alice'))).toEqual([]); // (Bob's end, not closed here, hears Alice's leg close)
    expect(alice.closed).toMatchObject({ kind: 'remote', message: 'the peer closed the connection' });
    expect(alice.conn.isOpen).toBe(false);
  });

  it('say bye on every leg when closed on purpose', () => {
    const { link, bob } = direct();
    bob.conn.close('the tab closed');
    expect(link.b.log.map((i) => Array.from(i.bytes))).toEqual([Array.from(encodeBye())]);
  });

  it('treat a channel that closes without a bye, even as kind remote, as a path failure', async () => {
    const { link, alice, lost } = direct();
    link.a.end({ kind: 'remote', message: 'the data channel closed' }); // the peer connection was torn down under it
    await tick();
    expect(lost).toEqual(['alice:remote']);
    expect(alice.conn.isOpen).toBe(true);
  });

  it('end with DISCONNECTED when no path comes back within awaitPathMs', async () => {
    const { link, alice } = direct({ awaitPathMs: 300 });
    link.cut();
    vi.advanceTimersByTime(299);
    expect(alice.conn.isOpen).toBe(true);
    vi.advanceTimersByTime(1);
    await tick();
    expect(alice.closed).toMatchObject({ kind: 'error', code: 'DISCONNECTED' });
    expect(alice.closed?.message).toContain('awaitPathMs');
  });

  it('end with the code given to fail (the relay dial that should replace the path was refused)', async () => {
    const { link, alice } = direct();
    link.cut();
    alice.conn.fail('DISCONNECTED', 'PEER_OFFLINE: the peer is not registered');
    await tick();
    expect(alice.closed).toMatchObject({ kind: 'error', code: 'DISCONNECTED' });
    vi.advanceTimersByTime(5_000);
  });
});

describe('awaitFirstArrival', () => {
  it('hands anything but a join on, first arrival included, in order', () => {
    const relay = new Link('relay');
    const got: string[] = [];
    let first: { join: Uint8Array | undefined } | undefined;
    awaitFirstArrival(relay.b, (f) => {
      first = f;
      f.leg.setReceiver({ message: (b) => void got.push(`m${b[3]}`), control: (b) => void got.push(`c${b[0]}`), closed: (r) => void got.push(r.kind) });
    });
    relay.a.send(msg(1));
    relay.a.sendControl(encodeJoin(ID)); // not first: an ordinary control for the next receiver
    relay.a.send(msg(2));
    relay.step(relay.a);
    relay.a.close();
    expect(first?.join).toBeUndefined();
    expect(got).toEqual(['m1', 'c3', 'm2', 'remote']);
  });

  it('reports a join with its connection id and consumes it', () => {
    const relay = new Link('relay');
    const got: string[] = [];
    awaitFirstArrival(relay.b, (f) => {
      expect(Array.from(f.join!)).toEqual(Array.from(ID));
      f.leg.setReceiver({ message: (b) => void got.push(`m${b[3]}`), closed: () => {} });
    });
    relay.a.sendControl(encodeJoin(ID));
    relay.a.send(msg(4));
    relay.step(relay.a);
    expect(got).toEqual(['m4']);
  });

  it('decodes only a 17-byte control of kind 3 as a join', () => {
    expect(decodeJoin(encodeAck(3))).toBeUndefined();
    expect(decodeJoin(new Uint8Array(17))).toBeUndefined();
    expect(Array.from(decodeJoin(encodeJoin(ID))!)).toEqual(Array.from(ID));
    expect(() => encodeJoin(new Uint8Array(8))).toThrow(RangeError);
  });
});
