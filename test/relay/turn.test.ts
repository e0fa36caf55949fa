import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TurnIssuer, mintTurnCredential, resolveTurnOptions, wantsTurnCredentials } from '../../relay/turn.js';
import { DEFAULT_TURN_TTL_SECONDS, parseRelayArgs } from '../../relay/index.js';
import type { RelayServerMessage } from '../../src/netlayer/relay/protocol.js';
import { RawClient, identity, testRelay } from './helpers.js';

describe('TURN REST API credentials', () => {
  it('mints username expiry:designator and base64 HMAC-SHA1 of it under the secret (vector computed independently)', () => {
    // Python: base64(hmac.new(b'north-sea', b'1700003600:Adesignator', sha1).digest())
    const minted = mintTurnCredential('north-sea', 'Adesignator', 3600, 1_700_000_000_999);
    expect(minted).toEqual({ username: '1700003600:Adesignator', credential: 'mdvwhXA77GO8ubLB6kqy0/Hyu2g=', expiresAt: 1_700_003_600 });
    // Another secret, another credential; the same inputs, the same one.
    expect(mintTurnCredential('south-sea', 'Adesignator', 3600, 1_700_000_000_000).credential).not.toBe(minted.credential);
    expect(mintTurnCredential('north-sea', 'Adesignator', 3600, 1_700_000_000_000)).toEqual(minted);
  });

  it('checks the options: 1..8 turn:/turns: URLs, a secret, a TTL from 60 s to 7 days (default 3 600)', () => {
    expect(resolveTurnOptions({ urls: ['turn:127.0.0.1:3478?transport=udp'], secret: 's' })).toEqual({ urls: ['turn:127.0.0.1:3478?transport=udp'], secret: 's', ttlSeconds: DEFAULT_TURN_TTL_SECONDS });
    const bad: [unknown, string][] = [
      [{ urls: [], secret: 's' }, 'turn.urls'],
      [{ urls: Array(9).fill('turn:a:1'), secret: 's' }, 'turn.urls'],
      [{ urls: ['stun:a:1'], secret: 's' }, 'turn.urls'],
      [{ urls: ['turn:a:1?transport=sctp'], secret: 's' }, 'turn.urls'],
      [{ urls: ['turn:a:1'], secret: '' }, 'turn.secret'],
      [{ urls: ['turn:a:1'], secret: 's', ttlSeconds: 59 }, 'turn.ttlSeconds'],
      [{ urls: ['turn:a:1'], secret: 's', ttlSeconds: 1.5 }, 'turn.ttlSeconds'],
    ];
    for (const [options, argument] of bad) {
      expect(() => resolveTurnOptions(options as never), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', detail: { argument } }));
    }
  });

  it('only a request with ?capmesh-turn=1 asks for credentials', () => {
    expect(wantsTurnCredentials('/?capmesh-turn=1')).toBe(true);
    expect(wantsTurnCredentials('/relay?x=2&capmesh-turn=1')).toBe(true);
    expect(wantsTurnCredentials('/')).toBe(false);
    expect(wantsTurnCredentials('/?capmesh-turn=0')).toBe(false);
    expect(wantsTurnCredentials(undefined)).toBe(false);
  });
});

describe('TurnIssuer', () => {
  afterEach(() => void vi.useRealTimers());

  it('sends credentials at registration and fresh ones every half TTL, each valid for the TTL from then, until forgotten', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let clock = 1_700_000_000_000;
    const sent: [string, RelayServerMessage][] = [];
    const issuer = new TurnIssuer<string>({ urls: ['turn:127.0.0.1:3478'], secret: 'k', ttlSeconds: 600 }, (key, m) => sent.push([key, m]), () => clock);
    issuer.registered('a', 'DESIGNATOR-A');
    expect(sent).toEqual([['a', { type: 'turn', urls: ['turn:127.0.0.1:3478'], username: '1700000600:DESIGNATOR-A', credential: mintTurnCredential('k', 'DESIGNATOR-A', 600, clock).credential, ttlSeconds: 600 }]]);
    clock += 299_000;
    vi.advanceTimersByTime(299_000);
    expect(sent).toHaveLength(1);
    clock += 1_000;
    vi.advanceTimersByTime(1_000);
    expect(sent).toHaveLength(2);
    // Refreshed half-way: the new expiry is 300 s later than the first.
    expect((sent[1]![1] as { username: string }).username).toBe('1700000900:DESIGNATOR-A');
    expect(issuer.size).toBe(1);
    issuer.forget('a');
    vi.advanceTimersByTime(10 * 600_000);
    expect(sent).toHaveLength(2);
    expect(issuer.issued).toBe(2);
  });

  it('close() stops every refresh', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const sent: string[] = [];
    const issuer = new TurnIssuer<string>({ urls: ['turn:h:1'], secret: 'k', ttlSeconds: 60 }, (key) => sent.push(key));
    issuer.registered('a', 'A');
    issuer.registered('b', 'B');
    issuer.close();
    vi.advanceTimersByTime(600_000);
    expect(sent).toEqual(['a', 'b']);
    expect(issuer.size).toBe(0);
  });
});

