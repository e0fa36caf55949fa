import { CapmeshError } from '../util/errors.js';
import { compareBytes } from '../util/bytes.js';
import { cryptoBackendReady, generateKeyPair, generateKeyPairAsync, loadCryptoBackend, publicIdOf, publicIdOfAsync, sessionIdOf, sessionIdOfAsync, signLocation, signLocationAsync, verifyLocationAsync, type KeyPair } from '../crypto/index.js';
import { locatorToSyrup, type Dialect, type PeerLocator, type StartSessionOp } from '../wire/index.js';
import type { Connection } from '../netlayer/types.js';
import type { Logger } from '../util/logger.js';

/**
 * `op:start-session`: what we send and how we check what arrives (OCapN
 * CapTP "Starting a session"; notes §3). Each connection gets a fresh session
 * key pair; the hello carries our locator signed with it, wrapped in
 * `<my-location …>` as every deployed peer expects.
 */
export interface LocalHello {
  readonly keyPair: KeyPair;
  readonly publicId: Uint8Array;
  readonly op: StartSessionOp;
}

/** A session key pair made ahead of need (see `prepareSessionKey`); each is used for one hello only. */
let spareSessionKey: KeyPair | undefined;
let spareScheduled = false;

/**
 * Makes one session key pair in the background (a macrotask later), for the
 * next hello to take. Where the curves are pure JS or WebCrypto (browsers),
 * the first key pays a set-up (tens of milliseconds in a fresh worker) that
 * otherwise lands on a first call's critical path (the hello is made once
 * the data channel opened). A browser vat worker calls it once it started;
 * calling it again before the key was taken does nothing. Uses the
 * synchronous backend where it is ready (Node), else the asynchronous one
 * (WebCrypto: this never loads noble).
 */
export function prepareSessionKey(): void {
  if (spareSessionKey || spareScheduled) return;
  spareScheduled = true;
  setTimeout(() => {
    if (cryptoBackendReady()) {
      spareScheduled = false;
      spareSessionKey ??= generateKeyPair();
      return;
    }
    void generateKeyPairAsync().then(
      (keyPair) => {
        spareScheduled = false;
        spareSessionKey ??= keyPair;
      },
      () => {
        spareScheduled = false; // the hello makes its own key (and reports what fails there)
      },
    );
  }, 0);
}

function takeSpareKey(): KeyPair | undefined {
  const key = spareSessionKey;
  spareSessionKey = undefined;
  return key;
}

function helloOf(keyPair: KeyPair, publicId: Uint8Array, location: PeerLocator, dialect: Dialect, locationSig: Uint8Array): LocalHello {
  return {
    keyPair,
    publicId,
    op: { op: 'start-session', captpVersion: dialect.captpVersion, sessionPubkey: keyPair.publicKey, location, locationSig },
  };
}

/**
 * Our hello, with `dialect`'s version (the shell may send it with another:
 * the signature covers the location only): a fresh session key pair and our
 * location signed with it. Needs the synchronous crypto backend (Node, or a
 * browser that loaded it; else `CRYPTO_NOT_LOADED`): see `helloFor`.
 */
export function makeHello(location: PeerLocator, dialect: Dialect): LocalHello {
  const keyPair = takeSpareKey() ?? generateKeyPair();
  return helloOf(keyPair, publicIdOf(keyPair.publicKey), location, dialect, signLocation(keyPair.secretKey, locatorToSyrup(location)));
}

/** `makeHello` through the asynchronous backend (WebCrypto in browsers: it never loads noble); the same hello. */
export async function makeHelloAsync(location: PeerLocator, dialect: Dialect): Promise<LocalHello> {
  const keyPair = takeSpareKey() ?? (await generateKeyPairAsync());
  const [publicId, locationSig] = await Promise.all([publicIdOfAsync(keyPair.publicKey), signLocationAsync(keyPair.secretKey, locatorToSyrup(location))]);
  return helloOf(keyPair, publicId, location, dialect, locationSig);
}

/**
 * The hello for a new connection: made at once (`makeHello`) where the
 * synchronous backend is ready — Node, where nothing waits — else through
 * WebCrypto (`makeHelloAsync`), so a tab never loads noble for its hellos.
 * `createVat` starts the connection's shell once the hello exists; what the
 * peer sends before that waits in the connection.
 */
export function helloFor(location: PeerLocator, dialect: Dialect): LocalHello | Promise<LocalHello> {
  return cryptoBackendReady() ? makeHello(location, dialect) : makeHelloAsync(location, dialect);
}

/**
 * Runs `start` with our hello for `connection`, as `make` (`helloFor`)
 * gives it: before returning when it is made at once (Node), else once the
 * promise resolved (a browser). A hello that could not be made, or a vat
 * that began closing meanwhile (`closing()`), closes the connection and
 * goes to `failed` instead. What the peer sends meanwhile waits in the
 * connection.
 */
export function startWithHello(
  connection: Connection,
  make: () => LocalHello | Promise<LocalHello>,
  closing: () => boolean,
  start: (hello: LocalHello) => void,
  failed: (error: unknown) => void,
): void {
  const refuse = (error: unknown): void => {
    connection.close(closing() ? 'vat is closing' : 'our hello could not be made');
    failed(error);
  };
  let made: LocalHello | Promise<LocalHello>;
  try {
    made = make();
  } catch (error) {
    refuse(error);
    return;
  }
  if (!(made instanceof Promise)) {
    start(made);
    return;
  }
  made.then((hello) => (closing() ? refuse(new CapmeshError('DISCONNECTED', 'the vat is closing')) : start(hello)), refuse);
}

