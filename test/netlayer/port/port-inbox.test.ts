import { describe, expect, it } from 'vitest';
import { messagePortNetlayer, type MessagePortLike } from '../../../src/netlayer/port/message-port.js';
import type { Connection, ConnectionReceiver } from '../../../src/netlayer/types.js';
import type { DesignatorSigner } from '../../../src/crypto/signer.js';

/** A port the test drives by hand: `post` plays one message from the other end; what we post is recorded. */
class HandPort implements MessagePortLike {
  onmessage: ((event: MessageEvent) => void) | null = null;
  readonly sent: unknown[] = [];
  postMessage(message: unknown): void {
    this.sent.push(message);
  }
  post(message: unknown): void {
    this.onmessage?.({ data: message } as MessageEvent);
  }
}

async function inboundConnection(): Promise<{ port: HandPort; connection: Connection }> {
  const port = new HandPort();
  const netlayer = messagePortNetlayer(port, 'b');
  const accepted: Connection[] = [];
  await netlayer.attach({ designator: 'worker', signer: {} as DesignatorSigner, onConnection: (c) => accepted.push(c) });
  port.post({ type: 'open', connection: 1, from: 'page' });
  expect(accepted).toHaveLength(1);
  return { port, connection: accepted[0]! };
}

function recorder(log: string[], extra: Partial<ConnectionReceiver> = {}): ConnectionReceiver {
  return { message: (bytes) => log.push(`message ${[...bytes].join(',')}`), closed: (reason) => log.push(`closed ${reason.kind} ${reason.message}`), ...extra };
}

describe('port netlayer: the receiving half is a ConnectionInbox', () => {
  it('what came before setReceiver is handed over inside it, in order, then the close notice', async () => {
    const { port, connection } = await inboundConnection();
    port.post({ type: 'data', connection: 1, bytes: new Uint8Array([1]) });
    port.post({ type: 'data', connection: 1, bytes: new Uint8Array([2]) });
    port.post({ type: 'close', connection: 1, reason: 'bye' });
    port.post({ type: 'data', connection: 1, bytes: new Uint8Array([3]) });
    const log: string[] = [];
    connection.setReceiver(recorder(log));
    expect(log).toEqual(['message 1', 'message 2', 'closed remote bye']);
  });

  it('a receiver that throws on an early message still gets the rest; the error is rethrown later', async () => {
    const { port, connection } = await inboundConnection();
    port.post({ type: 'data', connection: 1, bytes: new Uint8Array([1]) });
    port.post({ type: 'data', connection: 1, bytes: new Uint8Array([2]) });
    const log: string[] = [];
    const uncaught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    const receiver = recorder(log, {
      message: (bytes) => {
        log.push(`message ${bytes[0]}`);
        if (bytes[0] === 1) throw new Error('receiver bug');
      },
    });
    expect(() => connection.setReceiver(receiver)).not.toThrow();
    expect(log).toEqual(['message 1', 'message 2']);
    expect(await uncaught).toEqual(new Error('receiver bug'));
  });

  it('close() tells the other end and ends with kind local on a microtask; later arrivals are dropped', async () => {
    const { port, connection } = await inboundConnection();
    const log: string[] = [];
    connection.setReceiver(recorder(log));
    connection.close('done');
    expect(port.sent).toContainEqual({ type: 'close', connection: 1, reason: 'done' });
    port.post({ type: 'data', connection: 1, bytes: new Uint8Array([9]) });
    expect(log).toEqual([]);
    await Promise.resolve();
    expect(log).toEqual(['closed local done']);
  });
});
