/**
 * Worker-side tools for the demo, next to the vat (so timings leave out the
 * page ⇄ worker hops). They reach the vat only through capmesh's documented
 * worker extension points (`bootWorkerVat(self, { wrapNetlayer, extension })`).
 *
 * - Round-trip time: every demo vat exports a tiny probe object under a
 *   well-known swiss number; it answers `true` and nothing else, so knowing
 *   its name grants nothing. `rtt(designator)` fetches the peer's probe over
 *   the session already open to it (once per session) and times one call.
 * - Relay reachability: the worker's only WebSockets are the relay client's;
 *   `watchRelaySockets` (installed before the vat boots) observes them
 *   opening and closing, and `relayState()` reports it. Observation only.
 * - Dropping a dead connection: when a peer's tab goes away without closing
 *   its data channel, the channel can look open for tens of seconds (until
 *   ICE consent fails), and the vat keeps reusing the dead session. The page
 *   notices first (its heartbeat gets no answer) and calls `drop(designator)`,
 *   which closes the connections this vat dialled to that peer, so the
 *   session ends and the next enliven dials afresh.
 */
import { E, far, type Connection, type ConnectionReceiver, type Netlayer, type Remote, type Vat } from 'capmesh';

/** The well-known swiss number of the probe (public on purpose). */
const PROBE_SWISS = new TextEncoder().encode('capmesh-demo/rtt-probe');

export type RelayState = 'connecting' | 'connected' | 'unreachable';

export interface DemoWorkerTools {
  /** Whether the vat's connection to its relay is open now. */
  relayState(): RelayState;
  /** Microseconds for one call to the peer's probe over the open session; rejects when there is none. */
  rtt(designator: string): number;
  /** Closes the connections this vat dialled to `designator`; returns how many. */
  drop(designator: string): number;
}

let relayState: RelayState = 'connecting';

/**
 * Replaces the worker's `WebSocket` with a subclass that reports when its
 * sockets open and close (call before `bootWorkerVat`: the relay client picks
 * the constructor up when it starts).
 */
export function watchRelaySockets(scope: { WebSocket: typeof WebSocket }): void {
  const Native = scope.WebSocket;
  const open = new Set<WebSocket>();
  scope.WebSocket = class WatchedWebSocket extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('open', () => {
        open.add(this);
        relayState = 'connected';
      });
      this.addEventListener('close', () => {
        open.delete(this);
        if (open.size === 0) relayState = 'unreachable';
      });
    }
  };
}

/** Connections this vat dialled and that are still open. */
const dialled = new Set<Connection>();

/** Wraps the network netlayer so the tools can find (and close) the connections it dials. */
export function trackDialled(netlayer: Netlayer): Netlayer {
  return {
    transport: netlayer.transport,
    attach: (binding) => netlayer.attach(binding),
    async connect(locator) {
      const connection = await netlayer.connect(locator);
      dialled.add(connection);
      const setReceiver = connection.setReceiver.bind(connection);
      // Forget it once it ends (the vat installs the receiver right away).
      (connection as { setReceiver(r: ConnectionReceiver): void }).setReceiver = (receiver) =>
        setReceiver({
          message: (bytes) => receiver.message(bytes),
          closed: (reason) => {
            dialled.delete(connection);
            receiver.closed(reason);
          },
        });
      return connection;
    },
    close: () => netlayer.close(),
  };
}

export function demoWorkerTools(vat: Vat): object {
  void vat.register(far('rtt probe', () => true), { swiss: PROBE_SWISS });
  const probes = new Map<string, Promise<Remote<() => boolean>>>();
  return far('demo worker tools', {
    relayState: () => relayState,
    async rtt(designator: string): Promise<number> {
      const sessions = vat.sessions();
      const session = sessions.find((s) => s.designator === designator && s.transport !== 'port');
      if (!session) throw new Error('no open session to that vat');
      for (const old of probes.keys()) if (!sessions.some((s) => s.sessionId === old)) probes.delete(old);
      const key = session.sessionId;
      let probe = probes.get(key);
      if (!probe) {
        probe = vat.enliven<() => boolean>({ peer: session.peer, swiss: PROBE_SWISS });
        probes.set(key, probe);
        probe.catch(() => probes.delete(key));
      }
      const target = await probe;
      const t0 = performance.now();
      await E(target)();
      // Whole microseconds: an integer crosses back to the page as an integer.
      return Math.max(1, Math.round((performance.now() - t0) * 1000));
    },
    drop(designator: string): number {
      let n = 0;
      for (const c of [...dialled]) {
        if (c.remoteLocator?.designator !== designator) continue;
        dialled.delete(c);
        c.close('the peer stopped answering');
        n++;
      }
      return n;
    },
  } satisfies Record<keyof DemoWorkerTools, unknown>);
}
