import { CapmeshError, isCapmeshError, type CapmeshErrorCode } from '../../util/errors.js';
import { assertInteger } from '../../util/assert.js';
import type { PeerLocator } from '../../wire/index.js';
import type { MessagePortLike } from '../port/message-port.js';
import type { Connection, Netlayer, NetlayerAttachment, NetlayerBinding } from '../types.js';
import { SameBrowserConnection, type ChannelRole } from './channel.js';
import { webLocksPresence, type Presence } from './presence.js';
import { isDesignatorLike, type FromSameBrowserBroker, type ToSameBrowserBroker } from './protocol.js';

/** The defaults of {@link SameBrowserOptions}. */
export const SAME_BROWSER_DEFAULTS = Object.freeze({
  brokerWaitMs: 1_000,
  authTimeoutMs: 10_000,
  maxPendingChannels: 16,
  maxEarlyMessages: 16,
});

export interface SameBrowserOptions {
  /** This vat worker's port to the origin's broker (the page connected to the SharedWorker and transferred its port). Owned by the netlayer from now on. */
  readonly broker: MessagePortLike;
  /**
   * How long a dial (and the registration at start) waits for the broker's
   * answer before taking the other paths. Default 1 000 ms: a live broker
   * answers in well under a millisecond, but one that the first tab just
   * started, on a loaded machine, can take hundreds; a dial that gave up on it
   * would go by WebRTC for good. It only costs time when the broker is stuck.
   */
  readonly brokerWaitMs?: number;
  /**
   * How long the key proof on a new channel may take, from the channel's
   * arrival. Default 10 000 ms, generous on purpose (a background tab's
   * timers and a busy worker can be slow): it only costs time when a stale
   * or impostor registration sits in the broker, and then only before the
   * fallback.
   */
  readonly authTimeoutMs?: number;
  /** Channels in their key proof at once, both directions; an incoming channel beyond it is closed at once. Default 16. */
  readonly maxPendingChannels?: number;
  /** OCapN messages a channel queues from a peer whose proof is still being checked; one more fails the channel. Default 16. */
  readonly maxEarlyMessages?: number;
  /** How tab closes are noticed. Default: Web Locks where the platform has them; `null`: not at all (heartbeats only). */
  readonly presence?: Presence | null;
  /** Told each time a dial did not get a fast-path connection and fell back to the wrapped netlayer (diagnostics, tests). */
  readonly onFallback?: (designator: string, reason: { readonly code: CapmeshErrorCode; readonly message: string }) => void;
}

