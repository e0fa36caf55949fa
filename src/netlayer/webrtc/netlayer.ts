import { CapmeshError, isCapmeshError } from '../../util/errors.js';
import { equalBytes } from '../../util/bytes.js';
import { randomBytes } from '../../crypto/index.js';
import type { PeerLocator } from '../../wire/index.js';
import type { Connection, Netlayer, NetlayerAttachment, NetlayerBinding } from '../types.js';
import type { RelayNetlayer } from '../relay/netlayer.js';
import type { RelaySignal } from '../relay/client.js';
import { NOT_REGISTERED_REASON } from '../relay/protocol.js';
import type { MessagePortLike } from '../port/message-port.js';
import { DataChannelConnection, type DataChannelLike } from './datachannel-connection.js';
import { IceRestarts, REANSWER, REOFFER } from './ice-restart.js';
import { openSdp, signSdp, type SignedSdp } from './signals.js';
import { OfferGate, type OfferLimits, type OfferRefusal } from './offer-policy.js';
import { RelayConnection } from '../relay/connection.js';
import { PathSwitchingConnection, type PathLeg, type PathName, type PathSwitchOptions } from './path-switch.js';
import { awaitFirstArrival, encodeJoin } from './path-join.js';
import type { FromBroker, IceServer, PeerSettings, ToBroker } from './broker-protocol.js';
import { pipeChannel } from './pipe-channel.js';
import { CANDIDATE, Trickle } from './trickle.js';

/**
 * Options of `webrtcNetlayer`. The offer limits (`OfferLimits`: answer
 * policy, pending-offer and peer-connection caps, rate limits, freshness
 * window) are documented there, with their defaults.
 */
