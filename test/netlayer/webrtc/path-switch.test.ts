import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PathSwitchingConnection, encodeAck, encodeControl, encodeStart } from '../../../src/netlayer/webrtc/path-switch.js';
import { FakeLeg, Link, end, msg, prng, range, settle, span, tick, type End } from './path-legs.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('PathSwitchingConnection', () => {
  it('sends no control message and keeps nothing while on its first path alone (a Node vat on the relay sees plain messages)', async () => {
    const relay = new Link('relay');
    const alice = end(relay.a);
    const bob = end(relay.b);
    for (const n of range(50)) alice.conn.send(msg(n));
    for (const n of range(20)) bob.conn.send(msg(n));
    settle([relay]);
    expect(bob.got).toEqual(range(50));
    expect(alice.got).toEqual(range(20));
    expect(relay.a.log.some((i) => i.control) || relay.b.log.some((i) => i.control)).toBe(false);
    expect(alice.conn.unackedBytes).toBe(0);
    expect(alice.conn.path).toBe('relay');
  });

  it('moves relay → webrtc with messages in flight both ways: each end gets exactly what the other sent, in order', async () => {
    const relay = new Link('relay');
    const alice = end(relay.a);
    const bob = end(relay.b);
    for (const n of range(10)) alice.conn.send(msg(n));
    for (const n of range(7)) bob.conn.send(msg(n));
    relay.step(relay.a, 4); // 6 of alice's and 7 of bob's still on the relay
    const direct = new Link('webrtc');
    alice.conn.attach(direct.a);
    for (const n of span(10, 20)) alice.conn.send(msg(n));
    // Bob has not seen the direct channel yet: what alice sends there waits for him.
    for (const n of span(7, 12)) bob.conn.send(msg(n));
    bob.conn.attach(direct.b);
    for (const n of span(12, 15)) bob.conn.send(msg(n));
    // The direct path overtakes the relay: its messages are held until the relay's arrive.
    direct.step(direct.a);
    direct.step(direct.b);
    expect(bob.got).toEqual(range(4));
    settle([relay, direct]);
    expect(bob.got).toEqual(range(20));
    expect(alice.got).toEqual(range(15));
    expect(alice.conn.path).toBe('webrtc');
    expect(bob.conn.path).toBe('webrtc');
    expect(alice.paths).toEqual([['relay', 'webrtc']]);
    expect(bob.paths).toEqual([['relay', 'webrtc']]);
    // Only the first 10 went over the relay from alice: later ones went direct.
    expect(relay.a.log.filter((i) => !i.control)).toHaveLength(10);
    expect(alice.conn.unackedBytes).toBe(0);
  });

  it('moves webrtc → relay when the direct path dies with unacknowledged messages on it, and sends them again', async () => {
    const relay = new Link('relay');
    const alice = end(relay.a);
    const bob = end(relay.b);
    const direct = new Link('webrtc');
    alice.conn.attach(direct.a);
    bob.conn.attach(direct.b);
    for (const n of range(30)) alice.conn.send(msg(n));
    for (const n of range(30)) bob.conn.send(msg(n));
    direct.step(direct.a, 12);
    direct.step(direct.b, 5);
    expect(alice.conn.unackedBytes).toBeGreaterThan(0);
    direct.cut();
    expect(alice.conn.path).toBe('relay');
    expect(bob.conn.path).toBe('relay');
    for (const n of span(30, 40)) alice.conn.send(msg(n));
    settle([relay]);
    expect(bob.got).toEqual(range(40));
    expect(alice.got).toEqual(range(30));
    expect(alice.paths).toEqual([
      ['relay', 'webrtc'],
      ['webrtc', 'relay'],
    ]);
    await tick();
    expect(alice.closed).toBeUndefined();
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`survives repeated switches with a seeded stream in flight both ways (seed ${seed})`, async () => {
      const random = prng(seed);
      const relay = new Link('relay');
      const alice = end(relay.a);
      const bob = end(relay.b);
      let direct: Link | undefined;
      let bobAttached = true;
      let sentA = 0;
      let sentB = 0;
      let switches = 0;
      for (let i = 0; i < 3000; i++) {
        const r = random();
        if (r < 0.25) alice.conn.send(msg(sentA++, 1 + Math.floor(random() * 40)));
        else if (r < 0.5) bob.conn.send(msg(sentB++, 1 + Math.floor(random() * 40)));
        else if (r < 0.8) {
          const links = direct?.open ? [relay, direct] : [relay];
          const l = links[Math.floor(random() * links.length)]!;
          l.step(random() < 0.5 ? l.a : l.b, 1 + Math.floor(random() * 4));
        } else if (r < 0.9) vi.advanceTimersByTime(10);
        else if (r < 0.95) {
          if (!direct?.open) {
            direct = new Link('webrtc');
            alice.conn.attach(direct.a);
            bobAttached = false;
            switches++;
          } else if (!bobAttached) {
            bob.conn.attach(direct.b);
            bobAttached = true;
          }
        } else if (direct?.open && bobAttached && random() < 0.5) {
          direct.cut();
          switches++;
        }
      }
      if (direct?.open && !bobAttached) bob.conn.attach(direct.b);
      settle(direct?.open ? [relay, direct] : [relay]);
      expect(switches).toBeGreaterThan(4);
      await tick();
      expect(alice.closed).toBeUndefined();
      expect(bob.closed).toBeUndefined();
      expect(bob.got).toEqual(range(sentA));
      expect(alice.got).toEqual(range(sentB));
    });
  }

  it('stays on the direct path when the relay circuit closes after everything on it arrived', async () => {
    const relay = new Link('relay');
    const alice = end(relay.a);
    const bob = end(relay.b);
    const direct = new Link('webrtc');
    alice.conn.send(msg(0));
    alice.conn.attach(direct.a);
    bob.conn.attach(direct.b);
    alice.conn.send(msg(1));
    bob.conn.send(msg(0));
    settle([relay, direct]);
    relay.cut();
    alice.conn.send(msg(2));
    settle([direct]);
    expect(bob.got).toEqual([0, 1, 2]);
    expect(alice.got).toEqual([0]);
    await tick();
    expect(alice.closed).toBeUndefined();
    expect(alice.conn.legPaths).toEqual(['webrtc']);
  });

  it('ends with DISCONNECTED when the relay circuit closes with plain-mode messages still on it', async () => {
    const relay = new Link('relay');
    const alice = end(relay.a);
    const bob = end(relay.b);
    for (const n of range(5)) alice.conn.send(msg(n));
    const direct = new Link('webrtc');
    alice.conn.attach(direct.a);
    bob.conn.attach(direct.b);
    alice.conn.send(msg(5));
    direct.step(direct.a);
    relay.cut();
    await tick();
    expect(bob.closed?.code).toBe('DISCONNECTED');
    expect(bob.got).toEqual([]);
  });

  it('ends with the last path’s reason when no path is left', async () => {
    const relay = new Link('relay');
    const alice = end(relay.a);
    end(relay.b);
    relay.cut();
    await tick();
    expect(alice.closed).toEqual({ kind: 'error', message: 'cut' });
    expect(alice.conn.isOpen).toBe(false);
  });

  it('closes with LIMIT rather than keep more than maxUnackedBytes unacknowledged', async () => {
    const relay = new Link('relay');
    const alice = end(relay.a, { maxUnackedBytes: 1000 });
    const bob = end(relay.b);
    const direct = new Link('webrtc');
    alice.conn.attach(direct.a);
    bob.conn.attach(direct.b);
    for (let n = 0; n < 9; n++) alice.conn.send(msg(n, 100));
    await tick();
    expect(alice.closed).toBeUndefined();
    alice.conn.send(msg(9, 101));
    await tick();
    expect(alice.closed?.code).toBe('LIMIT');
    expect(relay.a.closedWith).toBeDefined();
    expect(direct.a.closedWith).toBeDefined();
  });

  it('keeps within maxUnackedBytes when the peer acknowledges', async () => {
    const relay = new Link('relay');
    const alice = end(relay.a, { maxUnackedBytes: 1000 });
    const bob = end(relay.b);
    const direct = new Link('webrtc');
    alice.conn.attach(direct.a);
    bob.conn.attach(direct.b);
    for (let n = 0; n < 100; n++) {
      alice.conn.send(msg(n, 100));
      settle([relay, direct]);
    }
    await tick();
    expect(alice.closed).toBeUndefined();
    expect(bob.got).toEqual(range(100));
  });

  it('closes with LIMIT when more than maxHeldBytes wait for a gap', async () => {
    const relay = new Link('relay');
    const bob = end(relay.b, { maxHeldBytes: 100 });
    const direct = new Link('webrtc');
    bob.conn.attach(direct.b);
    direct.a.sendControl(encodeStart(5));
    direct.a.send(msg(5, 60));
    direct.a.send(msg(6, 60));
    direct.step(direct.a);
    await tick();
    expect(bob.closed?.code).toBe('LIMIT');
  });

  describe('a hostile peer', () => {
    const hostile = (
      act: (direct: Link, relay: Link) => void,
    ): { bob: End; relay: Link; direct: Link } => {
      const relay = new Link('relay');
      const bob = end(relay.b);
      bob.conn.send(msg(0));
      const direct = new Link('webrtc');
      bob.conn.attach(direct.b);
      act(direct, relay);
      return { bob, relay, direct };
    };

    it('a malformed control closes with PROTOCOL', async () => {
      for (const bad of [new Uint8Array(0), new Uint8Array(3), encodeControl(7, 1), new Uint8Array(300)]) {
        const { bob, relay } = hostile((direct) => {
          direct.a.sendControl(bad);
          direct.step(direct.a);
        });
        await tick();
        expect(bob.closed?.code).toBe('PROTOCOL');
        expect(bob.closed?.kind).toBe('error');
        expect(relay.b.closedWith).toBeDefined();
      }
    });

    it('an ack for messages never sent closes with PROTOCOL', async () => {
      const { bob } = hostile((direct) => {
        direct.a.sendControl(encodeAck(2));
        direct.step(direct.a);
      });
      await tick();
      expect(bob.closed?.code).toBe('PROTOCOL');
    });

    it('a start far beyond what was delivered closes with PROTOCOL', async () => {
      const { bob } = hostile((direct) => {
        direct.a.sendControl(encodeStart(2 ** 40));
        direct.step(direct.a);
      });
      await tick();
      expect(bob.closed?.code).toBe('PROTOCOL');
    });

    it('a number above 2^53 closes with PROTOCOL', async () => {
      const { bob } = hostile((direct) => {
        const c = encodeControl(2, 0);
        c.fill(0xff, 1);
        direct.a.sendControl(c);
        direct.step(direct.a);
      });
      await tick();
      expect(bob.closed?.code).toBe('PROTOCOL');
    });

    it('data on a new path before its start closes with PROTOCOL', async () => {
      const { bob } = hostile((direct) => {
        direct.a.send(msg(0));
        direct.step(direct.a);
      });
      await tick();
      expect(bob.closed?.code).toBe('PROTOCOL');
      expect(bob.got).toEqual([]);
    });

    it('a path that proved another designator is refused with IDENTITY_MISMATCH', async () => {
      const relay = new Link('relay');
      const bob = end(relay.b);
      const other = new FakeLeg('webrtc', false, 'mallory');
      other.peer = new FakeLeg('webrtc', true, 'bob');
      expect(() => bob.conn.attach(other)).toThrow(expect.objectContaining({ code: 'IDENTITY_MISMATCH' }));
      await tick();
      expect(other.closedWith).toBeDefined();
      expect(bob.conn.legPaths).toEqual(['relay']);
    });
  });

  it('reports the current path’s backlog and passes on only its drained', async () => {
    const relay = new Link('relay');
    let drained = 0;
    const conn = new PathSwitchingConnection(relay.a);
    conn.setReceiver({ message() {}, closed() {}, drained: () => drained++ });
    conn.send(msg(0, 10));
    expect(conn.bufferedBytes()).toBe(10);
    relay.a.receiver!.drained!();
    expect(drained).toBe(1);
    const direct = new Link('webrtc');
    conn.attach(direct.a);
    // On the direct path now: its ack and start controls (9 bytes each) wait there.
    expect(conn.bufferedBytes()).toBe(18);
    relay.a.receiver!.drained!();
    expect(drained).toBe(1);
    direct.a.receiver!.drained!();
    expect(drained).toBe(2);
  });
});