/**
 * The vat's `ShellHost.beforeOpen`: loads the synchronous curves (a
 * browser: noble, once) when a hello arrives while the vat holds another
 * connection (`connections()` counts them, this one included). A handoff
 * between two sessions signs its gift certificate while it marshals, so both
 * sessions must not be open before the curves are here; whichever of two
 * sessions opens second waited for them. A load that fails is logged (the
 * next second session tries again); such a vat's references to third
 * parties are proxied, not handed off (`Handoffs.give`).
 */
export function curvesBeforeSecondSession(connections: () => number, logger: Logger): () => Promise<void> | undefined {
  let loading: Promise<void> | undefined;
  return () => {
    if (connections() < 2 || cryptoBackendReady()) return undefined;
    return (loading ??= loadCryptoBackend().then(
      () => undefined,
      (error: unknown) => {
        loading = undefined;
        logger.warn('could not load the curves handoffs sign with: references to third parties are proxied', { reason: error instanceof Error ? error.message : String(error) });
      },
    ));
  };
}

export interface CheckedHello {
  readonly peerKey: Uint8Array;
  readonly peerId: Uint8Array;
  readonly location: PeerLocator;
  /** The dialect the session with this peer starts with (its `captpVersion` is the peer's). */
  readonly dialect: Dialect;
  /** The OCapN Session ID, from our hello's Public ID and the peer's. */
  readonly sessionId: Uint8Array;
}

/**
 * Checks the peer's start-session: first its location signature, then the
 * version against the dialect for this peer — `dialect`, or what `choose`
 * returns for the (by then verified) hello. Rejects with
 * `BAD_LOCATION_SIGNATURE` or `BAD_VERSION` (or what `choose` throws); the
 * caller aborts the connection with it.
 *
 * Asynchronous because the signature is checked on the platform's crypto
 * (WebCrypto in browsers: async-backend.ts). `choose` runs only after the
 * signature verified. The caller must not act on the peer's later messages
 * until this settles: connection-shell.ts holds them, in arrival order.
 * `ourPublicId` is our hello's Public ID (for the Session ID); the IDs are
 * hashed on WebCrypto where no synchronous backend is ready (a browser).
 */
export async function checkHello(op: StartSessionOp, dialect: Dialect | ((hello: StartSessionOp) => Dialect), ourPublicId: Uint8Array): Promise<CheckedHello> {
  if (!(await verifyLocationAsync(op.sessionPubkey, locatorToSyrup(op.location), op.locationSig))) {
    throw new CapmeshError('BAD_LOCATION_SIGNATURE', 'the start-session location signature does not verify');
  }
  const chosen = typeof dialect === 'function' ? dialect(op) : dialect;
  if (op.captpVersion !== chosen.captpVersion) {
    throw new CapmeshError('BAD_VERSION', `unsupported CapTP version "${op.captpVersion}" (we speak "${chosen.captpVersion}")`);
  }
  // Hashed at once where the synchronous backend is ready (Node: no extra turns before the session opens).
  const now = cryptoBackendReady();
  const peerId = now ? publicIdOf(op.sessionPubkey) : await publicIdOfAsync(op.sessionPubkey);
  const sessionId = now ? sessionIdOf(ourPublicId, peerId) : await sessionIdOfAsync(ourPublicId, peerId);
  return { peerKey: op.sessionPubkey, peerId, location: op.location, dialect: chosen, sessionId };
}

/**
 * Crossed hellos: two vats dial each other at once, so there are two
 * connections between them where CapTP allows one session.
 *
 * The rule (OCapN CapTP draft, "Crossed Hellos Resolution"; Endo's
 * `@endo/ocapn` client/handshake.js and the OCapN test suite's two
 * crossed-hellos tests follow it): each connection is named by the Public ID
 * of the session key its *dialler* sent on it — on our dial, our own hello's
 * key; on the peer's dial, the key in its hello. The two IDs are compared
 * bytewise; the connection with the lower ID is aborted with
 * `op:abort "Crossed hellos mitigated"`, the higher one carries the session.
 * Both sides compare the same two keys, so both keep the same connection.
 *
 * When each side sends its start-session decides whether they also *act* on
 * the same connection. The dialler sends its hello at once. The side that
 * accepted a connection sends nothing until the dialler's hello arrived and
 * the comparison (if there is a crossing) kept this connection — as Endo
 * does. A listener that answered at once (capmesh before issue 15) handed
 * Endo a hello on Endo's own dial before Endo had seen ours on the other
 * connection; Endo opened its session there without a comparison (it
 * compares only when a hello arrives on a connection it accepted) and then
 * refused our dial as "already open", while we had aborted its dial as the
 * loser: both connections died. With the hello held back, a peer only ever
 * gets our hello on the connection both sides keep. A dial whose connection
 * completes after a session to that peer opened is closed unused (see
 * `createVat`), so it never starts a third comparison.
 *
 * Returns true when the connection dialled with `diallerIdA` loses to the one
 * dialled with `diallerIdB`.
 */
export function losesCrossedHellos(diallerIdA: Uint8Array, diallerIdB: Uint8Array): boolean {
  return compareBytes(diallerIdA, diallerIdB) < 0;
}

export const CROSSED_HELLOS_REASON = 'Crossed hellos mitigated';

/** True for the error a connection (or its session) ended with when it lost a crossed-hellos race, on either side. */
export function isCrossedHellos(error: unknown): boolean {
  return error instanceof Error && error.message.endsWith(CROSSED_HELLOS_REASON);
}
