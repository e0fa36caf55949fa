import { describe, expect, it } from 'vitest';
import { relayCommand } from '../../src/cli/commands/relay.js';
import { DEFAULT_RELAY_LIMITS, TokenBucket, addressKey, parseRelayArgs, resolveRelayLimits } from '../../relay/index.js';

describe('capmesh relay flags', () => {
  it('parses host, port, every limit flag (both --flag v and --flag=v) and the log level', () => {
    expect(parseRelayArgs([])).toEqual({ host: '127.0.0.1', port: 8787, limits: {}, logLevel: 'info' });
    const args = parseRelayArgs([
      '--host', '0.0.0.0', '--port=9000', '--max-frame-bytes', '65536', '--max-connections=50', '--max-messages-per-second', '100',
      '--message-burst', '200', '--max-buffered-bytes', '1048576', '--max-circuits', '8', '--max-signal-bytes', '4096',
      '--heartbeat-ms', '0', '--register-timeout-ms', '500', '--log-level', 'warn',
    ]);
    expect(args).toEqual({
      host: '0.0.0.0',
      port: 9000,
      logLevel: 'warn',
      limits: {
        maxFrameBytes: 65536, maxConnections: 50, maxMessagesPerSecond: 100, messageBurst: 200, maxBufferedBytes: 1048576,
        maxCircuitsPerConnection: 8, maxSignalBytes: 4096, heartbeatMs: 0, registerTimeoutMs: 500,
      },
    });
  });

  it('parses every quota flag', () => {
    const flags: [string, keyof typeof DEFAULT_RELAY_LIMITS][] = [
      ['--max-connections-per-ip', 'maxConnectionsPerIp'], ['--upgrade-timeout-ms', 'upgradeTimeoutMs'],
      ['--max-forward-buffered-bytes', 'maxForwardBufferedBytes'], ['--max-pair-buffered-bytes', 'maxPairBufferedBytes'],
      ['--max-throttle-ms', 'maxThrottleMs'], ['--max-circuits-per-source', 'maxCircuitsPerSource'], ['--max-circuits-per-pair', 'maxCircuitsPerPair'],
      ['--max-pending-circuits-per-target', 'maxPendingCircuitsPerTarget'], ['--pending-circuit-timeout-ms', 'pendingCircuitTimeoutMs'],
      ['--circuit-opens-per-second', 'circuitOpensPerSecond'], ['--circuit-open-burst', 'circuitOpenBurst'],
      ['--incoming-circuits-per-second', 'incomingCircuitsPerSecond'], ['--incoming-circuit-burst', 'incomingCircuitBurst'],
      ['--max-circuit-bytes', 'maxCircuitBytes'], ['--max-circuit-duration-ms', 'maxCircuitDurationMs'],
    ];
    const args = parseRelayArgs(flags.flatMap(([flag], i) => [flag, String(i + 1)]));
    expect(args.limits).toEqual(Object.fromEntries(flags.map(([, key], i) => [key, i + 1])));
    expect(Object.keys(DEFAULT_RELAY_LIMITS)).toEqual(expect.arrayContaining(flags.map(([, key]) => key)));
  });

  it('keeps forwarded bytes under the hard buffer cap', () => {
    expect(resolveRelayLimits({ maxBufferedBytes: 1024 * 1024 }).maxForwardBufferedBytes).toBe(512 * 1024);
    expect(() => resolveRelayLimits({ maxBufferedBytes: 1024, maxForwardBufferedBytes: 2048 })).toThrow(/at most `maxBufferedBytes`/);
  });

  it('counts IPv4 addresses as they are and IPv6 addresses by /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::5')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey(undefined)).toBe('?');
  });

  it('parses --public-url (repeatable, normalised) and --no-dial-only', () => {
    expect(parseRelayArgs(['--public-url', 'wss://Relay.Example/', '--public-url=ws://10.0.0.7:8787', '--no-dial-only'])).toEqual({
      host: '127.0.0.1',
      port: 8787,
      limits: {},
      logLevel: 'info',
      publicUrls: ['wss://relay.example/', 'ws://10.0.0.7:8787/'],
      allowDialOnly: false,
    });
    expect(() => parseRelayArgs(['--public-url', 'http://relay.example'])).toThrow(/--public-url takes a ws:\/\/ or wss:\/\/ URL/);
    expect(() => parseRelayArgs(['--public-url'])).toThrow(/--public-url/);
  });

  it('refuses unknown flags, missing or bad values', () => {
    expect(() => parseRelayArgs(['--nope'])).toThrow(/unknown option --nope/);
    expect(() => parseRelayArgs(['--port'])).toThrow(/--port takes a non-negative integer/);
    expect(() => parseRelayArgs(['--port', '70000'])).toThrow(/at most 65535/);
    expect(() => parseRelayArgs(['--max-connections', '-1'])).toThrow(/non-negative integer/);
    expect(() => parseRelayArgs(['--log-level', 'loud'])).toThrow(/--log-level/);
    expect(() => resolveRelayLimits({ maxFrameBytes: 10 })).toThrow(/at least 1024/);
    expect(() => resolveRelayLimits({ bogus: 1 } as never)).toThrow(/unknown relay limit/);
    expect(resolveRelayLimits({ maxConnections: 3 })).toEqual({ ...DEFAULT_RELAY_LIMITS, maxConnections: 3 });
  });

  it('a token bucket allows the burst, then the rate', () => {
    let t = 0;
    const bucket = new TokenBucket(2, 3, () => t);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    t += 500;
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    t += 10_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });
});

describe('capmesh relay command', () => {
  it('prints its URL, serves /healthz, and shuts down cleanly on SIGTERM', async () => {
    const out: string[] = [];
    const err: string[] = [];
    let printed!: () => void;
    const ready = new Promise<void>((resolve) => (printed = resolve));
    const exit = relayCommand.run(['--port', '0', '--heartbeat-ms', '0'], {
      out: (line) => {
        out.push(line);
        printed();
      },
      err: (line) => err.push(line),
    });
    await ready;
    expect(out[0]).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const port = out[0]!.split(':')[2];
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    process.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(0);
    const logs = err.map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(logs.map((l) => l.msg)).toEqual(['relay listening', 'relay stopped']);
  });

  it('rejects bad flags as a usage error and fails (exit 1) when the port is taken', async () => {
    await expect(relayCommand.run(['--port', 'x'], { out: () => {}, err: () => {} })).rejects.toMatchObject({ name: 'UsageError' });
    const out: string[] = [];
    let printed!: () => void;
    const ready = new Promise<void>((resolve) => (printed = resolve));
    const first = relayCommand.run(['--port', '0', '--heartbeat-ms', '0', '--log-level', 'error'], { out: (l) => (out.push(l), printed()), err: () => {} });
    await ready;
    const port = out[0]!.split(':')[2]!;
    const err: string[] = [];
    expect(await relayCommand.run(['--port', port, '--log-level', 'error'], { out: () => {}, err: (l) => err.push(l) })).toBe(1);
    expect(err.join('\n')).toMatch(/EADDRINUSE/);
    process.emit('SIGTERM', 'SIGTERM');
    expect(await first).toBe(0);
  });
});
