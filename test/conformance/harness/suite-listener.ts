import { createServer, type Server, type Socket } from 'node:net';
import { toHex } from '../../../src/util/bytes.js';
import type { PeerLocator } from '../../../src/wire/index.js';
import { RawSession, type SuiteSide } from './raw-session.js';

/** A fresh suite-side location: a random hex designator, like the suite's uuid4().hex. */
export function suiteLocation(port: number): PeerLocator {
  return {
    transport: 'tcp-testing-only',
    designator: toHex(crypto.getRandomValues(new Uint8Array(16))),
    hints: { host: '127.0.0.1', port: String(port) },
  };
}

/**
 * The suite's own listening netlayer (`TestingOnlyTCPNetlayer`): a location
 * the peer under test can dial back to (crossed hellos, the enlivener,
 * handoffs), `accept()` for its inbound connections and `connect()` for
 * sessions that present this same location.
 */
export class SuiteListener {
  private readonly pending: Socket[] = [];
  private readonly waiters: ((s: Socket) => void)[] = [];
  private readonly sessions: RawSession[] = [];
  private inbound = 0;

  private constructor(
    private readonly server: Server,
    readonly location: PeerLocator,
    private readonly side: SuiteSide,
  ) {
    server.on('connection', (socket) => {
      this.inbound++;
      const w = this.waiters.shift();
      if (w) w(socket);
      else this.pending.push(socket);
    });
  }

  static async open(side: SuiteSide): Promise<SuiteListener> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return new SuiteListener(server, suiteLocation(port), side);
  }

  /** The next inbound connection, as a session presenting our location. */
  async accept(): Promise<RawSession> {
    const socket = this.pending.shift() ?? (await new Promise<Socket>((resolve) => this.waiters.push(resolve)));
    const session = new RawSession(socket, this.location, this.side);
    this.sessions.push(session);
    return session;
  }

  /** How many connections the peer has opened to this location so far (accepted or not). */
  get inboundCount(): number {
    return this.inbound;
  }

  /** Dials the peer at `uri`, presenting this listener's location. */
  async connect(uri: string): Promise<RawSession> {
    const session = await RawSession.dial(uri, this.location, this.side);
    this.sessions.push(session);
    return session;
  }

  close(): Promise<void> {
    for (const s of this.sessions) s.close();
    for (const s of this.pending) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
