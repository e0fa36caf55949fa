import { publicKeyOfDesignator, randomBytes, verifyAsync, type DesignatorSigner } from '../../crypto/index.js';
import { encode, record } from '../../syrup/index.js';
import { CapmeshError, isCapmeshError, type CapmeshErrorCode } from '../../util/errors.js';
import type { PeerLocator } from '../../wire/index.js';
import { ConnectionInbox } from '../connection-inbox.js';
import type { MessagePortLike } from '../port/message-port.js';
import type { Connection, ConnectionCloseReason, ConnectionReceiver } from '../types.js';
import type { Presence } from './presence.js';
import { SAME_BROWSER_AUTH_LABEL, SAME_BROWSER_PATH, isDesignatorLike, type SameBrowserChannelMessage } from './protocol.js';

export type ChannelRole = 'dialler' | 'listener';

export interface ChannelSetup {
  readonly port: MessagePortLike;
  readonly role: ChannelRole;
  /** The transport symbol the connection reports (the network netlayer's). */
  readonly transport: string;
  /** Our designator and the key that signs for it. */
  readonly designator: string;
  readonly signer: DesignatorSigner;
  /** The dialler: whom it dialled (the peer must prove exactly this designator). The listener: who the broker says dials (the peer's hello must match). */
  readonly peer: string;
  readonly remoteLocator?: PeerLocator;
  /** The peer worker's presence lock, when the broker passed one on. */
  readonly peerPresence?: string;
  readonly presence?: Presence;
  readonly authTimeoutMs: number;
  /** OCapN messages queued from a peer whose proof is still being checked; more fail the channel (`LIMIT`). */
  readonly maxEarlyMessages: number;
  /** Runs once the connection ended (to forget it). */
  readonly onEnd: (connection: SameBrowserConnection) => void;
}

/** The statement each end signs: the role it plays and the whole exchange so far. */
export function authStatement(role: ChannelRole, dialler: string, listener: string, diallerNonce: Uint8Array, listenerNonce: Uint8Array): Uint8Array {
  return encode(record(SAME_BROWSER_AUTH_LABEL, role, dialler, listener, diallerNonce, listenerNonce));
}

/**
 * One connection of the same-browser fast path: one `MessageChannel`
 * between two vat workers, made by the broker.
 *
 * Before it is handed out, the two ends prove their designator keys to each
 * other (both ways, so `provenDesignator` is set both ways): each sends a
 * `hello` (its designator and a fresh 32-byte nonce), then a `proof`, its
 * designator key's signature over `authStatement(its role, dialler,
 * listener, both nonces)`. {@link prove} resolves once the peer's proof
 * verified; it rejects — and the port is closed — when the peer names
 * another designator than expected (`IDENTITY_MISMATCH`), its signature does
 * not verify (`CRYPTO_BAD_SIGNATURE`), it sends anything out of order
 * (`PROTOCOL`), more than `maxEarlyMessages` messages early (`LIMIT`), or
 * nothing in `authTimeoutMs` (`TIMEOUT`).
 *
 * Then each OCapN message crosses as one transferred `ArrayBuffer` (so a
 * sender must not reuse the bytes it sent), in order (a port is FIFO).
 * Ending: `close()` tells the peer (`remote` close there); a peer whose
 * worker vanished (its tab closed: its presence lock was released) ends the
 * connection with an `error` whose code is `DISCONNECTED`.
 */
