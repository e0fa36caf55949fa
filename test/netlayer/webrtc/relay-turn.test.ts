import { fakeRelay } from './fake-relay.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { webrtcNetlayer, type WebRtcOptions } from '../../../src/netlayer/webrtc/netlayer.js';
import type { ToBroker } from '../../../src/netlayer/webrtc/broker-protocol.js';
import type { RelayTurnCredentials } from '../../../src/netlayer/relay/client.js';
import { designatorOf, keyPairFromSecret } from '../../../src/crypto/index.js';
import { testSigner } from '../../crypto/test-signer.js';

/**
 * Which ICE servers the WebRTC netlayer hands the page's broker for each new
 * peer connection: the app's `iceServers`, then the home relay's current TURN
 * credentials. Fake broker (records what it is told), fake relay client.
 */

const keys = keyPairFromSecret(new Uint8Array(32).fill(1));
const me = designatorOf(keys.publicKey);
const peer = designatorOf(keyPairFromSecret(new Uint8Array(32).fill(2)).publicKey);

async function setup(turnCredentials: () => RelayTurnCredentials | undefined, options: Partial<WebRtcOptions> = {}) {
  const posted: ToBroker[] = [];
  const broker = { onmessage: null, postMessage: (m: ToBroker) => void posted.push(m) };
  const { relay } = fakeRelay(me, turnCredentials);
  const net = webrtcNetlayer({ relay, broker, timeoutMs: 50, directRetryDelayMs: 60_000, ...options });
  await net.attach({ designator: me, signer: testSigner(keys), onConnection() {} });
  /** Starts a dial (it fails: nobody answers, the relay dial throws) and returns the settings of the peer connection it asked for. */
  const dial = async () => {
    const done = net.connect({ transport: 'webrtc', designator: peer, hints: {} } as never).catch(() => undefined);
    await vi.waitFor(() => expect(posted.some((m) => m.type === 'dial')).toBe(true));
    const m = posted.filter((p) => p.type === 'dial').pop()! as Extract<ToBroker, { type: 'dial' }>;
    posted.length = 0;
    await done;
    return m.peer;
  };
  return { dial };
}

const app = { urls: 'stun:stun.example:3478' };
const creds = (credential: string): RelayTurnCredentials => ({ urls: ['turn:127.0.0.1:3478'], username: `9:${me}`, credential, expiresAt: Date.now() + 60_000 });

describe('WebRTC netlayer: the relay’s TURN credentials in iceServers', () => {
  afterEach(() => void vi.useRealTimers());

  it('adds the relay’s current credentials after the app’s servers, fresh for each dial', async () => {
    let current: RelayTurnCredentials | undefined = creds('one');
    const t = await setup(() => current, { iceServers: [app], iceTransportPolicy: 'relay' });
    expect(await t.dial()).toEqual({ iceServers: [app, { urls: ['turn:127.0.0.1:3478'], username: `9:${me}`, credential: 'one' }], iceTransportPolicy: 'relay' });
    current = creds('two');
    expect((await t.dial()).iceServers[1]).toMatchObject({ credential: 'two' });
    current = undefined; // lapsed
    expect(await t.dial()).toEqual({ iceServers: [app], iceTransportPolicy: 'relay' });
  });

  it('relayTurn: false leaves the app’s servers alone', async () => {
    const t = await setup(() => creds('one'), { iceServers: [app], relayTurn: false });
    expect(await t.dial()).toEqual({ iceServers: [app], iceTransportPolicy: 'all' });
  });
});
