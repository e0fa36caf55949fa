import { describe, expect, it } from 'vitest';
import { ConnectionShell, DEFAULT_SHELL_LIMITS, type ShellHost, type ShellLimits } from '../../src/mesh/connection-shell.js';
import { makeHello } from '../../src/mesh/handshake.js';
import { silentLogger } from '../../src/util/logger.js';
import { createManualFinalizer } from '../../src/captp/index.js';
import { DEFAULT_SYRUP_LIMITS, sym } from '../../src/syrup/types.js';
import { decodeOp, dialectFor, encodeOp, exportDesc, importObject, type Op, type PeerLocator } from '../../src/wire/index.js';
import { far } from '../../src/vat/index.js';
import type { CapmeshError } from '../../src/util/errors.js';
import type { Connection, ConnectionReceiver } from '../../src/netlayer/types.js';
import { asyncCryptoBackend, useAsyncCryptoBackend, type AsyncCryptoBackend } from '../../src/crypto/async-backend.js';

const dialect = dialectFor('spec');
const loc = (designator: string): PeerLocator => ({ transport: 'fake', designator, hints: {} });

/** A connection whose send backlog the test sets by hand. */
class FakeConnection implements Connection {
  readonly transport = 'fake';
  readonly outbound = false;
  readonly remoteLocator = undefined;
  readonly provenDesignator = undefined;
  receiver!: ConnectionReceiver;
  backlog = 0;
  readonly sent: Op[] = [];
  closedWith: string | undefined;
  setReceiver(receiver: ConnectionReceiver): void {
    this.receiver = receiver;
  }
  send(bytes: Uint8Array): void {
    if (this.closedWith === undefined) this.sent.push(decodeOp(bytes));
  }
  bufferedBytes(): number {
    return this.backlog;
  }
  close(reason?: string): void {
    this.closedWith ??= reason ?? 'closed';
  }
}

async function setup(limits: ShellLimits, awaitOpen = true) {
  const connection = new FakeConnection();
  let markOpened!: () => void;
  // The hello's signature is checked asynchronously: the session opens once that settles.
  const opened = new Promise<void>((resolve) => (markOpened = resolve));
  const calls: string[] = [];
  let closedWith: CapmeshError | undefined;
  const host: ShellHost = {
    dialectFor: () => ({ dialect, configured: false }),
    learnDialects: true,
    logger: silentLogger,
    finalizer: createManualFinalizer().factory,
    sessionLimits: {},
    decodeLimits: DEFAULT_SYRUP_LIMITS,
    maxFrameBytes: DEFAULT_SYRUP_LIMITS.maxBytes,
    shellLimits: { ...DEFAULT_SHELL_LIMITS, ...limits },
    helloArrived: () => undefined,
    bootstrapFor: () => far('echo', { echo: (s: string) => (calls.push(s), s) }),
    handoffIn: () => undefined,
    handoffOut: () => undefined,
    opened: () => markOpened(),
    closed: (_shell, error) => {
      closedWith = error;
    },
  };
  const shell = new ConnectionShell(connection, makeHello(loc('us'), dialect), host);
  shell.start();
  const peer = makeHello(loc('them'), dialect);
  const deliver = (op: Op): void => {
    for (const bytes of encodeOp(op, dialect)) connection.receiver.message(bytes);
  };
  deliver(peer.op);
  if (awaitOpen) {
    await opened;
    expect(shell.state).toBe('open');
  }
  let resolver = 10;
  /** The peer asks `echo(text)` with a fresh resolver. */
  const ask = (text: string): void => deliver({ op: 'deliver', to: exportDesc(0), args: [sym('echo'), text], answerPos: null, resolveMe: importObject(resolver++) });
  const turns = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
  return { connection, shell, calls, ask, deliver, turns, opened, closedWith: () => closedWith };
}