interface PendingDial {
  readonly designator: string;
  readonly resolve: (answer: Extract<FromSameBrowserBroker, { type: 'channel' }>) => void;
  readonly reject: (e: CapmeshError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

class SameBrowserNetlayer implements Netlayer {
  readonly transport: string;
  readonly #inner: Netlayer;
  readonly #broker: MessagePortLike;
  readonly #brokerWaitMs: number;
  readonly #authTimeoutMs: number;
  readonly #maxPending: number;
  readonly #maxEarly: number;
  readonly #presence: Presence | undefined;
  readonly #onFallback: SameBrowserOptions['onFallback'];
  readonly #dials = new Map<number, PendingDial>();
  readonly #connections = new Set<SameBrowserConnection>();
  #binding: NetlayerBinding | undefined;
  #held: { readonly name: string; release(): void } | undefined;
  #registered: (() => void) | undefined;
  #pendingChannels = 0;
  #nextDial = 1;
  #closed = false;

  constructor(inner: Netlayer, options: SameBrowserOptions) {
    this.transport = inner.transport;
    this.#inner = inner;
    this.#broker = options.broker;
    this.#brokerWaitMs = options.brokerWaitMs ?? SAME_BROWSER_DEFAULTS.brokerWaitMs;
    this.#authTimeoutMs = options.authTimeoutMs ?? SAME_BROWSER_DEFAULTS.authTimeoutMs;
    this.#maxPending = options.maxPendingChannels ?? SAME_BROWSER_DEFAULTS.maxPendingChannels;
    this.#maxEarly = options.maxEarlyMessages ?? SAME_BROWSER_DEFAULTS.maxEarlyMessages;
    assertInteger(this.#brokerWaitMs, 'brokerWaitMs', 1);
    assertInteger(this.#authTimeoutMs, 'authTimeoutMs', 1);
    assertInteger(this.#maxPending, 'maxPendingChannels', 1);
    assertInteger(this.#maxEarly, 'maxEarlyMessages', 0);
    this.#presence = options.presence === null ? undefined : (options.presence ?? webLocksPresence());
    this.#onFallback = options.onFallback;
    this.#broker.onmessage = (event) => this.#fromBroker(event.data as FromSameBrowserBroker);
    this.#broker.start?.();
  }

  get legacyPeerAuth(): boolean | undefined {
    return this.#inner.legacyPeerAuth;
  }

  /**
   * Attaches the wrapped netlayer (its hints are ours: locators do not
   * change), then registers at the broker and waits for its answer (at most
   * `brokerWaitMs`), so that once the vat started, other tabs' dials find it.
   * A refused or unanswered registration does not fail the attach: other
   * tabs then reach us by the other paths.
   */
  async attach(binding: NetlayerBinding): Promise<NetlayerAttachment> {
    const attachment = await this.#inner.attach(binding);
    this.#binding = binding;
    // Held before registering, so the broker cannot be granted our lock while we live.
    this.#held = this.#presence ? await this.#presence.hold() : undefined;
    if (this.#closed) return attachment;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.#brokerWaitMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#registered = done;
      this.#toBroker({ type: 'register', designator: binding.designator, ...(this.#held ? { presence: this.#held.name } : {}) });
    });
    this.#registered = undefined;
    return attachment;
  }

  /**
   * Asks the broker first (at most `brokerWaitMs`), proves keys on the
   * channel it hands over (at most `authTimeoutMs`); on any failure —
   * nobody here registered the designator, a stuck broker, a failed proof —
   * dials with the wrapped netlayer instead.
   */
  async connect(locator: PeerLocator): Promise<Connection> {
    const binding = this.#binding;
    if (!this.#closed && binding && locator.designator !== binding.designator && isDesignatorLike(locator.designator)) {
      try {
        return await this.#dialHere(locator, binding);
      } catch (e) {
        const code = isCapmeshError(e) ? e.code : 'INTERNAL';
        this.#onFallback?.(locator.designator, { code, message: e instanceof Error ? e.message : String(e) });
      }
    }
    return this.#inner.connect(locator);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const dial of this.#dials.values()) {
      clearTimeout(dial.timer);
      dial.reject(new CapmeshError('DISCONNECTED', 'the same-browser netlayer closed'));
    }
    this.#dials.clear();
    for (const c of [...this.#connections]) c.close('netlayer closed');
    if (this.#binding) this.#toBroker({ type: 'unregister', designator: this.#binding.designator });
    this.#broker.onmessage = null;
    this.#broker.close?.();
    this.#held?.release();
    await this.#inner.close();
  }

  async #dialHere(locator: PeerLocator, binding: NetlayerBinding): Promise<Connection> {
    const id = this.#nextDial++;
    const answer = await new Promise<Extract<FromSameBrowserBroker, { type: 'channel' }>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#dials.delete(id);
        reject(new CapmeshError('TIMEOUT', `the same-browser broker did not answer within ${this.#brokerWaitMs} ms`));
      }, this.#brokerWaitMs);
      this.#dials.set(id, { designator: locator.designator, resolve, reject, timer });
      this.#toBroker({ type: 'dial', id, designator: locator.designator, from: binding.designator });
    });
    if (this.#pendingChannels >= this.#maxPending) {
      answer.port.close();
      throw new CapmeshError('LIMIT', `${this.#pendingChannels} same-browser channels are in their key proof (maxPendingChannels)`);
    }
    const connection = this.#channel(answer.port, 'dialler', locator.designator, binding, answer.presence, locator);
    await this.#proven(connection);
    return connection;
  }

  #channel(port: MessagePort, role: ChannelRole, peer: string, binding: NetlayerBinding, peerPresence: string | undefined, remoteLocator?: PeerLocator): SameBrowserConnection {
    const connection = new SameBrowserConnection({
      port,
      role,
      transport: this.transport,
      designator: binding.designator,
      signer: binding.signer,
      peer,
      ...(remoteLocator ? { remoteLocator } : {}),
      ...(peerPresence !== undefined && isDesignatorLike(peerPresence) ? { peerPresence } : {}),
      ...(this.#presence ? { presence: this.#presence } : {}),
      authTimeoutMs: this.#authTimeoutMs,
      maxEarlyMessages: this.#maxEarly,
      onEnd: (c) => this.#connections.delete(c),
    });
    this.#connections.add(connection);
    return connection;
  }

  async #proven(connection: SameBrowserConnection): Promise<void> {
    this.#pendingChannels += 1;
    try {
      await connection.prove();
    } finally {
      this.#pendingChannels -= 1;
    }
  }

  #toBroker(message: ToSameBrowserBroker): void {
    this.#broker.postMessage(message);
  }

  #fromBroker(m: FromSameBrowserBroker): void {
    if (this.#closed || typeof m !== 'object' || m === null) return;
    switch (m.type) {
      case 'channel':
      case 'absent': {
        const dial = this.#dials.get(m.id);
        if (!dial) {
          if (m.type === 'channel' && isPort(m.port)) m.port.close(); // answered after our wait ended
          return;
        }
        this.#dials.delete(m.id);
        clearTimeout(dial.timer);
        if (m.type === 'channel' && isPort(m.port)) dial.resolve(m);
        else dial.reject(new CapmeshError('PEER_OFFLINE', `not in this browser: ${m.type === 'absent' ? String(m.message) : 'a malformed answer'}`));
        return;
      }
      case 'incoming': {
        if (!isPort(m.port)) return;
        const binding = this.#binding;
        if (!binding || !isDesignatorLike(m.from) || m.from === binding.designator || this.#pendingChannels >= this.#maxPending) {
          m.port.close();
          return;
        }
        const connection = this.#channel(m.port, 'listener', m.from, binding, m.presence);
        this.#proven(connection).then(
          () => {
            if (this.#closed) connection.close('netlayer closed');
            else binding.onConnection(connection);
          },
          () => undefined, // a failed proof: the channel is closed and nothing was handed out
        );
        return;
      }
      case 'registered':
      case 'refused':
        // A refused registration only means tabs here reach us by the other paths.
        if (m.designator === this.#binding?.designator) this.#registered?.();
        return;
    }
  }
}

function isPort(value: unknown): value is MessagePort {
  return typeof value === 'object' && value !== null && typeof (value as MessagePort).postMessage === 'function';
}

/**
 * The same-browser fast path: wraps the tab's network netlayer (transport
 * `relay`, whose locators and sturdyref URIs stay exactly as they are) so
 * that a dial to a vat of another tab of this browser profile takes a
 * `MessageChannel` the origin's broker (`sameBrowserBroker`, in a
 * SharedWorker) hands over, instead of WebRTC or the relay. Sessions over it
 * are ordinary OCapN sessions; their connections prove the peer's designator
 * key on the channel (see `SameBrowserConnection`) and report `path`
 * `same-browser`.
 *
 * Ordering: `attach` attaches the wrapped netlayer first, then registers our
 * designator at the broker. Inbound connections from either path reach the
 * vat's binding. `close` closes our channels (peers see a `remote` close),
 * unregisters, then closes the wrapped netlayer.
 *
 * Failure: a dial falls back to the wrapped netlayer whatever goes wrong on
 * the fast path (reported through `onFallback`), so the fast path can make a
 * dial slower by at most `brokerWaitMs` + `authTimeoutMs`, never fail it.
 */
export function sameBrowserNetlayer(inner: Netlayer, options: SameBrowserOptions): Netlayer {
  return new SameBrowserNetlayer(inner, options);
}
