import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import { parsePeerUri } from '../../src/mesh/uri.js';
import { dialectFor } from '../../src/wire/index.js';
import { RawSession, type SuiteSide } from '../conformance/harness/raw-session.js';
import { suiteLocation } from '../conformance/harness/suite-listener.js';
import { startTestPeerChild, type AbuseChild, type ChildMemory } from './child.js';
import { abortReason, hostileClient, keepAsking, type HostileResult } from './transport-helpers.js';

/**
 * Hostile raw TCP clients against a real `capmesh test-peer` child process
 * (tcp-testing-only, a 256 MiB heap), started with small deadlines:
 * the first whole message within FIRST_MS, a started message finished within
 * PARTIAL_MS. Meanwhile a well-behaved session keeps asking the echo object
 * and must keep getting answers.
 *
 * Set CAPMESH_ABUSE_FIGURES=1 to print the measured figures.
 */
const FIRST_MS = 3000;
const PARTIAL_MS = 2000;
const MiB = 1024;
/** Floods open many connections, and each costs the child a fresh session key and signature: give them room on a loaded machine. */
const FLOOD_TIMEOUT_MS = 180_000;

function figures(label: string, values: Record<string, number | string>): void {
  if (process.env['CAPMESH_ABUSE_FIGURES']) console.info(`[abuse figures] ${label}: ${JSON.stringify(values)}`);
}

