import { CapmeshError } from '../../util/errors.js';
import type { PeerLocator } from '../../wire/index.js';
import type { Connection, ConnectionCloseReason, ConnectionReceiver, Netlayer, NetlayerAttachment, NetlayerBinding } from '../types.js';

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
  | { readonly t: 'open'; readonly c: number; readonly from: string }
  | { readonly t: 'data'; readonly c: number; readonly b: Uint8Array }
  | { readonly t: 'close'; readonly c: number; readonly reason: string };

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
  private receiver: ConnectionReceiver | undefined;
  private readonly early: Uint8Array[] = [];
  private closedWith: ConnectionCloseReason | undefined;
  private notified = false;

  constructor(
    private readonly owner: PortNetlayer,
    readonly id: number,
    readonly outbound: boolean,
    readonly remoteLocator: PeerLocator | undefined,
    readonly provenDesignator: string | undefined,
  ) {}

  setReceiver(receiver: ConnectionReceiver): void {
    if (this.receiver) throw new CapmeshError('INVALID_ARGUMENT', 'setReceiver was already called on this connection');
    this.receiver = receiver;
    for (const bytes of this.early.splice(0)) receiver.message(bytes);
    if (this.closedWith) this.notify();
  }

  send(bytes: Uint8Array): void {
    if (this.closedWith) return;
    const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    this.owner.post({ t: 'data', c: this.id, b: copy }, [copy.buffer as ArrayBuffer]);
  }

  close(reason = 'closed'): void {
    if (this.closedWith) return;
    this.owner.post({ t: 'close', c: this.id, reason });
    this.end({ kind: 'local', message: reason });
  }

  arrive(bytes: Uint8Array): void {
    if (this.closedWith) return;
    if (this.receiver) this.receiver.message(bytes);
    else this.early.push(bytes);
  }

  end(reason: ConnectionCloseReason): void {
    if (this.closedWith) return;
    this.closedWith = reason;
    this.owner.forget(this.id);
    if (this.receiver) queueMicrotask(() => this.notify());
  }

  private notify(): void {
    if (this.notified || !this.receiver || !this.closedWith) return;
    this.notified = true;
    this.receiver.closed(this.closedWith);
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
    this.post({ t: 'open', c: id, from: this.binding.designator });
    return connection;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.connections.values()]) c.close('netlayer closed');
    this.port.onmessage = null;
  }

  post(message: PortMessage, transfer?: Transferable[]): void {
    if (this.closed && message.t !== 'close') return;
    this.port.postMessage(message, transfer ?? []);
  }

  forget(id: number): void {
    this.connections.delete(id);
  }

  private receive(message: PortMessage): void {
    if (this.closed || typeof message !== 'object' || message === null) return;
    switch (message.t) {
      case 'open': {
        if (!this.binding || this.connections.has(message.c)) return;
        const connection = new PortConnection(this, message.c, false, undefined, typeof message.from === 'string' ? message.from : undefined);
        this.connections.set(message.c, connection);
        this.binding.onConnection(connection);
        return;
      }
      case 'data':
        if (message.b instanceof Uint8Array) this.connections.get(message.c)?.arrive(message.b);
        return;
      case 'close':
        this.connections.get(message.c)?.end({ kind: 'remote', message: String(message.reason) });
        return;
    }
  }
}

/** A netlayer on one end of a `MessageChannel`; give the other end `side: 'b'`. */
export function messagePortNetlayer(port: MessagePortLike, side: 'a' | 'b'): Netlayer {
  return new PortNetlayer(port, side);
}