describe('capmesh relay TURN flags', () => {
  it('parses --turn-url (repeatable), --turn-secret, --turn-ttl', () => {
    const args = parseRelayArgs(['--turn-url', 'turn:127.0.0.1:3478?transport=udp', '--turn-url=turns:turn.example:5349', '--turn-secret', 'sekret', '--turn-ttl', '900']);
    expect(args.turn).toEqual({ urls: ['turn:127.0.0.1:3478?transport=udp', 'turns:turn.example:5349'], secret: 'sekret', ttlSeconds: 900 });
    expect(parseRelayArgs([]).turn).toBeUndefined();
  });

  it('reads the secret from --turn-secret-file (without its trailing newline)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'capmesh-turn-'));
    try {
      writeFileSync(join(dir, 'secret'), 'from-a-file\n');
      expect(parseRelayArgs(['--turn-url', 'turn:h:1', '--turn-secret-file', join(dir, 'secret')]).turn).toEqual({ urls: ['turn:h:1'], secret: 'from-a-file', ttlSeconds: DEFAULT_TURN_TTL_SECONDS });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('refuses a URL without a secret, a secret without a URL, both secret flags, a bad TTL or URL', () => {
    const cases: [string[], RegExp][] = [
      [['--turn-url', 'turn:h:1'], /--turn-secret/],
      [['--turn-secret', 's'], /--turn-url/],
      [['--turn-url', 'turn:h:1', '--turn-secret', 's', '--turn-secret-file', '/nonexistent'], /once/],
      [['--turn-url', 'turn:h:1', '--turn-secret', 's', '--turn-ttl', '10'], /--turn-ttl/],
      [['--turn-url', 'turn:h:1', '--turn-secret', 's', '--turn-ttl', 'soon'], /--turn-ttl/],
      [['--turn-url', 'http://h:1', '--turn-secret', 's'], /--turn-url/],
      [['--turn-url', 'turn:h:1', '--turn-secret-file', '/nonexistent/secret'], /cannot read/],
    ];
    for (const [argv, message] of cases) expect(() => parseRelayArgs(argv), argv.join(' ')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }));
  });
});

describe('a relay with TURN', () => {
  const turn = { urls: ['turn:127.0.0.1:3478?transport=udp'], secret: 'shared', ttlSeconds: 3600 };

  it('sends a registered connection that asked its credentials right after `registered`', async () => {
    const relay = await testRelay({ turn });
    const who = identity();
    const before = Math.floor(Date.now() / 1000);
    const client = await RawClient.connect(`${relay.url}/?capmesh-turn=1`);
    client.register(who);
    expect((await client.control()).type).toBe('registered');
    const m = await client.control();
    if (m.type !== 'turn') throw new Error(`expected turn, got ${m.type}`);
    expect(m.urls).toEqual(turn.urls);
    expect(m.ttlSeconds).toBe(3600);
    const [expiry, designator] = m.username.split(':');
    expect(designator).toBe(who.designator);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 3600);
    expect(m.credential).toBe(mintTurnCredential('shared', who.designator, 0, Number(expiry) * 1000).credential);
  });

  it('sends nothing to a connection that did not ask (a client older than relay:turn) nor to a dial-only one', async () => {
    const relay = await testRelay({ turn });
    const old = await RawClient.registered(relay.url, identity());
    const dialOnly = await RawClient.connect(`${relay.url}/?capmesh-turn=1`);
    dialOnly.send({ type: 'dial-only', designator: identity().designator });
    expect((await dialOnly.control()).type).toBe('dial-only-ok');
    // A ping's pong is the next thing each gets: no turn message came first.
    old.send({ type: 'ping', n: 7 });
    dialOnly.send({ type: 'ping', n: 8 });
    expect(await old.control()).toEqual({ type: 'pong', n: 7 });
    expect(await dialOnly.control()).toEqual({ type: 'pong', n: 8 });
  });
});
