import { afterEach, describe, expect, it } from 'vitest';
import { sameBrowserBroker, type SameBrowserBroker } from '../../../src/netlayer/same-browser/broker.js';
import type { FromSameBrowserBroker } from '../../../src/netlayer/same-browser/protocol.js';
import { nextMessage, testPresence } from './fixtures.js';

let brokers: SameBrowserBroker[] = [];
const ports: MessagePort[] = [];
afterEach(() => {
  for (const b of brokers) b.close();
  brokers = [];
  for (const p of ports.splice(0)) p.close();
});

/** A broker and a function that connects one more worker port to it. */
function setup(options: Parameters<typeof sameBrowserBroker>[0] = {}): { broker: SameBrowserBroker; client(): MessagePort } {
  const broker = sameBrowserBroker(options);
  brokers.push(broker);
  return {
    broker,
    client() {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1, port2);
      broker.connect(port2);
      return port1;
    },
  };
}

async function register(port: MessagePort, designator: string, presence?: string): Promise<FromSameBrowserBroker> {
  const reply = nextMessage<FromSameBrowserBroker>(port);
  port.postMessage({ type: 'register', designator, ...(presence ? { presence } : {}) });
  return reply;
}

describe('sameBrowserBroker: the registry of tabs and the channels it hands out', () => {
  it('hands a dialler and the registered listener the two ends of one channel', async () => {
    const { client } = setup();
    const alice = client();
    const bob = client();
    expect(await register(alice, 'alice')).toEqual({ type: 'registered', designator: 'alice' });
    expect(await register(bob, 'bob', 'bob-lock')).toEqual({ type: 'registered', designator: 'bob' });
    const incoming = nextMessage<Extract<FromSameBrowserBroker, { type: 'incoming' }>>(bob);
    const answer = nextMessage<Extract<FromSameBrowserBroker, { type: 'channel' }>>(alice);
    alice.postMessage({ type: 'dial', id: 7, designator: 'bob', from: 'alice' });
    const [a, b] = [await answer, await incoming];
    expect(a).toMatchObject({ type: 'channel', id: 7, presence: 'bob-lock' });
    expect(b).toMatchObject({ type: 'incoming', designator: 'bob', from: 'alice' });
    // The two ends are one channel.
    const got = nextMessage<string>(b.port);
    a.port.postMessage('over the channel');
    expect(await got).toBe('over the channel');
    a.port.close();
    b.port.close();
  });

  it('answers absent for an unknown designator, a dial to the dialler itself, or from a designator it did not register', async () => {
    const { client } = setup();
    const alice = client();
    await register(alice, 'alice');
    const ask = async (designator: string, from: string): Promise<FromSameBrowserBroker> => {
      const reply = nextMessage<FromSameBrowserBroker>(alice);
      alice.postMessage({ type: 'dial', id: 1, designator, from });
      return reply;
    };
    expect(await ask('nobody', 'alice')).toMatchObject({ type: 'absent', id: 1 });
    expect(await ask('alice', 'alice')).toMatchObject({ type: 'absent', message: expect.stringContaining('dialler itself') });
    const bob = client();
    await register(bob, 'bob');
    expect(await ask('bob', 'mallory')).toMatchObject({ type: 'absent', message: expect.stringContaining('did not register') });
  });

  it('refuses registrations over maxRegistrationsPerPort and maxRegistrations', async () => {
    const { client, broker } = setup({ maxRegistrationsPerPort: 2, maxRegistrations: 3 });
    const one = client();
    expect(await register(one, 'a')).toMatchObject({ type: 'registered' });
    expect(await register(one, 'b')).toMatchObject({ type: 'registered' });
    expect(await register(one, 'c')).toMatchObject({ type: 'refused', message: expect.stringContaining('maxRegistrationsPerPort') });
    const two = client();
    expect(await register(two, 'd')).toMatchObject({ type: 'registered' });
    expect(await register(two, 'e')).toMatchObject({ type: 'refused', message: expect.stringContaining('maxRegistrations') });
    expect(broker.registrations('c')).toBe(0);
    expect(broker.registrations('d')).toBe(1);
  });

  it('refuses a port over maxPorts by closing it, and rejects malformed limits', async () => {
    expect(() => sameBrowserBroker({ maxPorts: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const { client, broker } = setup({ maxPorts: 1 });
    const first = client();
    await register(first, 'a');
    const second = client();
    // Node's ports report the far end's close (browsers' do not, hence presence locks).
    await new Promise((resolve) => second.addEventListener('close', resolve));
    expect(broker.registrations('a')).toBe(1);
  });

  it('the newest registration of a designator gets the dials; unregister hands them back', async () => {
    const { client, broker } = setup();
    const dialler = client();
    await register(dialler, 'dialler');
    const real = client();
    const impostor = client();
    await register(real, 'bob');
    await register(impostor, 'bob');
    expect(broker.registrations('bob')).toBe(2);
    const toImpostor = nextMessage<FromSameBrowserBroker>(impostor);
    dialler.postMessage({ type: 'dial', id: 1, designator: 'bob', from: 'dialler' });
    expect(await toImpostor).toMatchObject({ type: 'incoming', from: 'dialler' });
    impostor.postMessage({ type: 'unregister', designator: 'bob' });
    const toReal = nextMessage<FromSameBrowserBroker>(real);
    dialler.postMessage({ type: 'dial', id: 2, designator: 'bob', from: 'dialler' });
    expect(await toReal).toMatchObject({ type: 'incoming', from: 'dialler' });
    expect(broker.registrations('bob')).toBe(1);
  });

  it('drops every registration of a worker whose presence lock was released (its tab closed)', async () => {
    const locks = testPresence();
    const { client, broker } = setup({ presence: locks.presence });
    const alice = client();
    const bob = client();
    await register(alice, 'alice', 'alice-lock');
    await register(bob, 'bob', 'bob-lock');
    expect(locks.watchers('bob-lock')).toBe(1);
    locks.kill('bob-lock');
    await Promise.resolve();
    expect(broker.registrations('bob')).toBe(0);
    const reply = nextMessage<FromSameBrowserBroker>(alice);
    alice.postMessage({ type: 'dial', id: 3, designator: 'bob', from: 'alice' });
    expect(await reply).toMatchObject({ type: 'absent', id: 3 });
    // Unregistering stops watching.
    alice.postMessage({ type: 'unregister', designator: 'alice' });
    await register(alice, 'alice2');
    expect(locks.watchers('alice-lock')).toBe(0);
  });

  it('ignores malformed messages', async () => {
    const { client, broker } = setup();
    const port = client();
    port.postMessage(null);
    port.postMessage({ type: 'register', designator: 'x'.repeat(500) });
    port.postMessage({ type: 'register', designator: 42 });
    port.postMessage({ type: 'dial', id: 'one', designator: 'a', from: 'b' });
    expect(await register(port, 'ok')).toMatchObject({ type: 'registered', designator: 'ok' });
    expect(broker.registrations('x'.repeat(500))).toBe(0);
  });
});