// The full-size floods run on the default framing; the unframed run repeats them smaller.
describe.each([
  // syrup: a frame header declaring 16 MiB (the largest allowed), then three payload bytes.
  { framing: 'syrup' as const, dialect: 'spec' as const, idleConnections: 100, declaringConnections: 100, declaration: '16777216:abc', declared: '16 MiB' },
  // none: a record whose byte string declares 8,000,000 bytes (under the 8 MiB string limit), then three of them.
  { framing: 'none' as const, dialect: 'suite-2026-02' as const, idleConnections: 30, declaringConnections: 30, declaration: "<8'op:abort8000000:abc", declared: '8 MB' },
])('tcp-testing-only abuse (framing $framing) against a test-peer child', ({ framing, dialect, idleConnections, declaringConnections, declaration, declared }) => {
  const side: SuiteSide = { dialect: dialectFor(dialect), framing };
  let peer: AbuseChild;
  let port: number;

  beforeAll(async () => {
    peer = await startTestPeerChild([
      '--dialect',
      dialect,
      '--framing',
      framing,
      '--first-message-timeout-ms',
      String(FIRST_MS),
      '--partial-message-timeout-ms',
      String(PARTIAL_MS),
    ]);
    port = Number(parsePeerUri(peer.uri).hints!['port']);
  }, 30_000);

  afterAll(async () => {
    const code = await peer.stop();
    expect(code).toBe(0);
  }, 30_000);

  const wellBehaved = async (): Promise<RawSession> => {
    const session = await RawSession.dial(peer.uri, suiteLocation(1), side);
    await session.setupSession();
    return session;
  };

  it(`${idleConnections} connections that never send a byte are each closed by the first-message deadline after an op:abort naming TIMEOUT, while a good session keeps getting answers`, async () => {
    const good = await wellBehaved();
    const asker = await keepAsking(good);
    const floodStart = Date.now();
    const idle = await Promise.all(Array.from({ length: idleConnections }, () => hostileClient(port, framing)));
    const results = await Promise.all(idle.map((c) => c.closed));
    const floodEnd = Date.now();
    const answers = await asker.stop();

    for (const r of results) {
      // Only the abort: the vat's own hello waits for the dialler's (crossed hellos, src/mesh/handshake.ts).
      expect(r.ops.map((op) => op.op)).toEqual(['abort']);
      expect(abortReason(r.ops)).toMatch(/^TIMEOUT: no whole message from the peer within 3000 ms/);
      expect(r.ops.at(-1)?.op).toBe('abort'); // nothing after the abort: then the close
      expect(r.unreadable).toBe(false);
    }
    expect(answers.some((t) => t > floodStart && t < floodEnd)).toBe(true);
    expect(answers.at(-1)!).toBeGreaterThanOrEqual(floodEnd);
    expect(good.isEnded).toBe(false);
    const lived = results.map((r) => r.livedMs);
    figures(`${framing}: ${idleConnections} idle connections`, {
      minCloseMs: Math.min(...lived),
      maxCloseMs: Math.max(...lived),
      goodAnswers: answers.length,
    });
    good.close();
  }, FLOOD_TIMEOUT_MS);

  it(`${declaringConnections} connections each declaring a ${declared} message and sending 3 bytes are closed (TIMEOUT) without the child mapping their declared lengths`, async () => {
    const good = await wellBehaved();
    const asker = await keepAsking(good);
    const before = peer.memory();
    let peak: ChildMemory = before;
    const sample = (): void => {
      const m = peer.memory();
      peak = { rssKiB: Math.max(peak.rssKiB, m.rssKiB), peakKiB: m.peakKiB, dataKiB: Math.max(peak.dataKiB, m.dataKiB) };
    };
    // Memory is sampled while the connections live; each one is closed only after the child read its bytes.
    const sampler = setInterval(sample, 20);
    const floodStart = Date.now();
    let results: HostileResult[];
    try {
      const clients = await Promise.all(Array.from({ length: declaringConnections }, () => hostileClient(port, framing, declaration)));
      results = await Promise.all(clients.map((c) => c.closed));
    } finally {
      clearInterval(sampler);
    }
    sample();
    const floodEnd = Date.now();
    const answers = await asker.stop();

    for (const r of results) {
      expect(abortReason(r.ops)).toMatch(/^TIMEOUT: /);
      expect(r.ops.at(-1)?.op).toBe('abort');
    }
    const mappedGrowthMiB = (peak.dataKiB - before.dataKiB) / MiB;
    const rssGrowthMiB = (peak.peakKiB - before.peakKiB) / MiB;
    // Allocating each declared length would map 100 × 16 MiB = 1600 MiB (syrup).
    expect(mappedGrowthMiB).toBeLessThan(160);
    expect(rssGrowthMiB).toBeLessThan(64);
    expect(answers.some((t) => t > floodStart && t < floodEnd)).toBe(true);
    expect(answers.at(-1)!).toBeGreaterThanOrEqual(floodEnd);
    expect(good.isEnded).toBe(false);
    const lived = results.map((r) => r.livedMs);
    figures(`${framing}: ${declaringConnections} connections declaring ${declared}`, {
      rssBeforeMiB: Math.round(before.rssKiB / MiB),
      peakRssMiB: Math.round(peak.peakKiB / MiB),
      mappedBeforeMiB: Math.round(before.dataKiB / MiB),
      peakMappedMiB: Math.round(peak.dataKiB / MiB),
      minCloseMs: Math.min(...lived),
      maxCloseMs: Math.max(...lived),
      goodAnswers: answers.length,
    });
    good.close();
  }, FLOOD_TIMEOUT_MS);

  it.each([
    ['an HTTP request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', /^FRAMING: unreadable input/],
    ['a declared length over the limit', '99999999999:', framing === 'syrup' ? /^LIMIT: / : /^(LIMIT|FRAMING): /],
  ])('%s on a live session gets an op:abort on the wire before the close, and other sessions carry on', async (_name, garbage, reason) => {
    const bystander = await wellBehaved();
    const asker = await keepAsking(bystander);
    const socket = netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const victim = new RawSession(socket, suiteLocation(1), side);
    await victim.setupSession();
    await victim.fetch('echoGc'); // the session is live: it answered a question
    socket.write(garbage);
    const abort = await victim.expect('abort');
    expect(abort.op.reason).toMatch(reason);
    await victim.closed;
    expect(victim.log.at(-1)?.op.op).toBe('abort');
    const answers = await asker.stop();
    expect(answers.length).toBeGreaterThan(0);
    expect(bystander.isEnded).toBe(false);
    bystander.close();
  });
});
