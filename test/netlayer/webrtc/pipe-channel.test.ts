import { afterEach, describe, expect, it } from 'vitest';
import type { PipeMessage } from '../../../src/netlayer/webrtc/broker-protocol.js';
import { pipeChannel } from '../../../src/netlayer/webrtc/pipe-channel.js';

/** Resolves with the next message `port` receives. */
const next = (port: MessagePort): Promise<unknown> => new Promise((resolve) => port.addEventListener('message', (e) => resolve(e.data), { once: true }));

describe('the worker end of a piped data channel', () => {
  const open: MessagePort[] = [];
  afterEach(() => {
    for (const p of open.splice(0)) p.close();
  });
  const pipe = () => {
    const { port1, port2 } = new MessageChannel();
    open.push(port1, port2);
    const events: string[] = [];
    const channel = pipeChannel(port2);
    for (const type of ['open', 'close'] as const) channel.addEventListener(type, () => events.push(type));
    channel.addEventListener('message', () => events.push('message'));
    return { page: port1, worker: port2, channel, events };
  };
  /** Posts `frames` from the page end, then waits until the worker end has handled them (a marker data frame after them). */
  const fromPage = async (p: ReturnType<typeof pipe>, frames: PipeMessage[]): Promise<void> => {
    for (const f of frames) p.page.postMessage(f);
    const marker = new Promise<void>((resolve) => p.channel.addEventListener('message', () => resolve()));
    p.page.postMessage({ type: 'data', bytes: new ArrayBuffer(1) } satisfies PipeMessage);
    await marker;
  };

  it('fires open once when the page reports the channel open twice (Firefox: open at hand-over, then the open event)', async () => {
    const p = pipe();
    await fromPage(p, [{ type: 'open' }, { type: 'open' }]);
    expect(p.events).toEqual(['open', 'message']);
    expect(p.channel.readyState).toBe('open');
  });

  it('stays closed when an open frame arrives after the close', async () => {
    const p = pipe();
    await fromPage(p, [{ type: 'close' }, { type: 'open' }]);
    expect(p.events).toEqual(['close', 'message']);
    expect(p.channel.readyState).toBe('closed');
  });

  it('a local close tells the page once and ignores the late open the page may still send', async () => {
    const p = pipe();
    const told = next(p.page);
    p.channel.close();
    p.channel.close();
    expect(await told).toEqual({ type: 'close' });
    await fromPage(p, [{ type: 'open' }]);
    expect(p.events).toEqual(['close', 'message']);
  });
});