export interface WebRtcOptions extends OfferLimits {
  /** The relay netlayer: signalling goes through its client, and it is the fallback path. */
  readonly relay: RelayNetlayer;
  /** The port to the page's RTC broker. */
  readonly broker: MessagePortLike;
  /**
   * STUN/TURN servers for every peer connection. TURN credentials the home
   * relay hands out (`RelayClient.turnCredentials`) are added after these,
   * fresh for each dial and answer, unless `relayTurn` is false: the app's
   * own servers are always used, and the relay's come on top.
   */
  readonly iceServers?: readonly IceServer[];
  /** Add the relay's TURN credentials to `iceServers` (see there). Default true. */
  readonly relayTurn?: boolean;
  /** `relay`: gather only TURN candidates (default `all`). */
  readonly iceTransportPolicy?: 'all' | 'relay';
  /** How long a dial waits for a direct path before using the relay. Default 5 000 ms. */
  readonly timeoutMs?: number;
  /** `false`: never try a direct path; every session rides the relay (default `true`). */
  readonly directPaths?: boolean;
  readonly logger?: { debug(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void };
  /**
   * Called when a signed description from `peer` is refused: bad signature,
   * wrong sender/receiver/role, not Syrup (the relay or someone on the way
   * tampered with it, or a peer misbehaves; the dial falls back to the
   * relay), or an offer over a limit (`OFFER_REFUSED`, with `limit`), outside
   * the freshness window (`OFFER_STALE`) or replayed (`OFFER_REPLAYED`),
   * which is dropped unanswered. Called once per refused signal: a flood
   * means many calls, so keep it cheap (count, don't log each).
   */
  readonly onRefused?: (refusal: DirectPathRefusal) => void;
  /**
   * Called when a live connection moved between the relay path and a direct
   * one (see `PathSwitchingConnection`); `Connection.path` says the same.
   */
  readonly onPathChanged?: (detail: PathChange) => void;
  /**
   * Background direct retries for a connection on the relay path that we
   * dialled: the first after this many ms (250 ms when the peer was not yet
   * registered for our first offer), each next one after twice the last.
   * The answering side runs the same schedule, but only once the dialler's
   * whole schedule is over (`directRetryDelayMs` × (2^`maxDirectRetries` − 1)
   * + `timeoutMs`), so the two never offer at once. Default 1 000 ms.
   */
  readonly directRetryDelayMs?: number;
  /** How many background direct attempts per fall to the relay path (each passes the offer limits). Default 6 (about a minute with the default delay). */
  readonly maxDirectRetries?: number;
  /**
   * How long a connection born on a direct path waits, after that path failed
   * (not a clean goodbye), for a relay circuit to join it before it ends with
   * `DISCONNECTED`: the dialler's relay dial, or the answerer waiting for it.
   * Default `timeoutMs` + 5 000 ms.
   */
  readonly relayJoinTimeoutMs?: number;
  /**
   * While the answering side of such a connection waits for the join, it asks
   * the relay whether the peer is still registered (an empty `path-probe`
   * signal, which the relay bounces for an unregistered peer): at once, then
   * after 250 and 500 ms more (the relay may not yet have seen a closing tab's
   * socket end), then every this many ms. A peer that is gone (its tab
   * closed) ends the session at once with `DISCONNECTED` instead of after
   * `relayJoinTimeoutMs`. Default 1 000 ms.
   */
  readonly pathProbeMs?: number;
  /** Limits of the path-switching protocol (unacknowledged and held bytes, acks): see `PathSwitchOptions`, with their defaults. */
  readonly pathSwitch?: Omit<PathSwitchOptions, 'onPathChanged' | 'onEnded' | 'resumable' | 'awaitPathMs' | 'onPathLost'>;
}

/** A live connection's move between paths (see `WebRtcOptions.onPathChanged`). */
export interface PathChange {
  readonly designator: string;
  readonly from: PathName;
  readonly to: PathName;
}

/** A relay-path connection that may move to a direct path. */
interface Switchable {
  readonly conn: PathSwitchingConnection;
  readonly peer: string;
  readonly circuitId: number;
  /** For connections we dialled: where to send upgrade offers from. */
  readonly locator: PeerLocator | undefined;
  timer?: ReturnType<typeof setTimeout>;
}

/** A connection born on a direct path (see `resumable` in `webrtcNetlayer`). */
interface Direct {
  readonly conn: PathSwitchingConnection;
  readonly peer: string;
  /** The dial id of the offer and answer that opened it: the connection id a relay join names. */
  readonly dialId: Uint8Array;
  /** For connections we dialled: where to dial the relay circuit that joins it. */
  readonly locator: PeerLocator | undefined;
  /** Its relay circuit, once one joined (then it is also in `switchables`). */
  entry?: Switchable;
  /** The answerer's next presence probe while it waits for a join. */
  probe?: ReturnType<typeof setTimeout>;
}

/** A refused signed description (see `WebRtcOptions.onRefused`). */
export interface DirectPathRefusal {
  /** The designator the relay says sent it. */
  readonly peer: string;
  /** What was refused: a signed description, or a trickled ICE candidate (see `Trickle`). */
  readonly role: 'offer' | 'answer' | 'candidate';
  /** The `CapmeshError` code (`CRYPTO_BAD_SIGNATURE`, `PROTOCOL`, `OFFER_REFUSED`, `OFFER_STALE`, `OFFER_REPLAYED`, `CANDIDATE_REFUSED`, …). */
  readonly code: string;
  /** For `OFFER_*` and `CANDIDATE_REFUSED` codes: the option that tripped (`maxPendingOffersPerPeer`, `answerPolicy`, `offerWindowMs`, …). */
  readonly limit?: keyof OfferLimits;
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
/** An empty signal whose only use is the relay's `undeliverable` bounce when the peer is not registered. */
const PROBE = 'path-probe';
const ANSWER = 'rtc-answer';
/**
 * Signals that may wait, in all, for the signals before them from the same
 * sender (while a description's signature is being checked); more are
 * dropped. Offers are admitted by the rate gate before they wait.
 */
const MAX_QUEUED_SIGNALS = 256;

/**
 * A browser vat's netlayer: transport `relay` (so its locators are the
 * relay's), with each connection carried over a direct WebRTC data channel
 * when one can be opened, and over the relay's end-to-end-encrypted circuit
 * otherwise. The session above never knows which; `Connection.path` says.
 *
 * Dial: the page's broker makes an offer, we sign it and send it through the
 * relay as a signal, check the signed answer, and wait for the channel to
 * open, all within `timeoutMs`; if anything fails or is late, we dial a relay
 * circuit instead. When the relay bounces the offer as undeliverable (the
 * peer is not registered), the direct attempt ends at once rather than at
 * `timeoutMs`, and the relay dial reports `PEER_OFFLINE` straight away; a
 * relay we are not registered at gives `RELAY_UNREACHABLE` (see
 * `relayNetlayer`'s `connect` for the codes). Accept: an offer signal is checked (signed by the
 * designator the relay says sent it, addressed to us), answered, and the
 * channel becomes an inbound connection whose `provenDesignator` is that
 * designator (the vat's connection shell checks the start-session against
 * it; this netlayer never decodes CapTP). Before any of that, an offer passes the
 * `OfferGate` (answer policy, caps, rate limits: before its signature is
 * checked) and, once its signature is good, the freshness checks (window,
 * replayed dial id); an offer that fails is dropped without an answer, so the
 * broker builds nothing and no ICE candidate leaves. Once up, an interrupted path gets an ICE
 * restart (see `IceRestarts`), or is closed when it does not come back.
 *
 * Paths: every connection is a `PathSwitchingConnection`. On the relay path
 * (dialled or accepted) we keep trying a direct path in the background
 * (`directRetryDelayMs`, doubling, `maxDirectRetries`; the answering side
 * after the dialler's schedule): an offer that names the connection's circuit
 * (`upgrade`, signed), answered only by the vat at the other end of that
 * circuit, whose channel then joins the connection; the session moves onto
 * it without loss and back to the relay circuit (kept open as a standby) if
 * the channel fails, after which the retries start again. A peer that never
 * answers offers (a Node vat on the relay) never gets a control message.
 *
 * A connection born on a direct path is resumable from its first message
 * (both ends are capmesh browser vats: they number and acknowledge from the
 * start). When its channel fails (an error, or an ICE restart that gave up —
 * not a clean goodbye, which ends the session at once), the dialler opens a
 * relay circuit that *joins* it (webrtc/path-join.ts: the circuit's handshake proves
 * the designator, its first control names the connection by the dial id of
 * the signed offer and answer), both ends resume there, and the retries
 * above run. The answerer attaches such a circuit to that connection only
 * (a join naming none of its sender's live connections is refused with
 * `PROTOCOL`); to tell a join from a new session, an inbound circuit from a
 * peer with a live direct-born connection is handed on at its first arrival.
 * A refused relay dial (`PEER_OFFLINE`: the peer is gone) ends the session
 * with `DISCONNECTED`, as does no join within `relayJoinTimeoutMs`.
 */
export function webrtcNetlayer(options: WebRtcOptions): Netlayer {
  const { relay } = options;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const appIceServers = options.iceServers ?? [];
  const iceTransportPolicy = options.iceTransportPolicy ?? 'all';
  /** Settings for one new peer connection: the app's servers, then the relay's current TURN credentials. */
  const peerSettings = (): PeerSettings => {
    const turn = options.relayTurn === false ? undefined : relay.client?.turnCredentials;
    const iceServers = turn === undefined ? appIceServers : [...appIceServers, { urls: [...turn.urls], username: turn.username, credential: turn.credential }];
    return { iceServers, iceTransportPolicy };
  };
  const log = options.logger ?? { debug() {}, warn() {} };
  const exchanges = new Map<number, Exchange>();
  /** Our dials waiting for their answer, by `designator/dial-id hex`: resolved with the checked answer. */
  const pending = new Map<string, (answer: SignedSdp) => void>();
  let binding: NetlayerBinding | undefined;
  let nextId = 1;
  let closed = false;
  const retryDelayMs = options.directRetryDelayMs ?? 1_000;
  const maxRetries = options.maxDirectRetries ?? 6;
  /** Relay-path connections by `designator/circuit id`. */
  const switchables = new Map<string, Switchable>();
  /** Connections born on a direct path by `designator/dial id hex`. */
  const directs = new Map<string, Direct>();
  const joinTimeoutMs = options.relayJoinTimeoutMs ?? timeoutMs + 5_000;
  const probeMs = options.pathProbeMs ?? 1_000;
  const gate = new OfferGate(options, (peer) => relay.connections().some((c) => c.peer === peer));

  const post = (m: ToBroker): void => options.broker.postMessage(m);
  /**
   * The one place that signs a description (stamping sender and time) and sends it through the relay.
   * Descriptions go out in the order asked, though each is signed asynchronously; the promise
   * settles once this one is sent (or signing failed, which is also logged).
   */
  let signedSends: Promise<void> = Promise.resolve();
  const sendSigned = (kind: string, sdp: Omit<SignedSdp, 'from' | 'sentAt'>): Promise<void> => {
    const b = binding;
    if (!b) return Promise.resolve();
    const sent = signedSends.then(async () => {
      relay.client?.signal(sdp.to, kind, await signSdp({ ...sdp, from: b.designator, sentAt: Date.now() }, b.signer));
    });
    signedSends = sent.catch((e: unknown) => log.warn('cannot send a signed description', { to: sdp.to.slice(0, 12), kind, error: e instanceof Error ? e.message : String(e) }));
    return sent;
  };
  /** Sends an unsigned signal (a trickled candidate) after every description and signal asked for before it. */
  const sendAfter = (to: string, kind: string, payload: Uint8Array): void => {
    signedSends = signedSends
      .then(() => relay.client?.signal(to, kind, payload))
      .catch((e: unknown) => log.debug('cannot send a signal', { to: to.slice(0, 12), kind, error: e instanceof Error ? e.message : String(e) }));
  };
  const trickle = new Trickle({
    post: (m) => post(m),
    send: sendAfter,
    refused: (r) => {
      log.debug('dropped a trickled ICE candidate', { from: r.peer.slice(0, 12), code: r.code, limit: r.limit });
      report({ peer: r.peer, role: 'candidate', code: r.code, message: r.message, ...(r.limit ? { limit: r.limit } : {}) });
    },
    limits: gate.limits,
  });
  const restarts = new IceRestarts({
    post,
    signal: (to, kind, sdp) => void sendSigned(kind, { ...sdp, to }).catch(() => undefined),
    timeoutMs,
    log,
  });
  options.broker.onmessage = (event: MessageEvent) => {
    const m = event.data as FromBroker;
    if (m.type === 'candidate') return trickle.local(m.id, m.candidate);
    const x = exchanges.get(m.id);
    if (!x) {
      // Not being set up: a live connection's state or restart description, or a leftover.
      if (m.type === 'state') restarts.onState(m.id, m.state);
      else if (m.type === 'local') restarts.onLocal(m.id, m.sdp);
      else if (m.type === 'channel') m.channel.close();
      return;
    }
    if (m.type === 'channel' || m.type === 'channel-port') {
      const channel = m.type === 'channel' ? (m.channel as unknown as DataChannelLike) : pipeChannel(m.port);
      x.channel = channel;
      x.connection = x.makeConnection(channel);
      channel.addEventListener('open', () => x.wake());
    }
    else if (m.type === 'local') x.local = m.sdp;
    else if (m.type === 'error') x.failed = m.message;
    else if (m.type === 'state' && (m.state === 'failed' || m.state === 'closed')) x.failed ??= `peer connection ${m.state}`;
    x.wake();
  };
  options.broker.start?.();

  /** Runs an exchange with the broker until `ready(x)` or failure/timeout. */
  const exchange = (outbound: boolean, peer: string, dialId: Uint8Array, remoteLocator: PeerLocator | undefined, start: (id: number) => void) => {
    const id = nextId++;
    gate.add(id, peer, !outbound);
    trickle.begin(id, peer, dialId);
    let wake = (): void => {};
    const x: Exchange = {
      wake: () => wake(),
      makeConnection: (channel) =>
        new DataChannelConnection(channel, {
          outbound,
          remoteLocator,
          provenDesignator: peer,
          onEnded: () => {
            restarts.forget(id);
            gate.remove(id);
            post({ type: 'close', id });
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
      trickle.end(id);
      gate.remove(id);
      x.connection?.close('no direct path');
      post({ type: 'close', id });
    };
    const opened = (): DataChannelConnection | undefined => (x.connection?.isOpen ? x.connection : undefined);
    /** The channel is open: the exchange is over (later candidates are dropped), the peer connection live. */
    const done = (): void => {
      exchanges.delete(id);
      trickle.end(id);
      gate.opened(id);
    };
    return { id, x, until, drop, opened, done };
  };

  const dialDirect = async (locator: PeerLocator, upgrade?: number): Promise<{ connection: DataChannelConnection; dialId: Uint8Array }> => {
    const client = relay.client;
    if (!client || !binding) throw new CapmeshError('RELAY_UNREACHABLE', 'not registered at the relay');
    const over = gate.mayDial(locator.designator);
    if (over) throw new CapmeshError('LIMIT', `no direct dial: ${over} reached`);
    const deadline = Date.now() + timeoutMs;
    const dialId = randomBytes(16);
    const ex = exchange(true, locator.designator, dialId, locator, (id) => post({ type: 'dial', id, peer: peerSettings() }));
    // The relay bounces an offer it cannot deliver: fail this dial then, not at the deadline.
    let offUndeliverable = (): void => {};
    const bounced = new Promise<never>((_, reject) => {
      offUndeliverable = client.on('undeliverable', (notice) => {
        if (notice.to !== locator.designator || notice.kind !== OFFER) return;
        reject(
          notice.reason === NOT_REGISTERED_REASON
            ? new CapmeshError('PEER_OFFLINE', `the peer is not registered at the relay ${relay.url}`)
            : new CapmeshError('RELAY_REFUSED', `the relay did not deliver our offer: ${notice.reason}`),
        );
      });
    });
    bounced.catch(() => undefined);
    try {
      const offer = await ex.until(() => ex.x.local, deadline);
      const answerSignal = new Promise<SignedSdp>((resolve) => pending.set(`${locator.designator}/${hex(dialId)}`, resolve));
      const offerSent = sendSigned(OFFER, { role: 'offer', to: locator.designator, dialId, sdp: offer, ...(upgrade === undefined ? {} : { upgrade }) });
      trickle.described(ex.id); // our candidates follow the offer
      await offerSent;
      // The answer was opened and checked (signature, sender, receiver, window) by onSignal, and matched to this dial by its id.
      const answer = await Promise.race([answerSignal, bounced, ex.until<never>(() => undefined, deadline)]);
      if (!equalBytes(answer.dialId, dialId)) throw new CapmeshError('PROTOCOL', 'the answer belongs to another dial');
      post({ type: 'remote', id: ex.id, sdp: answer.sdp });
      trickle.remoteApplied(ex.id); // the peer's candidates follow the answer
      const connection = await ex.until(ex.opened, deadline);
      ex.done();
      restarts.track({ id: ex.id, peer: locator.designator, dialId, offerer: true, connection, remoteSentAt: answer.sentAt });
      return { connection, dialId };
    } catch (e) {
      ex.drop();
      throw e;
    } finally {
      offUndeliverable();
      pending.delete(`${locator.designator}/${hex(dialId)}`);
    }
  };

  /** Answers a checked offer and hands the channel to the vat once it opens. */
  const acceptDirect = async (signal: RelaySignal, offer: SignedSdp, upgrade?: Switchable): Promise<void> => {
    if (!binding || closed) return;
    const deadline = Date.now() + timeoutMs;
    const ex = exchange(false, signal.from, offer.dialId, undefined, (id) => {
      post({ type: 'accept', id, sdp: offer.sdp, peer: peerSettings() });
      trickle.remoteApplied(id); // the peer's candidates follow its offer
    });
    try {
      const answer = await ex.until(() => ex.x.local, deadline);
      const answerSent = sendSigned(ANSWER, { role: 'answer', to: signal.from, dialId: offer.dialId, sdp: answer });
      trickle.described(ex.id); // our candidates follow the answer
      await answerSent;
      const connection = await ex.until(ex.opened, deadline);
      ex.done();
      restarts.track({ id: ex.id, peer: signal.from, dialId: offer.dialId, offerer: false, connection, remoteSentAt: offer.sentAt });
      if (upgrade) upgrade.conn.attach(connection);
      else binding.onConnection(resumable(connection, offer.dialId, undefined));
    } catch (e) {
      ex.drop();
      throw e;
    }
  };

  const report = (refusal: DirectPathRefusal): void => {
    try {
      options.onRefused?.(refusal);
    } catch {
      // a listener's fault is not the netlayer's
    }
  };
  const refused = (signal: RelaySignal, role: 'offer' | 'answer', e: unknown): void => {
    const message = e instanceof Error ? e.message : String(e);
    log.warn(`refused a direct-path ${role}`, { from: signal.from.slice(0, 12), error: message });
    report({ peer: signal.from, role, code: isCapmeshError(e) ? e.code : 'INTERNAL', message });
  };
  /** An offer dropped unanswered by the gate: logged at debug (a flood would drown a warn log), reported, counted by the listener. */
  const declined = (signal: RelaySignal, role: 'offer' | 'answer', r: OfferRefusal): void => {
    log.debug(`dropped a direct-path ${role} unanswered`, { from: signal.from.slice(0, 12), code: r.code, limit: r.limit });
    report({ peer: signal.from, role, code: r.code, limit: r.limit, message: r.message });
  };
  /** Opens a signed description and checks its window (and, for a first offer, its dial id against replays); undefined when refused. */
  const openFresh = async (signal: RelaySignal, role: 'offer' | 'answer', replayCheck: boolean): Promise<SignedSdp | undefined> => {
    let opened: SignedSdp;
    try {
      opened = await openSdp(signal.payload, signal.from, binding!.designator, role);
    } catch (e) {
      refused(signal, role, e);
      return undefined;
    }
    const stale = gate.fresh(signal.from, opened.sentAt, Date.now(), replayCheck ? hex(opened.dialId) : undefined);
    if (stale) {
      declined(signal, role, stale);
      return undefined;
    }
    return opened;
  };

  /**
   * A sender's signals are handled one after another, in arrival order: a
   * description's signature check is asynchronous, and a candidate, an answer
   * or a restart must not overtake the description before it. Senders do not
   * wait for each other. At most `MAX_QUEUED_SIGNALS` wait in all (only while
   * checks are under way; a flood beyond it is dropped, logged at debug).
   */
  const queues = new Map<string, Promise<void>>();
  let queued = 0;
  const inSenderOrder = (signal: RelaySignal, step: () => Promise<void> | void): void => {
    if (queued >= MAX_QUEUED_SIGNALS) {
      log.debug('dropped a signal: too many waiting for their checks', { from: signal.from.slice(0, 12), kind: signal.kind });
      return;
    }
    queued += 1;
    const next = (queues.get(signal.from) ?? Promise.resolve())
      .then(() => (binding && !closed ? step() : undefined))
      .catch((e: unknown) => log.warn('a signal could not be handled', { from: signal.from.slice(0, 12), error: String(e) }))
      .finally(() => {
        queued -= 1;
        if (queues.get(signal.from) === next) queues.delete(signal.from);
      });
    queues.set(signal.from, next);
  };

  const onSignal = (signal: RelaySignal): void => {
    if (!binding || closed) return;
    if (signal.kind === OFFER) {
      // Policy, caps and rates first, at arrival: cheap, and before the signature is checked.
      const over = gate.admit(signal.from, Date.now());
      if (over) return declined(signal, 'offer', over);
    } else if (signal.kind === REOFFER) {
      if (!gate.hasPeerConnection(signal.from, 'live')) return;
      const over = gate.admitRestart(signal.from, Date.now());
      if (over) return declined(signal, 'offer', over);
    } else if (signal.kind !== REANSWER && signal.kind !== CANDIDATE && signal.kind !== ANSWER) {
      return; // not ours (a probe's bounce is the relay client's)
    }
    inSenderOrder(signal, () => handleSignal(signal));
  };

  const handleSignal = async (signal: RelaySignal): Promise<void> => {
    if (signal.kind === OFFER) {
      const offer = await openFresh(signal, 'offer', true);
      if (!offer) return;
      let upgrade: Switchable | undefined;
      if (offer.upgrade !== undefined) {
        // Only for a live relay connection with the offer's signer, on the circuit it names.
        upgrade = switchables.get(`${signal.from}/${offer.upgrade}`);
        if (!upgrade?.conn.isOpen) return refused(signal, 'offer', new CapmeshError('PROTOCOL', 'an upgrade offer names no live relay connection with its sender'));
      }
      acceptDirect(signal, offer, upgrade).catch((e: unknown) => log.debug('a direct path offered to us did not open', { from: signal.from.slice(0, 12), error: String(e) }));
    } else if (signal.kind === REOFFER || signal.kind === REANSWER) {
      // Only for a live direct connection with the sender; restart offers share the sender's rate bucket (admitted at arrival).
      if (!gate.hasPeerConnection(signal.from, 'live')) return;
      const opened = await openFresh(signal, signal.kind === REOFFER ? 'offer' : 'answer', false);
      if (opened) restarts.onSignal(signal.kind, signal.from, opened);
    } else if (signal.kind === CANDIDATE) {
      // Unsigned (see signals.ts): routed only to a dial of the sender's being set up, within the candidate limits.
      trickle.receive(signal.from, signal.payload);
    } else if (signal.kind === ANSWER) {
      // Only while a dial of ours to the sender waits for its answer.
      if (!gate.hasPeerConnection(signal.from, 'outbound-pending')) return;
      const opened = await openFresh(signal, 'answer', false);
      if (opened) pending.get(`${signal.from}/${hex(opened.dialId)}`)?.(opened);
    }
  };

  const pathChanged = (detail: PathChange): void => {
    try {
      options.onPathChanged?.(detail);
    } catch {
      // a listener's fault is not the netlayer's
    }
  };
  /**
   * How long the answering side of a relay-path connection waits before its own schedule starts:
   * the dialler's whole schedule, its last attempt included, so the two never offer at once
   * (both restart when the connection falls back to the relay).
   */
  const answererWaitMs = retryDelayMs * (2 ** maxRetries - 1) + timeoutMs;
  /** Starts `entry`'s background schedule: the dialler at once, the answerer after `answererWaitMs`. */
  const startRetries = (entry: Switchable, firstDelay = retryDelayMs): void => retryDirect(entry, 0, firstDelay, entry.locator ? 0 : answererWaitMs);
  /**
   * One background direct attempt for `entry` after `after` + `delay` ms; on failure the next after twice `delay`, up to
   * `maxRetries`. The answering side (no locator) offers to the designator at the other end of the circuit.
   */
  const retryDirect = (entry: Switchable, attempt: number, delay: number, after = 0): void => {
    if (attempt >= maxRetries || entry.timer !== undefined) return;
    const locator: PeerLocator = entry.locator ?? { transport: relay.transport, designator: entry.peer, hints: null };
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      if (closed || !entry.conn.isOpen || entry.conn.path === 'webrtc') return;
      dialDirect(locator, entry.circuitId).then(
        ({ connection: channel }) => {
          if (!entry.conn.isOpen) channel.close('the connection has ended');
          else entry.conn.attach(channel);
        },
        (e: unknown) => {
          log.debug('a background direct attempt failed', { peer: entry.peer.slice(0, 12), attempt, error: String(e) });
          retryDirect(entry, attempt + 1, delay * 2);
        },
      );
    }, after + delay);
  };
  /**
   * Wraps a relay connection so it can move to a direct path; `locator` for one we dialled (we then retry the direct path).
   * `leg` carries the connection when it is not `connection` itself (a circuit whose first arrival was looked at).
   */
  const switchable = (connection: Connection, locator: PeerLocator | undefined, firstDelay = retryDelayMs, leg?: PathLeg): Connection => {
    if (options.directPaths === false || !(connection instanceof RelayConnection)) return connection;
    const key = `${connection.peer}/${connection.circuitId}`;
    let entry: Switchable;
    const conn = new PathSwitchingConnection(leg ?? connection, {
      ...options.pathSwitch,
      onPathChanged: (from, to) => {
        pathChanged({ designator: connection.peer, from, to });
        if (to === 'relay') startRetries(entry);
      },
      onEnded: () => {
        clearTimeout(entry.timer);
        if (switchables.get(key) === entry) switchables.delete(key);
      },
    });
    entry = { conn, peer: connection.peer, circuitId: connection.circuitId, locator };
    switchables.set(key, entry);
    startRetries(entry, firstDelay);
    return conn;
  };

  /** Registers the relay circuit that joined a direct-born connection, so upgrade offers may name it and retries run. */
  const joined = (d: Direct, circuit: RelayConnection): Switchable => {
    const entry: Switchable = { conn: d.conn, peer: d.peer, circuitId: circuit.circuitId, locator: d.locator };
    switchables.set(`${d.peer}/${circuit.circuitId}`, entry);
    d.entry = entry;
    return entry;
  };
  /** The dialler's side of a failed direct path: a relay circuit that joins the connection (see webrtc/path-join.ts), or the end. */
  const joinRelay = (d: Direct, locator: PeerLocator): void => {
    const failed = (why: string): void => d.conn.fail('DISCONNECTED', `the direct path failed and the relay path did not open: ${why}`);
    if (closed) return failed('the netlayer is closed');
    relay.connect(locator).then(
      (circuit) => {
        if (!d.conn.isOpen || !(circuit instanceof RelayConnection)) {
          circuit.close('the connection has ended');
          return;
        }
        circuit.sendControl(encodeJoin(d.dialId));
        joined(d, circuit);
        try {
          d.conn.attach(circuit, true);
        } catch (e) {
          failed(e instanceof Error ? e.message : String(e));
        }
      },
      // The session ends DISCONNECTED; the dial's own message says why (its code is not repeated in the text).
      (e: unknown) => failed(isCapmeshError(e) && e.code === 'PEER_OFFLINE' ? `the peer is gone (${e.message})` : e instanceof Error ? e.message : String(e)),
    );
  };
  /** The answerer's side of a failed direct path: until a circuit joins, end at once if the relay says the peer is gone. */
  const probePeer = (d: Direct): void => {
    const client = relay.client;
    if (!client) return;
    const off = client.on('undeliverable', (notice) => {
      if (notice.to !== d.peer || notice.kind !== PROBE) return;
      off();
      d.conn.fail('DISCONNECTED', `the direct path failed and the peer is gone: ${notice.reason}`);
    });
    let sent = 0;
    const send = (): void => {
      d.probe = undefined;
      if (closed || !d.conn.awaitingPath) return off();
      try {
        client.signal(d.peer, PROBE, new Uint8Array(0));
      } catch {
        return off(); // not registered ourselves: the join timeout decides
      }
      // Quick second and third asks: a tab that just closed is usually unregistered within a few hundred ms.
      d.probe = setTimeout(send, Math.min(probeMs, 250 * 2 ** sent++));
    };
    send();
  };
  /**
   * Wraps a connection born on a direct path (both ends are capmesh browser vats): resumable from
   * its first message, so when the direct path fails (not a clean goodbye) the dialler joins a relay
   * circuit to it and both ends go on there; `locator` for one we dialled.
   */
  const resumable = (channel: DataChannelConnection, dialId: Uint8Array, locator: PeerLocator | undefined): Connection => {
    const peer = channel.provenDesignator!;
    const key = `${peer}/${hex(dialId)}`;
    let d: Direct;
    const conn = new PathSwitchingConnection(channel, {
      ...options.pathSwitch,
      resumable: true,
      awaitPathMs: joinTimeoutMs,
      onPathLost: () => {
        if (locator) joinRelay(d, locator);
        else probePeer(d);
      },
      onPathChanged: (from, to) => {
        pathChanged({ designator: peer, from, to });
        if (to === 'relay' && d.entry) startRetries(d.entry);
      },
      onEnded: () => {
        if (directs.get(key) === d) directs.delete(key);
        clearTimeout(d.probe);
        if (d.entry) {
          clearTimeout(d.entry.timer);
          const k = `${peer}/${d.entry.circuitId}`;
          if (switchables.get(k) === d.entry) switchables.delete(k);
        }
      },
    });
    d = { conn, peer, dialId, locator };
    directs.set(key, d);
    return conn;
  };
  /**
   * An inbound relay circuit. From a peer we have a direct-born connection with, it may be a join:
   * its first arrival says (a join attaches it to that connection only; one naming no live connection
   * of that peer is refused, `PROTOCOL`; nothing within `relayJoinTimeoutMs` closes it, `TIMEOUT`).
   * Anything else is a new connection, as from any other peer.
   */
  const inbound = (b: NetlayerBinding, c: Connection): void => {
    const joinable = c instanceof RelayConnection && options.directPaths !== false && [...directs.values()].some((d) => d.peer === c.peer && d.conn.isOpen);
    if (!joinable) return b.onConnection(switchable(c, undefined));
    // Held, not yet the vat's: a circuit on which nothing arrives within relayJoinTimeoutMs is closed
    // (an honest peer sends its join, or its start-session, at once), so a peer cannot park circuits here.
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      c.close('TIMEOUT: nothing arrived on the circuit');
    }, joinTimeoutMs);
    awaitFirstArrival(c, ({ join, leg }) => {
      clearTimeout(timer);
      if (expired) return;
      if (!join) return b.onConnection(switchable(c, undefined, retryDelayMs, leg));
      const d = directs.get(`${c.peer}/${hex(join)}`);
      if (!d?.conn.isOpen) {
        log.warn('refused a relay circuit that joins no live connection of its sender', { from: c.peer.slice(0, 12) });
        c.close('PROTOCOL: the join names no live connection with this peer');
        return;
      }
      joined(d, c);
      d.conn.attach(leg, true);
    });
  };

