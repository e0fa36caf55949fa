import { describe, expect, it } from 'vitest';
import { DataChannelConnection, type DataChannelLike } from '../../../src/netlayer/webrtc/datachannel-connection.js';
import type { ConnectionReceiver } from '../../../src/netlayer/types.js';

/** A channel the test drives by hand: `arrive` plays one channel message from the peer. */
class HandChannel implements DataChannelLike {
  readyState: DataChannelLike['readyState'] = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  binaryType = 'arraybuffer';
  private readonly listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  send(): void {}
  close(): void {
    this.readyState = 'closed';
  }
  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  fire(type: string, event = {} as MessageEvent): void {
    for (const l of this.listeners.get(type) ?? []) l(event);
  }
  /** One framed channel message: header 0 whole, 3 control. */
  arrive(header: number, ...payload: number[]): void {
    this.fire('message', { data: new Uint8Array([header, ...payload]).buffer } as MessageEvent);
  }
}

function recorder(log: string[], extra: Partial<ConnectionReceiver> = {}): ConnectionReceiver {
  return {
    message: (bytes) => log.push(`message ${[...bytes].join(',')}`),
    control: (bytes) => log.push(`control ${[...bytes].join(',')}`),
    closed: (reason) => log.push(`closed ${reason.kind}`),
    ...extra,
  };
}

describe('DataChannelConnection: the receiving half is a ConnectionInbox', () => {
  it('messages and controls that came before setReceiver are handed over inside it, in order, then the close notice', () => {
    const channel = new HandChannel();
    const connection = new DataChannelConnection(channel, { outbound: false, remoteLocator: undefined, provenDesignator: undefined });
    channel.arrive(0, 1);
    channel.arrive(3, 9);
    channel.arrive(0, 2);
    channel.fire('closing');
    const log: string[] = [];
    connection.setReceiver(recorder(log));
    expect(log).toEqual(['message 1', 'control 9', 'message 2', 'closed remote']);
  });

  it('a receiver that throws on an early message still gets the rest and the close notice; the error is rethrown later', async () => {
    const channel = new HandChannel();
    const connection = new DataChannelConnection(channel, { outbound: false, remoteLocator: undefined, provenDesignator: undefined });
    channel.arrive(0, 1);
    channel.arrive(0, 2);
    channel.fire('close');
    const log: string[] = [];
    const uncaught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    const receiver = recorder(log, {
      message: (bytes) => {
        log.push(`message ${[...bytes].join(',')}`);
        if (bytes[0] === 1) throw new Error('receiver bug');
      },
    });
    expect(() => connection.setReceiver(receiver)).not.toThrow();
    expect(log).toEqual(['message 1', 'message 2', 'closed remote']);
    expect(await uncaught).toEqual(new Error('receiver bug'));
  });

  it('a receiver that closes the connection from inside `message` sees `closed` after that message returned, and nothing after it', async () => {
    const channel = new HandChannel();
    const connection = new DataChannelConnection(channel, { outbound: false, remoteLocator: undefined, provenDesignator: undefined });
    const log: string[] = [];
    connection.setReceiver(
      recorder(log, {
        message: (bytes) => {
          log.push(`start ${bytes[0]}`);
          connection.close('enough');
          log.push(`end ${bytes[0]}`);
        },
      }),
    );
    channel.arrive(0, 1);
    channel.arrive(0, 2);
    await Promise.resolve();
    expect(log).toEqual(['start 1', 'end 1', 'closed local']);
  });

  it('`drained` is not reported once the connection ended', () => {
    const channel = new HandChannel();
    const connection = new DataChannelConnection(channel, { outbound: true, remoteLocator: undefined, provenDesignator: undefined });
    let drained = 0;
    connection.setReceiver(recorder([], { drained: () => drained++ }));
    channel.fire('bufferedamountlow');
    expect(drained).toBe(1);
    connection.close();
    channel.fire('bufferedamountlow');
    expect(drained).toBe(1);
  });
});
