/**
 * Worker-side tools for the demo, next to the vat (so timings leave out the
 * page ⇄ worker hops). They reach the vat only through capmesh's documented
 * worker extension point (`bootWorkerVat(self, { extension })`).
 *
 * Round-trip time: every demo vat exports a tiny probe object under a
 * well-known swiss number; it answers `true` and nothing else, so knowing its
 * name grants nothing. `rtt(designator)` fetches the peer's probe over the
 * session already open to it (once per session) and times one call.
 *
 * (Relay reachability and session ends need no tools: the page has
 * `vat.relayState`, the `relay-state` event, `vat.sessions()` and the vat's
 * own heartbeats.)
 */
import { E, far, type Remote, type Vat } from 'capmesh';

/** The well-known swiss number of the probe (public on purpose). */
const PROBE_SWISS = new TextEncoder().encode('capmesh-demo/rtt-probe');

export interface DemoWorkerTools {
  /** Microseconds for one call to the peer's probe over the open session; rejects when there is none. */
  rtt(designator: string): number;
}

export function demoWorkerTools(vat: Vat): object {
  void vat.register(far('rtt probe', () => true), { swiss: PROBE_SWISS });
  const probes = new Map<string, Promise<Remote<() => boolean>>>();
  return far('demo worker tools', {
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
  } satisfies Record<keyof DemoWorkerTools, unknown>);
}
