import { expect } from 'vitest';
import { Sym, type SyrupValue } from '../../src/syrup/types.js';
import { descriptorFromSyrup, dialectFor, exportDesc, type DeliverOp } from '../../src/wire/index.js';
import type { VatLimits } from '../../src/mesh/index.js';
import type { SuiteObjectName } from '../../src/cli/test-peer-objects.js';
import { RawSession, type SuiteSide } from '../conformance/harness/raw-session.js';
import { suiteLocation } from '../conformance/harness/suite-listener.js';
import { startTestPeerProcess, type TestPeerProcess } from '../conformance/harness/test-peer-process.js';
import { readMemory } from './child.js';

/**
 * The abuse suite's victim: `capmesh test-peer` in a child process with a
 * 256 MiB heap and the budgets under test made small (`--limits`), met by
 * hand-rolled hostile sessions (`RawSession`) and one well-behaved session
 * that must keep getting answers. `--verbose` makes the child log each session
 * it closes (with the abort reason) on stderr, which tests await.
 */
export const SIDE: SuiteSide = { dialect: dialectFor('suite-2026-02'), framing: 'none' };

export interface Victim {
  readonly peer: TestPeerProcess;
  /** A new session from a fresh location (so the vat never deduplicates it with another). */
  session(): Promise<RawSession>;
  /** Peak resident set of the child so far (VmHWM), in MiB. */
  peakRssMiB(): number;
  /** True while the child runs. */
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startVictim(limits: VatLimits): Promise<Victim> {
  const peer = await startTestPeerProcess(
    ['--dialect', 'suite-2026-02', '--framing', 'none', '--verbose', '--limits', JSON.stringify(limits)],
    { nodeArgs: ['--max-old-space-size=256'] },
  );
  const sessions: RawSession[] = [];
  return {
    peer,
    async session() {
      const s = await RawSession.dial(peer.uri, suiteLocation(1), SIDE);
      sessions.push(s);
      await s.setupSession();
      return s;
    },
    peakRssMiB: () => Math.round(readMemory(peer.child.pid!).peakKiB / 1024),
    alive: () => peer.child.exitCode === null && peer.child.signalCode === null,
    async stop() {
      for (const s of sessions) s.close();
      await peer.stop();
    },
  };
}

/** Asks `target` (fire a deliver with a fresh resolver) and returns what it was fulfilled with; throws on a break. */
export async function call(session: RawSession, target: number, args: readonly SyrupValue[]): Promise<SyrupValue> {
  const { resolver } = session.ask(exportDesc(target), args);
  const r = await session.expectResolution(resolver);
  const [verb, value] = (r.op as DeliverOp).args;
  if ((verb as Sym).name !== 'fulfill') throw new Error(`the call broke: ${String(value)}`);
  return value as SyrupValue;
}

/** A session that behaves: fetches the echo object once, then `echo` must keep getting answers. */
export class Polite {
  private constructor(
    readonly session: RawSession,
    private readonly echoPos: number,
  ) {}

  static async open(victim: Victim): Promise<Polite> {
    const session = await victim.session();
    return new Polite(session, await session.fetch('echoGc'));
  }

  /** Round-trips `text` through the echo object; resolves with how long it took (ms). */
  async echo(text: string): Promise<number> {
    const started = performance.now();
    const value = await call(this.session, this.echoPos, [text]);
    expect(value).toEqual([text]);
    return performance.now() - started;
  }
}

/** The position of a suite object at the victim (fetched on `session`). */
export function fetchObject(session: RawSession, name: SuiteObjectName): Promise<number> {
  return session.fetch(name);
}

/**
 * Asks the promise resolver for `[promise resolver]` and returns the promise's
 * export position at the victim: a promise that stays pending (nobody calls
 * the resolver), for messages and listeners to wait on.
 */
export async function pendingPromise(session: RawSession): Promise<number> {
  const maker = await session.fetch('promiseResolver');
  const pair = await call(session, maker, []);
  const desc = descriptorFromSyrup((pair as SyrupValue[])[0]!);
  if (desc?.type !== 'import-promise') throw new Error('the promise resolver did not give a promise');
  return desc.position;
}

/** Reads until the victim's `op:abort` and checks it names `budget` (reason `BUDGET_EXCEEDED: <budget>: …`, or the decoder's `SYRUP_LIMIT`). */
export async function expectAbort(session: RawSession, pattern: RegExp): Promise<string> {
  const abort = await session.expect('abort');
  expect(abort.op.reason).toMatch(pattern);
  return abort.op.reason;
}

export function budgetReason(budget: string): RegExp {
  return new RegExp(`^BUDGET_EXCEEDED: ${budget}: `);
}

/** Prints a figure line when `CAPMESH_ABUSE_FIGURES` is set (for the report); silent otherwise. */
export function figure(name: string, fields: Record<string, number | string>): void {
  if (process.env['CAPMESH_ABUSE_FIGURES']) process.stdout.write(`figure ${name} ${JSON.stringify(fields)}\n`);
}

export { Sym };
