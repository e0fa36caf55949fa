import { TokenBucket } from '../../util/token-bucket.js';

/**
 * Admission for inbound end-to-end handshakes on relay circuits. Answering a
 * handshake init costs the responder an X25519 key pair, a key agreement and
 * an Ed25519 signature (about a millisecond), and anyone who knows our
 * designator can open circuits to us; so inbound handshakes are admitted by a
 * token bucket and a cap on handshakes in progress, decided when the circuit
 * arrives — before its init is read, so the excess costs no crypto.
 *
 * Not a security boundary against a single flooder alone (the relay limits
 * circuits per source and per target too, see relay/limits.ts); this bounds
 * the CPU a vat spends on strangers however many relays and identities they
 * use. Honest diallers refused here see their circuit closed with a reason
 * starting `RATE_LIMITED:` and may retry.
 */
export interface HandshakeGateOptions {
  /** Sustained inbound handshakes started per second. Default 20. */
  readonly perSecond?: number;
  /** Burst of inbound handshakes. Default 40. */
  readonly burst?: number;
  /** Inbound handshakes in progress at once. Default 32. */
  readonly maxPending?: number;
  /** Clock in ms. Default `performance.now`. */
  readonly now?: () => number;
}

export interface HandshakeGateStats {
  /** Handshakes admitted (each cost one responder's crypto). */
  readonly admitted: number;
  /** Circuits refused before any crypto. */
  readonly refused: number;
  /** Admitted handshakes not finished yet. */
  readonly pending: number;
}

export const DEFAULT_HANDSHAKE_GATE = Object.freeze({ perSecond: 20, burst: 40, maxPending: 32 });

export class HandshakeGate {
  readonly #rate: number;
  readonly #maxPending: number;
  readonly #bucket: TokenBucket;
  #admitted = 0;
  #refused = 0;
  #pending = 0;

  constructor(options: HandshakeGateOptions = {}) {
    this.#rate = options.perSecond ?? DEFAULT_HANDSHAKE_GATE.perSecond;
    this.#maxPending = options.maxPending ?? DEFAULT_HANDSHAKE_GATE.maxPending;
    this.#bucket = new TokenBucket(this.#rate, options.burst ?? DEFAULT_HANDSHAKE_GATE.burst, options.now ?? (() => performance.now()));
  }

  /**
   * Admits one inbound handshake: returns its `done` callback (call it once
   * the handshake finished, either way), or a reason when refused.
   */
  admit(): { readonly done: () => void } | { readonly refused: string } {
    if (this.#pending >= this.#maxPending) {
      this.#refused++;
      return { refused: `more than ${this.#maxPending} end-to-end handshakes in progress` };
    }
    if (!this.#bucket.take()) {
      this.#refused++;
      return { refused: `more than ${this.#rate} end-to-end handshakes per second` };
    }
    this.#admitted++;
    this.#pending++;
    let finished = false;
    return {
      done: () => {
        if (finished) return;
        finished = true;
        this.#pending--;
      },
    };
  }

  stats(): HandshakeGateStats {
    return { admitted: this.#admitted, refused: this.#refused, pending: this.#pending };
  }
}
