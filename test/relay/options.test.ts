import { describe, expect, it } from 'vitest';
import { silentLogger, startRelay, type RelayOptions } from '../../relay/index.js';

describe('startRelay refuses bad options with INVALID_ARGUMENT before listening', () => {
  it.each<[string, RelayOptions]>([
    ['a negative port', { port: -5 }],
    ['a port past 65535', { port: 70000 }],
    ['a fractional port', { port: 80.5 }],
    ['a port that is a string', { port: '8787' as unknown as number }],
    ['an empty host', { host: '' }],
    ['a host that is a number', { host: 5 as unknown as string }],
    ['a limit out of range', { limits: { maxFrameBytes: -1 } }],
    ['a public URL that is not ws:// or wss://', { publicUrls: ['not a url'] }],
  ])('%s', async (_what, options) => {
    await expect(startRelay({ ...options, log: silentLogger })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('still starts on port 0 with the defaults otherwise', async () => {
    const relay = await startRelay({ port: 0, log: silentLogger });
    try {
      expect(relay.url).toBe(`ws://127.0.0.1:${relay.port}`);
    } finally {
      await relay.close();
    }
  });
});
