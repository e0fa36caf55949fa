import { CapmeshError } from '../../util/errors.js';
import type { MessagePortLike } from '../port/message-port.js';
import type { Presence } from './presence.js';
import { isDesignatorLike, type FromSameBrowserBroker, type ToSameBrowserBroker } from './protocol.js';

/** Default limits of {@link SameBrowserBrokerOptions}. */
export const SAME_BROWSER_BROKER_DEFAULTS = Object.freeze({
  maxRegistrationsPerPort: 4,
  maxRegistrations: 1_024,
  maxPorts: 1_024,
});

export interface SameBrowserBrokerOptions {
  /** Designators one connected port (one vat worker) may register at once. Default 4. */
  readonly maxRegistrationsPerPort?: number;
  /** Registrations the broker holds in all. Default 1 024. */
  readonly maxRegistrations?: number;
  /** Ports connected at once; a port beyond it is closed at once. Default 1 024. */
  readonly maxPorts?: number;
  /** How to learn that a registering worker is gone (Web Locks in a browser). Absent: registrations last until `unregister`. */
  readonly presence?: Presence;
}

export interface SameBrowserBroker {
  /** Serves one vat worker's port (a SharedWorker's `connect` event). */
  connect(port: MessagePortLike): void;
  /** How many registrations hold `designator` now (for tests and diagnostics). */
  registrations(designator: string): number;
  /** Stops serving: closes every port and forgets every registration. */
  close(): void;
}

interface Registration {
  readonly client: Client;
  readonly designator: string;
  readonly presence: string | undefined;
  readonly stopWatching: AbortController;
}

interface Client {
  readonly port: MessagePortLike;
  readonly registrations: Map<string, Registration>;
}

/**
 * The same-origin broker of the same-browser fast path: it runs in a
 * SharedWorker that every tab of the origin (in one browser profile) shares,
 * keeps a registry designator → the worker port that registered it, and on a
 * `dial` makes a `MessageChannel` and hands one end to each worker.
 *
 * It proves nothing and trusts nothing: a registration is a same-origin
 * worker's claim, which the two workers then prove to each other on the
 * channel with their designator keys (`netlayer.ts`). When several ports
 * registered one designator (`identity: 'shared'`, or an impostor), a dial
 * goes to the newest. A registration ends with `unregister`, or when its
 * worker's presence lock is released (the tab closed).
 *
 * Failure: malformed messages are ignored; a registration over a limit is
 * answered with `refused`; a dial to an unknown designator, to the dialler's
 * own port, or from a designator the port did not register, with `absent`.
 */
export function sameBrowserBroker(options: SameBrowserBrokerOptions = {}): SameBrowserBroker {
  const maxPerPort = options.maxRegistrationsPerPort ?? SAME_BROWSER_BROKER_DEFAULTS.maxRegistrationsPerPort;
  const maxTotal = options.maxRegistrations ?? SAME_BROWSER_BROKER_DEFAULTS.maxRegistrations;
  const maxPorts = options.maxPorts ?? SAME_BROWSER_BROKER_DEFAULTS.maxPorts;
  for (const [name, v] of Object.entries({ maxRegistrationsPerPort: maxPerPort, maxRegistrations: maxTotal, maxPorts })) {
    if (!Number.isInteger(v) || v < 1) throw new CapmeshError('INVALID_ARGUMENT', `${name} must be a positive integer`);
  }
  /** Per designator, its registrations oldest first. */
  const registry = new Map<string, Registration[]>();
  const clients = new Set<Client>();
  let total = 0;
  let closed = false;

  const post = (client: Client, message: FromSameBrowserBroker, transfer: Transferable[] = []): void => client.port.postMessage(message, transfer);

  const drop = (registration: Registration): void => {
    const list = registry.get(registration.designator);
    const at = list?.indexOf(registration) ?? -1;
    if (!list || at < 0) return;
    list.splice(at, 1);
    if (list.length === 0) registry.delete(registration.designator);
    registration.client.registrations.delete(registration.designator);
    registration.stopWatching.abort();
    total -= 1;
  };

  const forget = (client: Client): void => {
    for (const r of [...client.registrations.values()]) drop(r);
    client.port.onmessage = null;
    client.port.close?.();
    clients.delete(client);
  };

  const register = (client: Client, designator: string, presence: string | undefined): void => {
    if (client.registrations.has(designator)) return post(client, { type: 'registered', designator });
    const refuse = (message: string): void => post(client, { type: 'refused', designator, message });
    if (client.registrations.size >= maxPerPort) return refuse(`this port holds ${client.registrations.size} registrations (maxRegistrationsPerPort)`);
    if (total >= maxTotal) return refuse(`the broker holds ${total} registrations (maxRegistrations)`);
    const registration: Registration = { client, designator, presence, stopWatching: new AbortController() };
    client.registrations.set(designator, registration);
    const list = registry.get(designator) ?? [];
    list.push(registration);
    registry.set(designator, list);
    total += 1;
    if (presence !== undefined && options.presence) {
      // The worker is gone: all of its registrations go, and its port with them.
      void options.presence.whenGone(presence, registration.stopWatching.signal).then(() => forget(client));
    }
    post(client, { type: 'registered', designator });
  };

  const dial = (client: Client, id: number, designator: string, from: string): void => {
    const list = registry.get(designator);
    const listener = list?.[list.length - 1];
    if (!client.registrations.has(from)) return post(client, { type: 'absent', id, message: 'dial from a designator this port did not register' });
    if (!listener) return post(client, { type: 'absent', id, message: 'no tab of this browser registered that designator' });
    if (listener.client === client) return post(client, { type: 'absent', id, message: 'that designator is registered by the dialler itself' });
    const channel = new MessageChannel();
    const fromPresence = client.registrations.get(from)?.presence;
    post(listener.client, { type: 'incoming', designator, from, port: channel.port2, ...(fromPresence === undefined ? {} : { presence: fromPresence }) }, [channel.port2]);
    post(client, { type: 'channel', id, port: channel.port1, ...(listener.presence === undefined ? {} : { presence: listener.presence }) }, [channel.port1]);
  };

  const receive = (client: Client, m: ToSameBrowserBroker): void => {
    if (closed || typeof m !== 'object' || m === null) return;
    switch (m.type) {
      case 'register':
        if (isDesignatorLike(m.designator) && (m.presence === undefined || isDesignatorLike(m.presence))) register(client, m.designator, m.presence);
        return;
      case 'unregister': {
        const registration = isDesignatorLike(m.designator) ? client.registrations.get(m.designator) : undefined;
        if (registration) drop(registration);
        return;
      }
      case 'dial':
        if (Number.isSafeInteger(m.id) && isDesignatorLike(m.designator) && isDesignatorLike(m.from)) dial(client, m.id, m.designator, m.from);
        return;
    }
  };

  return {
    connect(port) {
      if (closed || clients.size >= maxPorts) {
        port.close?.();
        return;
      }
      const client: Client = { port, registrations: new Map() };
      clients.add(client);
      port.onmessage = (event) => receive(client, event.data as ToSameBrowserBroker);
      port.start?.();
    },
    registrations: (designator) => registry.get(designator)?.length ?? 0,
    close() {
      if (closed) return;
      closed = true;
      for (const client of [...clients]) forget(client);
    },
  };
}
