import { describe, expect, it } from 'vitest';
import type { Conformance } from '../harness/context.js';
import { ConnectionClosed } from '../harness/raw-session.js';

/** Suite module `op_abort` (1 test). */
export function abortScenarios(c: Conformance): void {
  describe('op:abort', () => {
    it('abort before setup: the peer closes the connection, and a later start-session and fetch get no answer', async () => {
      const s = await c.connect();
      s.send({ op: 'abort', reason: 'test-abort-before-setup' });
      // The suite then tries to use the connection anyway; it must only see the end of the stream.
      s.sendHello();
      await s.closed;
      // Nothing came at all: the peer's hello on a connection we dialled waits for ours (src/mesh/handshake.ts).
      expect(s.log).toEqual([]);
      await expect(s.next()).rejects.toBeInstanceOf(ConnectionClosed);
    });
  });
}
