import { describe, expect, it } from 'vitest';
import type { RelayCircuit } from '../../src/netlayer/relay/circuit.js';
import { identity, relayClient, testRelay } from './helpers.js';

const CLIENTS = 200;

describe('relay at scale', () => {
  it(`${CLIENTS} concurrent clients register, signal their neighbour and talk over circuits`, async () => {
    // Every client comes from 127.0.0.1: lift the per-address cap, which is what this test is not about.
    const relay = await testRelay({ limits: { maxConnectionsPerIp: CLIENTS + 10 } });
    const ids = Array.from({ length: CLIENTS }, () => identity());
    const clients = ids.map((who) => relayClient(relay.url, who));
    await Promise.all(clients.map((c) => c.whenRegistered()));
    expect(relay.stats()).toMatchObject({ connections: CLIENTS, registered: CLIENTS });

    // Every client signals the next one and expects the previous one's signal.
    const signals = clients.map(
      (client, i) =>
        new Promise<void>((resolve, reject) => {
          const off = client.on('signal', (s) => {
            off();
            if (s.from === ids[(i + CLIENTS - 1) % CLIENTS]!.designator && s.payload[0] === ((i + CLIENTS - 1) % CLIENTS) % 256) resolve();
            else reject(new Error(`client ${i} got a signal from the wrong sender`));
          });
        }),
    );
    clients.forEach((client, i) => client.signal(ids[(i + 1) % CLIENTS]!.designator, 'hello', Uint8Array.of(i % 256)));
    await Promise.all(signals);

    // Every client opens a circuit to the client 7 places on and echoes what comes in on the circuits it accepts.
    for (const client of clients) {
      client.on('circuit', (circuit: RelayCircuit) =>
        circuit.setHandler({ message: (payload) => circuit.send(payload), closed: () => {} }),
      );
    }
    const circuits = await Promise.all(clients.map((client, i) => client.openCircuit(ids[(i + 7) % CLIENTS]!.designator)));
    const echoes = circuits.map(
      (circuit, i) =>
        new Promise<number[]>((resolve) => {
          const got: number[] = [];
          circuit.setHandler({
            message: (payload) => {
              got.push(payload[0]!);
              if (got.length === 5) resolve(got);
            },
            closed: () => {},
          });
          for (let n = 0; n < 5; n++) circuit.send(Uint8Array.of((i + n) % 256));
        }),
    );
    const results = await Promise.all(echoes);
    results.forEach((got, i) => expect(got).toEqual([0, 1, 2, 3, 4].map((n) => (i + n) % 256)));
    const stats = relay.stats();
    expect(stats.circuits).toBe(CLIENTS);
    expect(stats.framesForwarded).toBe(CLIENTS + CLIENTS * 10);
    expect(Object.values(stats.drops).every((n) => n === 0)).toBe(true);
  });
});
