/** The relay netlayer the WebRTC netlayer tests stand in for: records signals sent, delivers and bounces signals on demand. */
import type { RelayNetlayer } from '../../../src/netlayer/relay/netlayer.js';
import type { RelaySignal, RelayTurnCredentials } from '../../../src/netlayer/relay/client.js';
import type { Connection, NetlayerBinding } from '../../../src/netlayer/types.js';
import type { PeerLocator } from '../../../src/wire/index.js';

export interface SentSignal {
  readonly to: string;
  readonly kind: string;
  readonly payload: Uint8Array;
}

export interface UndeliverableNotice {
  readonly to: string;
  readonly kind: string;
  readonly reason: string;
}

export interface FakeRelay {
  readonly relay: RelayNetlayer;
  /** Every signal the netlayer sent, in order. */
  readonly sent: SentSignal[];
  /** Live relay-path connections the fake reports (`connections()`). */
  readonly peers: { peer: string }[];
  /** The relay delivers `signal` now (synchronously, to the netlayer's listener). */
  deliver(signal: RelaySignal): void;
  /** The relay says a signal could not be delivered. */
  bounce(notice: UndeliverableNotice): void;
  /** The binding the netlayer attached the relay with (inbound relay-path connections go to it). */
  binding(): NetlayerBinding;
  /** How the relay path dials; by default it fails. */
  connect: (locator: PeerLocator) => Promise<Connection>;
}

/** A fake relay netlayer for `designator`; `turnCredentials` feeds the client's TURN credentials. */
export function fakeRelay(designator: string, turnCredentials: () => RelayTurnCredentials | undefined = () => undefined): FakeRelay {
  const sent: SentSignal[] = [];
  const peers: { peer: string }[] = [];
  const bounced = new Set<(n: UndeliverableNotice) => void>();
  let onSignal: (s: RelaySignal) => void = () => {};
  let binding: NetlayerBinding | undefined;
  const fake: FakeRelay = {
    sent,
    peers,
    deliver: (s) => onSignal(s),
    bounce: (n) => {
      for (const l of [...bounced]) l(n);
    },
    binding: () => binding!,
    connect: async () => {
      throw new Error('no relay path in these tests');
    },
    relay: {
      transport: 'relay',
      url: 'ws://relay.test',
      client: {
        get turnCredentials() {
          return turnCredentials();
        },
        signal: (to: string, kind: string, payload: Uint8Array) => void sent.push({ to, kind, payload }),
        on: (event: string, listener: (s: never) => void) => {
          if (event === 'signal') onSignal = listener as (s: RelaySignal) => void;
          if (event === 'undeliverable') bounced.add(listener as (n: UndeliverableNotice) => void);
          return () => void bounced.delete(listener as (n: UndeliverableNotice) => void);
        },
      },
      connections: () => peers,
      attach: async (b: NetlayerBinding) => {
        binding = b;
        return { designator, hints: { url: 'ws://relay.test' } };
      },
      connect: (locator: PeerLocator) => fake.connect(locator),
      close: async () => {},
    } as unknown as RelayNetlayer,
  };
  return fake;
}
