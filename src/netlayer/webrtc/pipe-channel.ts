import type { PipeMessage } from './broker-protocol.js';
import type { DataChannelLike } from './datachannel-connection.js';

/**
 * The worker's end of a data channel the page could not transfer and pipes
 * through `port` instead (the page's end is `pipeDataChannel` in
 * `browser/rtc-broker.ts`). It looks like an `RTCDataChannel` to
 * `DataChannelConnection`: `open` fires at most once, and never after
 * `close` (a repeated or late `open` frame changes nothing: Firefox may
 * report a channel as open before its `open` event), `message` events carry
 * the page's frames in order, `close` fires once, whichever end closes
 * first. The pipe does no backpressure of its own: `bufferedAmount` stays 0
 * and the page's channel buffers. Owns `port` (its `onmessage`).
 */
export function pipeChannel(port: MessagePort): DataChannelLike {
  const listeners = new Map<string, Set<(e?: MessageEvent) => void>>();
  const emit = (type: string, e?: MessageEvent): void => {
    for (const l of listeners.get(type) ?? []) l(e);
  };
  const channel = {
    readyState: 'connecting' as DataChannelLike['readyState'],
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    binaryType: 'arraybuffer',
    send(data: ArrayBuffer | Uint8Array) {
      const copy = data instanceof Uint8Array ? data.slice().buffer : data.slice(0);
      port.postMessage({ type: 'data', bytes: copy } satisfies PipeMessage, [copy as ArrayBuffer]);
    },
    close() {
      if (channel.readyState === 'closed') return;
      port.postMessage({ type: 'close' } satisfies PipeMessage);
      channel.readyState = 'closed';
      emit('close');
    },
    addEventListener(type: string, listener: (e?: MessageEvent) => void) {
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Set()));
      set.add(listener);
    },
  };
  port.onmessage = (event: MessageEvent) => {
    const m = event.data as PipeMessage;
    if (m.type === 'open') {
      if (channel.readyState !== 'connecting') return;
      channel.readyState = 'open';
      emit('open');
    } else if (m.type === 'data') {
      emit('message', { data: m.bytes } as MessageEvent);
    } else if (m.type === 'close' && channel.readyState !== 'closed') {
      channel.readyState = 'closed';
      emit('close');
    }
  };
  return channel as unknown as DataChannelLike;
}
