import { describe, expect, it } from 'vitest';
import { E2E_CHUNK_OVERHEAD } from '../../../src/netlayer/relay/e2e-limits.js';
import { FRAME_OVERHEAD, FrameSealer } from '../../../src/crypto/aead.js';

describe('e2e-limits', () => {
  it('the chunk overhead the netlayer budgets for is what a sealed frame adds', () => {
    expect(E2E_CHUNK_OVERHEAD).toBe(FRAME_OVERHEAD);
    expect(new FrameSealer(new Uint8Array(32)).seal(new Uint8Array(100)).length - 100).toBe(E2E_CHUNK_OVERHEAD);
  });
});
