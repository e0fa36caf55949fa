import { CapmeshError } from '../../util/errors.js';
import type { PeerLocator } from '../../wire/index.js';
import type { Connection, ConnectionCloseReason, ConnectionReceiver, Netlayer, NetlayerAttachment, NetlayerBinding } from '../types.js';
import { ConnectionInbox } from '../connection-inbox.js';

/**
 * A netlayer over one `MessagePort`: how a page talks to the vat in its own
 * worker (transport `port`). Both ends attach a `messagePortNetlayer` to the
 * two ends of one `MessageChannel`; either may dial the other, and several
 * connections may share the port (each message names its connection).
 *
 * Messages are structured-cloned; byte arrays are transferred, not copied, so
 * a sender must not reuse one after `send`. Ordering per connection is the
 * port's, which is FIFO. There is no authentication: both ends are the same
 * origin's code, and nothing else can hold the port.
 */
export interface MessagePortLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
  start?(): void;
  close?(): void;
}

type PortMessage =
  | { readonly type: 'open'; readonly connection: number; readonly from: string }
  | { readonly type: 'data'; readonly connection: number; readonly bytes: Uint8Array }
  | { readonly type: 'close'; readonly connection: number; readonly reason: string };

export const PORT_TRANSPORT = 'port';

/**
 * `provenDesignator`: both ways, by construction. A port is one end of a
 * `MessageChannel` that the app's own code set up and handed to exactly two
 * vats (a page and its worker); nothing else can post on it. The dialler's
 * end names the locator it dialled, the listener's end the designator the
 * dialler's `open` named. The shell still checks the hello against it.
 */
class PortConnection implements Connection {
  readonly transport = PORT_TRANSPORT;
  /**
   * No heartbeats on a private page–worker link: both ends live and die with
   * the tab, and a hidden tab's throttled or frozen page must not lose its vat.
   */
  readonly heartbeats = false;
  /** Receiving half: the early queue, then the close notice after the last message. */
  readonly #inbox = new ConnectionInbox();

  constructor(
    private readonly owner: PortNetlayer,
    readonly id: number,
    readonly outbound: boolean,
    readonly remoteLocator: PeerLocator | undefined,
    readonly provenDesignator: string | undefined,
  ) {}

  /** Hands over what arrived so far before returning (and the close notice, if the connection already ended). */
  setReceiver(receiver: ConnectionReceiver): void {
    this.#inbox.setReceiver(receiver, 'now');
  }

  send(bytes: Uint8Array): void {
    if (this.#inbox.ended) return;
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    this.owner.post({ type: 'data', connection: this.id, bytes: copy }, [copy.buffer as ArrayBuffer]);
  }

  close(reason = 'closed'): void {
    if (this.#inbox.ended) return;
    this.owner.post({ type: 'close', connection: this.id, reason });
    this.end({ kind: 'local', message: reason });
  }

  arrive(bytes: Uint8Array): void {
    this.#inbox.push(bytes);
    this.#inbox.deliver();
  }

  end(reason: ConnectionCloseReason): void {
    if (this.#inbox.ended) return;
    this.#inbox.end(reason);
    this.owner.forget(this.id);
    this.#inbox.schedule();
  }
}

class PortNetlayer implements Netlayer {
  readonly transport = PORT_TRANSPORT;
  private binding: NetlayerBinding | undefined;
  private readonly connections = new Map<number, PortConnection>();
  private nextId: number;
  private closed = false;

  constructor(
    private readonly port: MessagePortLike,
    side: 'a' | 'b',
  ) {
    // The two ends number their dials apart (odd / even), so ids never collide.
    this.nextId = side === 'a' ? 1 : 2;
    port.onmessage = (event) => this.receive(event.data as PortMessage);
    port.start?.();
  }

  async attach(binding: NetlayerBinding): Promise<NetlayerAttachment> {
    if (this.binding) throw new CapmeshError('INVALID_ARGUMENT', 'this port netlayer is already attached');
    this.binding = binding;
    return { designator: binding.designator, hints: {} };
  }

  async connect(locator: PeerLocator): Promise<Connection> {
    if (this.closed || !this.binding) throw new CapmeshError('DISCONNECTED', 'the port netlayer is closed or not attached');
    const id = this.nextId;
    this.nextId += 2;
    const connection = new PortConnection(this, id, true, locator, locator.designator);
    this.connections.set(id, connection);
    this.post({ type: 'open', connection: id, from: this.binding.designator });
    return connection;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.connections.values()]) c.close('netlayer closed');
    this.port.onmessage = null;
  }

  post(message: PortMessage, transfer?: Transferable[]): void {
    if (this.closed && message.type !== 'close') return;
    this.port.postMessage(message, transfer ?? []);
  }

  forget(id: number): void {
    this.connections.delete(id);
  }

  private receive(message: PortMessage): void {
    if (this.closed || typeof message !== 'object' || message === null) return;
    switch (message.type) {
      case 'open': {
        if (!this.binding || this.connections.has(message.connection)) return;
        const connection = new PortConnection(this, message.connection, false, undefined, typeof message.from === 'string' ? message.from : undefined);
        this.connections.set(message.connection, connection);
        this.binding.onConnection(connection);
        return;
      }
      case 'data':
        if (message.bytes instanceof Uint8Array) this.connections.get(message.connection)?.arrive(message.bytes);
        return;
      case 'close':
        this.connections.get(message.connection)?.end({ kind: 'remote', message: String(message.reason) });
        return;
    }
  }
}

/** A netlayer on one end of a `MessageChannel`; give the other end `side: 'b'`. */
export function messagePortNetlayer(port: MessagePortLike, side: 'a' | 'b'): Netlayer {
  return new PortNetlayer(port, side);
}
