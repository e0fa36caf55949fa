import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Two vats in two processes (test/mesh/crossed-hellos-child.ts) dial each
 * other over tcp-testing-only at the same instant, 100 times, each time with
 * fresh identities. Both believe tcp-testing-only claims (as `capmesh
 * test-peer` does), so an inbound session counts as a session to its peer and
 * the two dials cross whenever both hellos are on the wire together.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./crossed-hellos-child.ts', import.meta.url));
const TRIALS = 100;

interface Child {
  readonly process: ChildProcess;
  /** Writes one request now (no await between two children's writes) and resolves with its answer. */
  send(request: Record<string, unknown>): Promise<Record<string, unknown>>;
}

function startChild(name: string): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, name], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = new Map<number, (answer: Record<string, unknown>) => void>();
  let nextId = 1;
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const answer = JSON.parse(line) as Record<string, unknown> & { id: number };
    if (answer.id === 0) return ready();
    waiting.get(answer.id)?.(answer);
    waiting.delete(answer.id);
  });
  const send = (request: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const id = nextId++;
    const answer = new Promise<Record<string, unknown>>((resolve) => waiting.set(id, resolve));
    child.stdin!.write(`${JSON.stringify({ id, ...request })}\n`);
    return answer;
  };
  return started.then(() => ({ process: child, send }));
}

interface Report {
  readonly sessions: { designator: string; sessionId: string; outbound: boolean }[];
  readonly crossed: number;
}

describe('crossed hellos between two processes', () => {
  let a: Child;
  let b: Child;
  beforeAll(async () => {
    [a, b] = await Promise.all([startChild('a'), startChild('b')]);
  });
  afterAll(async () => {
    for (const child of [a, b]) {
      if (!child) continue;
      const exited = new Promise((resolve) => child.process.once('exit', resolve));
      child.process.stdin!.end();
      await exited;
    }
  });

  it(`${TRIALS} trials dialling both ways at once: each ends with one session on each side, the same one, and both first calls succeed`, async () => {
    let crossings = 0;
    const started = Date.now();
    for (let trial = 0; trial < TRIALS; trial++) {
      const [na, nb] = await Promise.all([a.send({ cmd: 'new' }), b.send({ cmd: 'new' })]);
      // Both requests are written before either child can answer: the two dials start together.
      const [ga, gb] = await Promise.all([a.send({ cmd: 'go', ref: nb['ref'] }), b.send({ cmd: 'go', ref: na['ref'] })]);
      expect({ trial, a: ga, b: gb }).toEqual({
        trial,
        a: { id: ga['id'], ok: true, value: 'pong from b' },
        b: { id: gb['id'], ok: true, value: 'pong from a' },
      });
      const [ra, rb] = (await Promise.all([a.send({ cmd: 'report' }), b.send({ cmd: 'report' })])) as unknown as [Report, Report];
      expect({ trial, a: ra.sessions.map((s) => s.designator), b: rb.sessions.map((s) => s.designator) }).toEqual({
        trial,
        a: [nb['designator']],
        b: [na['designator']],
      });
      expect(ra.sessions[0]!.sessionId).toBe(rb.sessions[0]!.sessionId);
      expect(ra.sessions[0]!.outbound).toBe(!rb.sessions[0]!.outbound);
      if (ra.crossed + rb.crossed > 0) crossings++;
    }
    const elapsedMs = Date.now() - started;
    console.log(`crossed hellos, two processes: ${TRIALS} trials in ${elapsedMs} ms, ${crossings} with a crossing resolved`);
    // The race is real: a good share of trials really did cross (else this test would prove nothing).
    expect(crossings).toBeGreaterThan(0);
  }, 120_000);
});
