import { describe, expect, it } from 'vitest';
import { DataChannelConnection, type DataChannelLike } from '../../../src/netlayer/webrtc/datachannel-connection.js';

/** A data channel whose `bufferedAmount` the test drives; events fire when the test says. */
class FakeChannel implements DataChannelLike {
  readyState: DataChannelLike['readyState'] = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  binaryType = 'arraybuffer';
  readonly frames: Uint8Array[] = [];
  private readonly listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  send(data: ArrayBuffer | Uint8Array): void {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    this.frames.push(bytes);
    this.bufferedAmount += bytes.length;
  }
  close(): void {
    this.readyState = 'closed';
  }
  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  fire(type: string): void {
    for (const l of this.listeners.get(type) ?? []) l({} as MessageEvent);
  }
}

describe('DataChannelConnection: bufferedBytes and drained', () => {
  it('counts what waits in its queue plus what the channel buffers, and says drained once both are low', () => {
    const channel = new FakeChannel();
    const connection = new DataChannelConnection(channel, { outbound: true, remoteLocator: undefined, provenDesignator: 'peer' });
    let drained = 0;
    connection.setReceiver({ message: () => {}, closed: () => {}, drained: () => void drained++ });
    const big = new Uint8Array(64 * 1024);
    for (let i = 0; i < 20; i++) connection.send(big); // 1.25 MiB: the channel takes ~1 MiB, the rest queues here
    const inChannel = channel.bufferedAmount;
    expect(inChannel).toBeGreaterThan(1024 * 1024);
    expect(channel.frames.length).toBeLessThan(20);
    // in the channel (frames with their one-byte headers) + the payloads still queued here
    expect(connection.bufferedBytes()).toBe(inChannel + (20 - channel.frames.length) * big.length);
    // The channel drains below its low-water mark: the rest of the queue goes out and, with it empty, drained is said.
    channel.bufferedAmount = 0;
    channel.fire('bufferedamountlow');
    expect(channel.frames.length).toBe(20);
    expect(drained).toBe(1);
    channel.bufferedAmount = 0;
    expect(connection.bufferedBytes()).toBe(0);
  });

  it('does not say drained while messages still wait in its queue', () => {
    const channel = new FakeChannel();
    const connection = new DataChannelConnection(channel, { outbound: true, remoteLocator: undefined, provenDesignator: 'peer' });
    let drained = 0;
    connection.setReceiver({ message: () => {}, closed: () => {}, drained: () => void drained++ });
    for (let i = 0; i < 40; i++) connection.send(new Uint8Array(64 * 1024));
    channel.bufferedAmount = 512 * 1024; // still some in the channel: the pump refills it to the high-water mark
    channel.fire('bufferedamountlow');
    expect(drained).toBe(0);
    expect(connection.bufferedBytes()).toBeGreaterThan(0);
  });
});
