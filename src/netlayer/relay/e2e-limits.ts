/**
 * The end-to-end channel's sizes that code outside the lazily loaded circuit
 * handshake needs (the relay connection, the netlayer's chunking): kept apart
 * from e2e.ts so that importing them does not load the channel's crypto.
 */

/** Largest control message (`RelayConnection.sendControl`), in bytes. */
export const E2E_MAX_CONTROL_BYTES = 256;

/**
 * Bytes the channel adds to each chunk it seals: the 8-byte frame counter and
 * the 16-byte Poly1305 tag (crypto/aead.ts `FRAME_OVERHEAD`; a test keeps the
 * two equal).
 */
export const E2E_CHUNK_OVERHEAD = 24;
