import type { PeerLocator } from '../wire/index.js';
import type { CapmeshErrorCode } from '../util/errors.js';
import type { DesignatorSigner } from '../crypto/signer.js';

/**
 * A netlayer moves whole OCapN messages between two vats. It owns framing,
 * transport-level authentication (where the transport has one) and the
 * transport's own limits; it never interprets CapTP.
 *
 * Ordering: messages on one `Connection` arrive in the order sent, each exactly
 * once, while the connection is open (OCapN Netlayers.md requirement).
 */
export interface Netlayer {
  /** The transport symbol of our locators, e.g. `memory`, `tcp-testing-only`, `websocket`. */
  readonly transport: string;
  /**
   * Starts accepting connections for the vat with `designator`. Returns the
   * hints to put in this vat's locator. Called once, by the vat, before any
   * `connect`. `onConnection` is called for each inbound connection.
   */
  attach(binding: NetlayerBinding): Promise<NetlayerAttachment>;
  /** Opens a connection to the peer at `locator` (whose transport is ours). Rejects with a `CapmeshError` when it cannot: `DISCONNECTED` by default, or a code that says why (the relay netlayers: `PEER_OFFLINE`, `RELAY_UNREACHABLE`, …). */
  connect(locator: PeerLocator): Promise<Connection>;
  /** Stops listening and closes every connection it made or accepted. Idempotent. */
  close(): Promise<void>;
  /**
   * True when this netlayer must answer unlabelled 64-byte legacy websocket
   * challenges (Goblins ≤ 0.17): only then does its binding's signer have
   * `signLegacyPeerAuthChallenge`. Default false.
   */
  readonly legacyPeerAuth?: boolean;
}

export interface NetlayerBinding {
  /** The vat's designator as this transport writes it (for most transports the base32 designator key). */
  readonly designator: string;
  /**
   * Signs labelled statements with the vat's long-lived designator key (for
   * transports that authenticate). Never signs unlabelled bytes, except
   * legacy websocket challenges when the netlayer asked for `legacyPeerAuth`.
   */
  readonly signer: DesignatorSigner;
  /** Called for every inbound connection, before its first message is delivered. */
  readonly onConnection: (connection: Connection) => void;
}

export interface NetlayerAttachment {
  /** The designator this netlayer advertises (may differ from the binding's, e.g. tcp-testing-only). */
  readonly designator: string;
  /** Hints for our locator (`{}` when the transport needs none). */
  readonly hints: Readonly<Record<string, string>>;
}

/** Receives what arrives on a connection. Set once with `Connection.setReceiver`. */
export interface ConnectionReceiver {
  /** One whole message, in order. The array is owned by the receiver. */
  message(bytes: Uint8Array): void;
  /** The connection ended (peer closed, transport failed, or `close()` was called). Called once. */
  closed(reason: ConnectionCloseReason): void;
  /**
   * Backpressure relief: a connection that implements `bufferedBytes` calls
   * this when what it buffers for sending has drained (fallen to its low-water
   * mark). Never from inside `send`; may come when nobody waits for it.
   */
  drained?(): void;
  /**
   * The peer answered a transport-level probe (`Connection.ping`): a sign of
   * life that carries no message. May come at any time while open; never
   * after `closed`, never from inside `send` or `ping`.
   */
  alive?(): void;
  /**
   * Netlayer-internal: a control message of the path-switching protocol
   * (`webrtc/path-switch.ts`), delivered in its place among the messages by the
   * connections that carry them (relay circuits, data channels). Only a
   * `PathSwitchingConnection` sets it; other receivers never see controls.
   */
  control?(bytes: Uint8Array): void;
}