  return {
    transport: relay.transport,
    async attach(b: NetlayerBinding): Promise<NetlayerAttachment> {
      binding = b;
      const attachment = await relay.attach({ ...b, onConnection: (c) => inbound(b, c) });
      if (options.directPaths !== false) relay.client?.on('signal', onSignal);
      return attachment;
    },
    async connect(locator: PeerLocator): Promise<Connection> {
      let firstRetry = retryDelayMs;
      if (options.directPaths !== false) {
        try {
          const { connection, dialId } = await dialDirect(locator);
          return resumable(connection, dialId, locator);
        } catch (e) {
          // Also after PEER_OFFLINE: the relay dial then fails at once with the same code (the relay
          // answers `open-failed` immediately), or succeeds if the peer registered in between — then
          // it is up now, so the direct path is tried again soon.
          if (isCapmeshError(e) && e.code === 'PEER_OFFLINE') firstRetry = Math.min(250, retryDelayMs);
          log.debug('no direct path; using the relay', { peer: locator.designator.slice(0, 12), error: String(e) });
        }
      }
      return switchable(await relay.connect(locator), locator, firstRetry);
    },
    async close(): Promise<void> {
      closed = true;
      for (const entry of switchables.values()) clearTimeout(entry.timer);
      switchables.clear();
      directs.clear();
      for (const id of [...exchanges.keys()]) post({ type: 'close', id });
      exchanges.clear();
      trickle.clear();
      gate.clear();
      await relay.close();
    },
  };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
