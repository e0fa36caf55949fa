import { CapmeshError, isCapmeshError } from '../util/errors.js';
import { equalBytes } from '../util/bytes.js';
import { randomBytes } from '../crypto/index.js';
import type { PeerLocator } from '../wire/index.js';
import type { Connection, Netlayer, NetlayerAttachment, NetlayerBinding } from './types.js';
import type { RelayNetlayer } from './relay-netlayer.js';
import type { RelaySignal } from './relay-client.js';
import type { MessagePortLike } from './message-port.js';
import { DataChannelConnection, type DataChannelLike } from './datachannel-connection.js';
import { IceRestarts, REANSWER, REOFFER } from './webrtc-ice-restart.js';
import { openSdp, signSdp, type SignedSdp } from './webrtc-signals.js';
import type { FromBroker, IceServer, PeerSettings, PipeMessage, ToBroker } from './webrtc-broker-protocol.js';

export interface WebRtcOptions {
  /** The relay netlayer: signalling goes through its client, and it is the fallback path. */
  readonly relay: RelayNetlayer;
  /** The port to the page's RTC broker. */
  readonly broker: MessagePortLike;
  readonly iceServers?: readonly IceServer[];
  /** `relay`: gather only TURN candidates (default `all`). */
  readonly iceTransportPolicy?: 'all' | 'relay';
  /** How long a dial waits for a direct path before using the relay. Default 5 000 ms. */
  readonly timeoutMs?: number;
  /** Never try a direct path (tests; or a deployment that wants relay only). */
  readonly forceRelay?: boolean;
  readonly logger?: { debug(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void };
  /**
   * Called when a signed description from `peer` is refused (bad signature,
   * wrong sender/receiver/role, not Syrup): the relay or someone on the way
   * tampered with it, or a peer misbehaves. The dial falls back to the relay.
   */
  readonly onRefused?: (refusal: DirectPathRefusal) => void;
}

/** A refused signed description (see `WebRtcOptions.onRefused`). */
export interface DirectPathRefusal {
  /** The designator the relay says sent it. */
  readonly peer: string;
  readonly role: 'offer' | 'answer';
  /** The `CapmeshError` code (`CRYPTO_BAD_SIGNATURE`, `PROTOCOL`, …). */
  readonly code: string;
  readonly message: string;
}

interface Exchange {
  readonly makeConnection: (channel: DataChannelLike) => DataChannelConnection;
  /** Made as soon as the channel arrives, so no early message is missed. */
  connection?: DataChannelConnection;
  channel?: DataChannelLike;
  local?: string;
  failed?: string;
  /** Wakes whoever waits on this exchange. */
  wake: () => void;
}

const OFFER = 'rtc-offer';
const ANSWER = 'rtc-answer';

/**
 * A browser vat's netlayer: transport `relay` (so its locators are the
 * relay's), with each connection carried over a direct WebRTC data channel
 * when one can be opened, and over the relay's end-to-end-encrypted circuit
 * otherwise. The session above never knows which; `Connection.path` says.
 *
 * Dial: the page's broker makes an offer, we sign it and send it through the
 * relay as a signal, check the signed answer, and wait for the channel to
 * open, all within `timeoutMs`; if anything fails or is late, we dial a relay
 * circuit instead. Accept: an offer signal is checked (signed by the
 * designator the relay says sent it, addressed to us), answered, and the
 * channel becomes an inbound connection whose `provenDesignator` is that
 * designator (the vat's connection shell checks the start-session against
 * it; this netlayer never decodes CapTP). Once up, an interrupted path gets an ICE
 * restart (see `IceRestarts`), or is closed when it does not come back.
 */
export function webRtcNetlayer(options: WebRtcOptions): Netlayer {
  const { relay } = options;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const peerSettings: PeerSettings = { iceServers: options.iceServers ?? [], iceTransportPolicy: options.iceTransportPolicy ?? 'all' };
  const log = options.logger ?? { debug() {}, warn() {} };
  const exchanges = new Map<number, Exchange>();
  const pending = new Map<string, (signal: RelaySignal) => void>();
  let binding: NetlayerBinding | undefined;
  let nextId = 1;
  let closed = false;

  const post = (m: ToBroker): void => options.broker.postMessage(m);
  const restarts = new IceRestarts({
    post,
    signal: (to, kind, sdp) => {
      if (binding) relay.client?.signal(to, kind, signSdp({ ...sdp, from: binding.designator }, binding.signWithDesignatorKey));
    },
    timeoutMs,
    log,
  });
  options.broker.onmessage = (event: MessageEvent) => {
    const m = event.data as FromBroker;
    const x = exchanges.get(m.id);
    if (!x) {
      // Not being set up: a live connection's state or restart description, or a leftover.
      if (m.t === 'state') restarts.onState(m.id, m.state);
      else if (m.t === 'local') restarts.onLocal(m.id, m.sdp);
      else if (m.t === 'channel') m.channel.close();
      return;
    }
    if (m.t === 'channel' || m.t === 'channel-port') {
      const channel = m.t === 'channel' ? (m.channel as unknown as DataChannelLike) : pipeChannel(m.port);
      x.channel = channel;
      x.connection = x.makeConnection(channel);
      channel.addEventListener('open', () => x.wake());
    }
    else if (m.t === 'local') x.local = m.sdp;
    else if (m.t === 'error') x.failed = m.message;
    else if (m.t === 'state' && (m.state === 'failed' || m.state === 'closed')) x.failed ??= `peer connection ${m.state}`;
    x.wake();
  };
  options.broker.start?.();

  /** Runs an exchange with the broker until `ready(x)` or failure/timeout. */
  const exchange = (outbound: boolean, remoteLocator: PeerLocator | undefined, provenDesignator: string, start: (id: number) => void) => {
    const id = nextId++;
    let wake = (): void => {};
    const x: Exchange = {
      wake: () => wake(),
      makeConnection: (channel) =>
        new DataChannelConnection(channel, {
          outbound,
          remoteLocator,
          provenDesignator,
          onEnded: () => {
            restarts.forget(id);
            post({ t: 'close', id });
          },
        }),
    };
    exchanges.set(id, x);
    start(id);
    const until = <T>(ready: () => T | undefined, deadline: number): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const check = (): void => {
          if (x.failed !== undefined) {
            clearTimeout(timer);
            reject(new CapmeshError('DISCONNECTED', `direct path failed: ${x.failed}`));
            return;
          }
          const value = ready();
          if (value !== undefined) {
            clearTimeout(timer);
            resolve(value);
          }
        };
        const timer = setTimeout(() => reject(new CapmeshError('DISCONNECTED', 'no direct path in time')), Math.max(0, deadline - Date.now()));
        wake = check;
        check();
      });
    const drop = (): void => {
      exchanges.delete(id);
      x.connection?.close('no direct path');
      post({ t: 'close', id });
    };
    const opened = (): DataChannelConnection | undefined => (x.connection?.isOpen ? x.connection : undefined);
    return { id, x, until, drop, opened };
  };

  const dialDirect = async (locator: PeerLocator): Promise<Connection> => {
    const client = relay.client;
    if (!client || !binding) throw new CapmeshError('DISCONNECTED', 'not registered at the relay');
    const deadline = Date.now() + timeoutMs;
    const dialId = randomBytes(16);
    const ex = exchange(true, locator, locator.designator, (id) => post({ t: 'dial', id, peer: peerSettings }));
    try {
      const offer = await ex.until(() => ex.x.local, deadline);
      const answerSignal = new Promise<RelaySignal>((resolve) => pending.set(`${locator.designator}/${hex(dialId)}`, resolve));
      client.signal(locator.designator, OFFER, signSdp({ role: 'offer', from: binding.designator, to: locator.designator, dialId, sdp: offer }, binding.signWithDesignatorKey));
      const answer = await Promise.race([answerSignal, ex.until<never>(() => undefined, deadline)]);
      const opened = openSdp(answer.payload, answer.from, binding.designator, 'answer');
      if (!equalBytes(opened.dialId, dialId)) throw new CapmeshError('PROTOCOL', 'the answer belongs to another dial');
      post({ t: 'remote', id: ex.id, sdp: opened.sdp });
      const connection = await ex.until(ex.opened, deadline);
      exchanges.delete(ex.id);
      restarts.track({ id: ex.id, peer: locator.designator, dialId, offerer: true, connection });
      return connection;
    } catch (e) {
      ex.drop();
      throw e;
    } finally {
      pending.delete(`${locator.designator}/${hex(dialId)}`);
    }
  };

  /** Answers a checked offer and hands the channel to the vat once it opens. */
  const acceptDirect = async (signal: RelaySignal, offer: SignedSdp): Promise<void> => {
    if (!binding || closed) return;
    const deadline = Date.now() + timeoutMs;
    const ex = exchange(false, undefined, signal.from, (id) => post({ t: 'accept', id, sdp: offer.sdp, peer: peerSettings }));
    try {
      const answer = await ex.until(() => ex.x.local, deadline);
      relay.client?.signal(signal.from, ANSWER, signSdp({ role: 'answer', from: binding.designator, to: signal.from, dialId: offer.dialId, sdp: answer }, binding.signWithDesignatorKey));
      const connection = await ex.until(ex.opened, deadline);
      exchanges.delete(ex.id);
      restarts.track({ id: ex.id, peer: signal.from, dialId: offer.dialId, offerer: false, connection });
      binding.onConnection(connection);
    } catch (e) {
      ex.drop();
      throw e;
    }
  };

  const refused = (signal: RelaySignal, role: 'offer' | 'answer', e: unknown): void => {
    const message = e instanceof Error ? e.message : String(e);
    log.warn(`refused a direct-path ${role}`, { from: signal.from.slice(0, 12), error: message });
    try {
      options.onRefused?.({ peer: signal.from, role, code: isCapmeshError(e) ? e.code : 'INTERNAL', message });
    } catch {
      // a listener's fault is not the netlayer's
    }
  };

  const onSignal = (signal: RelaySignal): void => {
    if (signal.kind === OFFER) {
      if (!binding || closed) return;
      let offer: SignedSdp;
      try {
        offer = openSdp(signal.payload, signal.from, binding.designator, 'offer');
      } catch (e) {
        refused(signal, 'offer', e);
        return;
      }
      acceptDirect(signal, offer).catch((e: unknown) => log.debug('a direct path offered to us did not open', { from: signal.from.slice(0, 12), error: String(e) }));
    } else if ((signal.kind === REOFFER || signal.kind === REANSWER) && binding) {
      const role = signal.kind === REOFFER ? 'offer' : 'answer';
      try {
        restarts.onSignal(signal.kind, signal.from, openSdp(signal.payload, signal.from, binding.designator, role));
      } catch (e) {
        refused(signal, role, e);
      }
    } else if (signal.kind === ANSWER && binding) {
      try {
        const opened = openSdp(signal.payload, signal.from, binding.designator, 'answer');
        pending.get(`${signal.from}/${hex(opened.dialId)}`)?.(signal);
      } catch (e) {
        refused(signal, 'answer', e);
      }
    }
  };

  return {
    transport: relay.transport,
    async attach(b: NetlayerBinding): Promise<NetlayerAttachment> {
      binding = b;
      const attachment = await relay.attach(b);
      if (!options.forceRelay) relay.client?.on('signal', onSignal);
      return attachment;
    },
    async connect(locator: PeerLocator): Promise<Connection> {
      if (!options.forceRelay) {
        try {
          return await dialDirect(locator);
        } catch (e) {
          log.debug('no direct path; using the relay', { peer: locator.designator.slice(0, 12), error: String(e) });
        }
      }
      return relay.connect(locator);
    },
    async close(): Promise<void> {
      closed = true;
      for (const id of [...exchanges.keys()]) post({ t: 'close', id });
      exchanges.clear();
      await relay.close();
    },
  };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A data channel piped through a MessagePort by the page (where channels cannot be transferred). */
function pipeChannel(port: MessagePort): DataChannelLike {
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
      port.postMessage({ t: 'data', b: copy } satisfies PipeMessage, [copy as ArrayBuffer]);
    },
    close() {
      if (channel.readyState === 'closed') return;
      port.postMessage({ t: 'close' } satisfies PipeMessage);
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
    if (m.t === 'open') {
      channel.readyState = 'open';
      emit('open');
    } else if (m.t === 'data') {
      emit('message', { data: m.b } as MessageEvent);
    } else if (m.t === 'close' && channel.readyState !== 'closed') {
      channel.readyState = 'closed';
      emit('close');
    }
  };
  return channel as unknown as DataChannelLike;
}