describe('connection shell: output backpressure', () => {
  it('holds the peer’s input while our output is backed up, and hands it over in order once drained', async () => {
    const t = await setup({ pauseInputAtUnsentBytes: 1000, maxUnsentBytes: 10_000, maxHeldInputBytes: 10_000 });
    t.connection.backlog = 5000;
    t.ask('one');
    await t.turns();
    expect(t.calls).toEqual(['one']); // its answer went out into a backlog above the pause mark: paused now
    t.ask('two');
    t.ask('three');
    await t.turns();
    expect(t.calls).toEqual(['one']);
    t.connection.receiver.drained!(); // a spurious drain above the mark changes nothing
    await t.turns();
    expect(t.calls).toEqual(['one']);
    t.connection.backlog = 0;
    t.connection.receiver.drained!();
    await t.turns();
    expect(t.calls).toEqual(['one', 'two', 'three']);
    expect(t.shell.state).toBe('open');
  });

  it('aborts with BUDGET_EXCEEDED (maxUnsentBytes) once the backlog passes the budget', async () => {
    const t = await setup({ pauseInputAtUnsentBytes: 1000, maxUnsentBytes: 10_000 });
    t.connection.backlog = 20_000;
    t.ask('one');
    await t.turns();
    expect(t.closedWith()?.code).toBe('BUDGET_EXCEEDED');
    expect(t.closedWith()?.detail).toEqual({ budget: 'maxUnsentBytes' });
    const abort = t.connection.sent.at(-1);
    expect(abort).toMatchObject({ op: 'abort', reason: expect.stringMatching(/^BUDGET_EXCEEDED: maxUnsentBytes: /) });
    expect(t.connection.sent.filter((op) => op.op === 'abort')).toHaveLength(1);
  });

  it('aborts with BUDGET_EXCEEDED (maxHeldInputBytes) when held input passes its budget', async () => {
    const t = await setup({ pauseInputAtUnsentBytes: 1000, maxUnsentBytes: 100_000, maxHeldInputBytes: 500 });
    t.connection.backlog = 5000;
    t.ask('one');
    await t.turns();
    t.ask('x'.repeat(300));
    expect(t.closedWith()).toBeUndefined();
    t.ask('y'.repeat(300));
    expect(t.closedWith()?.code).toBe('BUDGET_EXCEEDED');
    expect(t.closedWith()?.detail).toEqual({ budget: 'maxHeldInputBytes' });
    expect(t.calls).toEqual(['one']);
  });

  it('a connection without bufferedBytes is never paused', async () => {
    const t = await setup({ pauseInputAtUnsentBytes: 1, maxUnsentBytes: 2 });
    (t.connection as { bufferedBytes?: unknown }).bufferedBytes = undefined;
    t.ask('one');
    await t.turns();
    t.ask('two');
    await t.turns();
    expect(t.calls).toEqual(['one', 'two']);
  });
});

/** The platform backend with its Ed25519 verdicts held until the test releases them (as a slow WebCrypto would). */
function heldVerdicts(base: AsyncCryptoBackend): { backend: AsyncCryptoBackend; release: (verdict?: boolean) => void; pending: () => number } {
  const waiting: (() => void)[] = [];
  let forced: boolean | undefined;
  const backend: AsyncCryptoBackend = {
    ...base,
    ed25519Verify: (publicKey, message, signature) =>
      new Promise<void>((resolve) => waiting.push(resolve)).then(async () => forced ?? base.ed25519Verify(publicKey, message, signature)),
  };
  return {
    backend,
    release: (verdict) => {
      forced = verdict;
      for (const go of waiting.splice(0)) go();
    },
    pending: () => waiting.length,
  };
}

describe('connection shell: the hello’s asynchronous signature check', () => {
  it('holds what the peer sends behind its hello until the signature verified, then hands it over in order', async () => {
    const held = heldVerdicts(asyncCryptoBackend());
    const previous = useAsyncCryptoBackend(held.backend);
    try {
      const t = await setup({ ...DEFAULT_SHELL_LIMITS }, false);
      t.ask('one');
      t.ask('two');
      await t.turns();
      expect(held.pending()).toBe(1);
      expect(t.shell.state).toBe('handshaking');
      expect(t.calls).toEqual([]);
      held.release();
      await t.opened;
      t.ask('three');
      await t.turns();
      expect(t.calls).toEqual(['one', 'two', 'three']);
    } finally {
      useAsyncCryptoBackend(previous);
    }
  });

  it('a hello whose signature fails takes the held messages down with it: none reaches a session', async () => {
    const held = heldVerdicts(asyncCryptoBackend());
    const previous = useAsyncCryptoBackend(held.backend);
    try {
      const t = await setup({ ...DEFAULT_SHELL_LIMITS }, false);
      t.ask('one');
      held.release(false);
      await t.turns();
      expect(t.closedWith()?.code).toBe('BAD_LOCATION_SIGNATURE');
      expect(t.shell.state).toBe('closed');
      t.ask('two');
      await t.turns();
      expect(t.calls).toEqual([]);
      expect(t.connection.sent.filter((op) => op.op === 'abort')).toHaveLength(1);
    } finally {
      useAsyncCryptoBackend(previous);
    }
  });

  it('input held during the check counts against maxHeldInputBytes', async () => {
    const held = heldVerdicts(asyncCryptoBackend());
    const previous = useAsyncCryptoBackend(held.backend);
    try {
      const t = await setup({ ...DEFAULT_SHELL_LIMITS, maxHeldInputBytes: 500 }, false);
      t.ask('x'.repeat(300));
      expect(t.closedWith()).toBeUndefined();
      t.ask('y'.repeat(300));
      expect(t.closedWith()?.code).toBe('BUDGET_EXCEEDED');
      expect(t.closedWith()?.detail).toEqual({ budget: 'maxHeldInputBytes' });
      held.release();
      await t.turns();
      expect(t.calls).toEqual([]);
    } finally {
      useAsyncCryptoBackend(previous);
    }
  });
});
