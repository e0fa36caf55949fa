import { CapmeshError, isCapmeshError } from '../../util/errors.js';
import type { PeerLocator } from '../../wire/index.js';
import type { RelayCircuit } from './circuit.js';
import { RelayConnection } from './connection.js';
import { E2eInitiator, E2eResponder, type E2eChannelOptions, type E2eIdentity } from './e2e.js';

/**
 * The end-to-end handshake over a relay circuit, on both sides. A module of
 * its own so that the relay netlayer loads it — and with it the end-to-end
 * channel (e2e.ts), X25519 and the ChaCha20-Poly1305 AEAD — with a dynamic
 * `import()` on the first circuit it dials or accepts: a browser tab that only
 * signals through the relay never loads that code. A circuit queues what
 * arrives until its handler is set (circuit.ts), so nothing is lost while the
 * module loads.
 */

export interface CircuitHandshakeOptions extends E2eChannelOptions {
  readonly transport: string;
  readonly identity: E2eIdentity;
  /** Abandon the handshake after this long. */
  readonly timeoutMs: number;
  readonly onEnded: (connection: RelayConnection) => void;
}

type Step = RelayConnection | undefined;

/**
 * Runs a handshake on `circuit`: `step` gets each payload until it returns
 * (or resolves with) the connection. A step that signs is asynchronous; the
 * peer owes us nothing while we sign, so a payload that arrives then fails
 * the handshake (`E2E_HANDSHAKE`) rather than being queued. A step that
 * returns the connection synchronously (the responder's check of `confirm`)
 * installs it at once, so data the initiator sends right after its confirm
 * is delivered in order.
 */
function handshake(
  circuit: RelayCircuit,
  options: CircuitHandshakeOptions,
  step: (payload: Uint8Array) => Step | Promise<Step>,
): Promise<RelayConnection> {
  return new Promise((resolve, reject) => {
    let connection: RelayConnection | undefined;
    let settled = false;
    let busy = false;
    const timer = setTimeout(() => fail(new CapmeshError('E2E_HANDSHAKE', `no end-to-end handshake within ${options.timeoutMs} ms`)), options.timeoutMs);
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const e = isCapmeshError(error) ? error : new CapmeshError('E2E_HANDSHAKE', 'the end-to-end handshake failed', { cause: error });
      circuit.close(`${e.code}: ${e.message}`);
      reject(e);
    };
    circuit.setHandler({
      message: (payload) => {
        if (connection) {
          connection.frame(payload);
          return;
        }
        if (settled) return;
        if (busy) {
          fail(new CapmeshError('E2E_HANDSHAKE', 'the peer sent a handshake message out of turn'));
          return;
        }
        const done = (made: Step): void => {
          if (settled) {
            made?.close('the handshake was abandoned');
            return;
          }
          if (made) {
            connection = made;
            settled = true;
            clearTimeout(timer);
            resolve(made);
          }
        };
        let result: Step | Promise<Step>;
        try {
          result = step(payload);
        } catch (error) {
          fail(error);
          return;
        }
        if (!(result instanceof Promise)) {
          done(result);
          return;
        }
        busy = true;
        result.then(
          (made) => {
            busy = false;
            done(made);
          },
          (error: unknown) => {
            busy = false;
            fail(error);
          },
        );
      },
      closed: (reason, kind) => {
        if (connection) {
          if (kind !== 'local') connection.ended(reason, kind);
          return;
        }
        fail(new CapmeshError('DISCONNECTED', `the circuit closed during the end-to-end handshake: ${reason}`));
      },
    });
  });
}

/** The dialler's side: resolves with an authenticated connection to `locator.designator`. Rejects with `E2E_HANDSHAKE` or `DISCONNECTED`. */
export function dialOverCircuit(circuit: RelayCircuit, locator: PeerLocator, options: CircuitHandshakeOptions): Promise<RelayConnection> {
  let initiator: E2eInitiator;
  try {
    initiator = new E2eInitiator(options.identity, locator.designator, options);
  } catch (error) {
    circuit.close('bad designator');
    return Promise.reject(error);
  }
  const connection = handshake(circuit, options, async (payload) => {
    const { confirm, channel } = await initiator.accept(payload);
    circuit.send(confirm);
    return new RelayConnection({ transport: options.transport, outbound: true, remoteLocator: locator, peer: locator.designator, circuit, channel, onEnded: options.onEnded });
  });
  circuit.send(initiator.init);
  return connection;
}

/**
 * The listener's side: resolves once the dialler proved its designator (the
 * connection's `provenDesignator`; the vat's connection shell checks the
 * peer's start-session against it).
 */
export function acceptOverCircuit(circuit: RelayCircuit, options: CircuitHandshakeOptions): Promise<RelayConnection> {
  let responder: E2eResponder | undefined;
  let starting = false;
  return handshake(circuit, options, (payload) => {
    if (responder === undefined) {
      if (starting) throw new CapmeshError('E2E_HANDSHAKE', 'the peer sent a handshake message out of turn');
      starting = true;
      return E2eResponder.create(options.identity, payload, options).then((made) => {
        if (made.peer !== circuit.peer) {
          throw new CapmeshError('E2E_HANDSHAKE', 'the init names another initiator than the relay reported');
        }
        responder = made;
        circuit.send(made.accept);
        return undefined;
      });
    }
    const channel = responder.confirm(payload);
    return new RelayConnection({
      transport: options.transport,
      outbound: false,
      remoteLocator: undefined,
      peer: responder.peer,
      circuit,
      channel,
      onEnded: options.onEnded,
    });
  });
}
