/**
 * A vat worker for e2e tests and the browser benchmark: capmesh's own boot
 * (`bootWorkerVat`) plus its two documented extension points, which the
 * default worker leaves unused:
 *
 * - `wrapNetlayer` keeps the connections this vat dials, so a test can write
 *   raw bytes on one (a misbehaving peer);
 * - `extension` gives the page worker-side operations: `sendRaw`, and an echo
 *   object plus a timed call loop that run inside the worker (so the bench can
 *   measure vat-to-vat calls without the page ⇄ worker hops).
 */
import { E, far, type Connection, type Netlayer } from 'capmesh';
import { bootWorkerVat } from 'capmesh/browser';

const dialled = new Set<Connection>();

function recording(netlayer: Netlayer): Netlayer {
  return {
    transport: netlayer.transport,
    attach: (binding) => netlayer.attach(binding),
    async connect(locator) {
      const connection = await netlayer.connect(locator);
      dialled.add(connection);
      return connection;
    },
    close: () => netlayer.close(),
  };
}

bootWorkerVat(self as never, {
  wrapNetlayer: recording,
  extension: (vat) =>
    far('test worker extension', {
      /** Writes `bytes` as one message on our live dialled connection to `designator`; returns its path. */
      sendRaw(designator: string, bytes: Uint8Array): string {
        const connection = [...dialled].find((c) => c.remoteLocator?.designator === designator);
        if (!connection) throw new Error(`no dialled connection to ${designator.slice(0, 12)}…`);
        connection.send(bytes);
        return connection.path ?? connection.transport;
      },
      /** Registers an echo object in the worker vat; returns its sturdyref. */
      registerEcho: () => vat.register(far('echo', { ping: (x: unknown) => x, sink: (b: Uint8Array) => b.length })),
      /**
       * Calls `ping(payload)` on `uri` `rounds` times after `warmup`, one at a
       * time; returns each round trip in ms. (Integers arrive as bigints.)
       */
      async pingLoop(uri: string, rounds: bigint, warmup: bigint, size: bigint): Promise<number[]> {
        const echo = await vat.enliven<{ ping(x: Uint8Array): Uint8Array }>(uri);
        const payload = new Uint8Array(Number(size));
        for (let i = 0; i < Number(warmup); i++) await E(echo).ping(payload);
        const out: number[] = [];
        for (let i = 0; i < Number(rounds); i++) {
          const t0 = performance.now();
          await E(echo).ping(payload);
          out.push(performance.now() - t0);
        }
        return out;
      },
      /** Sends `count` × `size` bytes to `sink` on `uri`, `window` calls in flight; returns ms taken. */
      async sinkLoop(uri: string, countN: bigint, size: bigint, window: bigint): Promise<number> {
        const target = await vat.enliven<{ sink(b: Uint8Array): number }>(uri);
        const chunk = new Uint8Array(Number(size));
        const count = Number(countN);
        await E(target).sink(chunk);
        const t0 = performance.now();
        let next = 0;
        const lane = async (): Promise<void> => {
          while (next < count) {
            next++;
            await E(target).sink(chunk);
          }
        };
        await Promise.all(Array.from({ length: Number(window) }, lane));
        return performance.now() - t0;
      },
    }),
});