export interface ConnectionCloseReason {
  /** `local` when we called close(); `remote` when the peer closed; `error` for a transport failure. */
  readonly kind: 'local' | 'remote' | 'error';
  readonly message: string;
  /** For an `error`, why, when the transport knows (e.g. `E2E_TAMPERED`): the session's promises break with this code. */
  readonly code?: CapmeshErrorCode;
  /**
   * True when the transport ended the connection for a fault of the peer's
   * (framing garbage `FRAMING`, an oversize frame `LIMIT`, a missed deadline
   * `TIMEOUT`) but can still send. Ordering: during the `closed` call — and
   * only then — `send` still works; what is sent there goes out before the
   * transport's end of stream. The receiver should send `op:abort` naming
   * `code` there (the netlayer cannot: it does not speak CapTP). After
   * `closed` returns the transport closes; `close()` inside is a no-op.
   */
  readonly canSend?: boolean;
}

export interface Connection {
  readonly transport: string;
  /** True for a connection we dialled (used for crossed-hellos resolution). */
  readonly outbound: boolean;
  /** The locator we dialled, for outbound connections. */
  readonly remoteLocator: PeerLocator | undefined;
  /**
   * The designator the transport *proved* is at the other end, or undefined
   * when it proved nothing. Set before the connection is handed out and never
   * changed. The connection shell aborts a connection whose `op:start-session`
   * claims another designator (or another transport) with `IDENTITY_MISMATCH`,
   * and the vat uses a session for its own dials, enlivens and handoffs to a
   * designator only when its connection proved it (or when we dialled that
   * locator ourselves on a transport that cannot prove: "reached by address").
   *
   * Per transport (each connection class documents its own):
   * - `memory`: both ways (the in-process network knows who attached).
   * - `relay` circuits: both ways (end-to-end handshake signed by both designator keys).
   * - `relay` over WebRTC data channels: both ways (signed offer and answer).
   * - `websocket`: outbound only (the listener signed our challenge); inbound is unproven.
   * - `port` (page–worker private link): both ways, by construction (see `port/message-port.ts`).
   * - `tcp-testing-only`: never.
   */
  readonly provenDesignator: string | undefined;
  /**
   * What carries the connection right now, when a transport has more than one
   * way (the browser transport: `webrtc` or `relay`). Undefined means just the
   * transport itself.
   */
  readonly path?: string;
  /**
   * Installs the receiver. Messages that arrived before this call are queued and
   * delivered, in order, right after it. Calling it twice throws.
   */
  setReceiver(receiver: ConnectionReceiver): void;
  /**
   * Sends one whole message. After close this is a no-op. Never throws for
   * transport trouble; that surfaces as `closed`.
   */
  send(bytes: Uint8Array): void;
  /**
   * Backpressure: bytes accepted by `send` that the transport has not yet
   * handed to the network (the peer may not be reading). Optional: absent
   * means the transport cannot tell (treated as 0). A connection that has it
   * must also call its receiver's `drained` when the backlog drains.
   */
  bufferedBytes?(): number;
  /**
   * Where an inbound connection came from, for per-source budgets
   * (`VatLimits.maxInboundSessionsPerSource`): the remote IP address for tcp
   * and websocket listeners. Undefined where the transport has no such notion
   * or would name a middlebox rather than the peer (relay circuits, WebRTC,
   * memory, port), and for outbound connections.
   */
  readonly source?: string | undefined;
  /**
   * Liveness probe in the transport's own protocol, where it has one (a
   * WebSocket ping frame on Node `ws` sockets): sends one probe; the peer's
   * answer comes as the receiver's `alive`. Absent when the transport has no
   * such probe: the shell then probes with a side-effect-free CapTP round
   * trip (see `LivenessOptions` in `mesh/liveness.ts`). A no-op once closed.
   */
  ping?(): void;
  /**
   * False for a link whose ends cannot outlive each other (the page–worker
   * `port` link): the vat then runs no heartbeats on it. Absent means true.
   */
  readonly heartbeats?: boolean;
  /** Closes the connection; the receiver's `closed` is called with kind `local`. Idempotent. */
  close(reason?: string): void;
}
