import { isCapmeshError, type CapmeshErrorCode } from '../../src/util/errors.js';

/**
 * Runs `f` and says how it failed: the `CapmeshError` code, `'no error'`, or
 * `'foreign error: …'` for anything that is not a `CapmeshError` (which the
 * tests treat as a failure of its own).
 */
export function codeOf(f: () => unknown): CapmeshErrorCode | 'no error' | `foreign error: ${string}` {
  try {
    f();
  } catch (e) {
    return isCapmeshError(e) ? e.code : `foreign error: ${String(e)}`;
  }
  return 'no error';
}

/** The bytes of a string of code points below 256, one byte each (for hand-written Syrup). */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