export class SameBrowserConnection implements Connection {
  readonly transport: string;
  readonly path = SAME_BROWSER_PATH;
  readonly outbound: boolean;
  readonly remoteLocator: PeerLocator | undefined;
  readonly #inbox = new ConnectionInbox();
  readonly #setup: ChannelSetup;
  readonly #nonce = randomBytes(32);
  readonly #stopWatching = new AbortController();
  #peerNonce: Uint8Array | undefined;
  #proven: string | undefined;
  #proofSent = false;
  #peerVerified = false;
  #early = 0;
  #state: 'proving' | 'open' | 'ended' = 'proving';
  #settle: { resolve(): void; reject(e: CapmeshError): void } | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(setup: ChannelSetup) {
    this.#setup = setup;
    this.transport = setup.transport;
    this.outbound = setup.role === 'dialler';
    this.remoteLocator = setup.remoteLocator;
    setup.port.onmessage = (event) => this.#receive(event.data as SameBrowserChannelMessage | ArrayBuffer);
    setup.port.start?.();
  }

  get provenDesignator(): string | undefined {
    return this.#proven;
  }

  /** Runs the key proof (see the class note). Call once, right after construction. */
  prove(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
      this.#timer = setTimeout(() => this.#fail('TIMEOUT', `no key proof from the peer tab within ${this.#setup.authTimeoutMs} ms`), this.#setup.authTimeoutMs);
      this.#post({ type: 'hello', designator: this.#setup.designator, nonce: this.#nonce });
    });
  }

  setReceiver(receiver: ConnectionReceiver): void {
    this.#inbox.setReceiver(receiver, 'now');
  }

  send(bytes: Uint8Array): void {
    if (this.#state !== 'open') return;
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    this.#setup.port.postMessage(copy.buffer, [copy.buffer as ArrayBuffer]);
  }

  close(reason = 'closed'): void {
    if (this.#state === 'ended') return;
    this.#post({ type: 'close', reason });
    this.#end({ kind: 'local', message: reason });
  }

  #post(message: SameBrowserChannelMessage): void {
    this.#setup.port.postMessage(message);
  }

  #receive(m: SameBrowserChannelMessage | ArrayBuffer): void {
    if (this.#state === 'ended') return;
    if (m instanceof ArrayBuffer) {
      if (this.#state === 'proving' && ++this.#early > this.#setup.maxEarlyMessages) {
        this.#fail('LIMIT', `more than ${this.#setup.maxEarlyMessages} messages before the key proof (maxEarlyMessages)`);
        return;
      }
      this.#inbox.push(new Uint8Array(m));
      if (this.#state === 'open') this.#inbox.deliver();
      return;
    }
    if (typeof m !== 'object' || m === null) return this.#fail('PROTOCOL', 'a malformed same-browser channel message');
    if (m.type === 'close') {
      if (this.#state === 'proving') return this.#fail('DISCONNECTED', `the peer tab closed the channel during the key proof: ${String(m.reason)}`);
      this.#end({ kind: 'remote', message: String(m.reason) });
      return;
    }
    if (this.#state !== 'proving') return this.#fail('PROTOCOL', `an unexpected ${String(m.type)} after the key proof`);
    if (m.type === 'hello' && this.#peerNonce === undefined) return this.#hello(m.designator, m.nonce);
    if (m.type === 'proof' && this.#peerNonce !== undefined) {
      void this.#checkProof(m.signature);
      return;
    }
    this.#fail('PROTOCOL', 'same-browser key proof messages out of order');
  }

  #hello(designator: unknown, nonce: unknown): void {
    if (!isDesignatorLike(designator) || !(nonce instanceof Uint8Array) || nonce.length !== 32) return this.#fail('PROTOCOL', 'a malformed hello on a same-browser channel');
    if (designator !== this.#setup.peer) {
      return this.#fail('IDENTITY_MISMATCH', `the peer tab says it is ${designator}, not ${this.#setup.peer}`);
    }
    this.#peerNonce = Uint8Array.from(nonce);
    const s = this.#setup;
    const [dialler, listener] = s.role === 'dialler' ? [s.designator, s.peer] : [s.peer, s.designator];
    const [dn, ln] = s.role === 'dialler' ? [this.#nonce, this.#peerNonce] : [this.#peerNonce, this.#nonce];
    // The signer refuses anything but a registered label; the statement is ours, so the encoding is canonical.
    s.signer.signEncoded(authStatement(s.role, dialler, listener, dn, ln)).then(
      (signature) => {
        if (this.#state !== 'proving') return;
        this.#post({ type: 'proof', signature });
        this.#proofSent = true;
        this.#openIfDone();
      },
      (e: unknown) => this.#fail(isCapmeshError(e) ? e.code : 'SIGNING_REFUSED', `signing the same-browser key proof failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  async #checkProof(signature: unknown): Promise<void> {
    const s = this.#setup;
    const peerRole: ChannelRole = s.role === 'dialler' ? 'listener' : 'dialler';
    const [dialler, listener] = s.role === 'dialler' ? [s.designator, s.peer] : [s.peer, s.designator];
    const [dn, ln] = s.role === 'dialler' ? [this.#nonce, this.#peerNonce!] : [this.#peerNonce!, this.#nonce];
    let ok = false;
    try {
      ok = signature instanceof Uint8Array && signature.length === 64 && (await verifyAsync(publicKeyOfDesignator(s.peer), authStatement(peerRole, dialler, listener, dn, ln), signature));
    } catch {
      ok = false; // a designator that is no key
    }
    if (this.#state !== 'proving') return;
    if (!ok) return this.#fail('CRYPTO_BAD_SIGNATURE', `the peer tab's key proof for ${s.peer} does not verify`);
    this.#peerVerified = true;
    this.#openIfDone();
  }

  /**
   * Opens once both halves are done: the peer's proof verified and ours was
   * posted. Either may finish first (the peer may sign faster than we do);
   * opening before ours left would never send it, and the peer would time out.
   */
  #openIfDone(): void {
    const s = this.#setup;
    if (this.#state !== 'proving' || !this.#peerVerified || !this.#proofSent) return;
    clearTimeout(this.#timer);
    this.#proven = s.peer;
    this.#state = 'open';
    if (s.presence && s.peerPresence !== undefined) {
      void s.presence.whenGone(s.peerPresence, this.#stopWatching.signal).then(() =>
        this.#end({ kind: 'error', code: 'DISCONNECTED', message: 'the peer tab closed (its vat worker is gone)' }),
      );
    }
    this.#settle?.resolve();
  }

  #fail(code: CapmeshErrorCode, message: string): void {
    if (this.#state === 'ended') return;
    this.#post({ type: 'close', reason: message });
    this.#end({ kind: 'error', code, message });
  }

  #end(reason: ConnectionCloseReason): void {
    if (this.#state === 'ended') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'ended';
    clearTimeout(this.#timer);
    this.#stopWatching.abort();
    this.#setup.port.onmessage = null;
    this.#setup.port.close?.();
    if (!wasOpen) this.#settle?.reject(new CapmeshError(reason.code ?? 'DISCONNECTED', reason.message));
    this.#inbox.end(reason, !wasOpen);
    this.#inbox.schedule();
    this.#setup.onEnd(this);
  }
}
