import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Dialect } from '../../../src/wire/index.js';
import { RawSession, type SuiteSide } from './raw-session.js';
import { SuiteListener, suiteLocation } from './suite-listener.js';
import { startTestPeerProcess, type TestPeerProcess } from './test-peer-process.js';

/**
 * One conformance configuration: a suite revision (what the suite side writes
 * and expects) against `capmesh test-peer` started with matching flags.
 */
export interface SuiteConfig {
  /** e.g. "suite 6c146dc (main)". */
  readonly name: string;
  /** Flags for `capmesh test-peer`. */
  readonly peerArgs: readonly string[];
  readonly dialect: Dialect;
  readonly framing: 'none' | 'syrup';
}

export interface Conformance {
  readonly config: SuiteConfig;
  readonly side: SuiteSide;
  /** The running peer's URI. */
  uri(): string;
  /** `self.netlayer.connect(self.ocapn_uri)`: a new connection from a fresh suite location; closed after the test. */
  connect(): Promise<RawSession>;
  /** `setUp` of most suite tests: connect and exchange start-sessions. */
  session(): Promise<RawSession>;
  /** A second suite netlayer the peer can dial (crossed hellos, handoffs); closed after the test. */
  listener(): Promise<SuiteListener>;
}

/**
 * Starts one `capmesh test-peer` process for the enclosing `describe` and
 * cleans up every connection a test opened. Call it inside `describe`.
 */
export function defineConformance(config: SuiteConfig): Conformance {
  const side: SuiteSide = { dialect: config.dialect, framing: config.framing };
  let peer: TestPeerProcess | undefined;
  const sessions: RawSession[] = [];
  const listeners: SuiteListener[] = [];

  beforeAll(async () => {
    peer = await startTestPeerProcess(config.peerArgs);
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.close();
    await Promise.all(listeners.splice(0).map((l) => l.close()));
  });
  afterAll(async () => {
    const code = await peer?.stop();
    if (code !== 0) throw new Error(`test-peer exited with ${code}:\n${peer?.stderr()}`);
  });

  const uri = (): string => {
    if (!peer) throw new Error('the test peer is not running');
    return peer.uri;
  };
  const connect = async (): Promise<RawSession> => {
    const session = await RawSession.dial(uri(), suiteLocation(1), side);
    sessions.push(session);
    return session;
  };
  return {
    config,
    side,
    uri,
    connect,
    async session() {
      const s = await connect();
      await s.setupSession();
      return s;
    },
    async listener() {
      const l = await SuiteListener.open(side);
      listeners.push(l);
      return l;
    },
  };
}
