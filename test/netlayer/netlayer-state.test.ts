import { describe, expect, it } from 'vitest';
import { NetlayerState } from '../../src/netlayer/netlayer-state.js';
import type { Connection, NetlayerBinding } from '../../src/netlayer/types.js';
import type { DesignatorSigner } from '../../src/crypto/signer.js';

/** A connection that records its close reason. */
function fakeConnection(): Connection & { closedWith: string | undefined } {
  const c = {
    transport: 'fake',
    outbound: false,
    remoteLocator: undefined,
    provenDesignator: undefined,
    closedWith: undefined as string | undefined,
    setReceiver() {},
    send() {},
    close(reason?: string) {
      c.closedWith ??= reason ?? 'closed';
    },
  };
  return c;
}

function binding(onConnection: (c: Connection) => void = () => {}): NetlayerBinding {
  return { designator: 'me', signer: {} as DesignatorSigner, onConnection };
}

describe('NetlayerState: the attach/track/close bookkeeping the netlayers share', () => {
  it('attaches once; a second attach is INVALID_ARGUMENT, an attach after close DISCONNECTED', () => {
    const state = new NetlayerState('fake');
    state.bind(binding());
    expect(() => state.bind(binding())).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('fake netlayer') }));
    const closed = new NetlayerState('fake');
    closed.shutDown();
    expect(() => closed.bind(binding())).toThrow(expect.objectContaining({ code: 'DISCONNECTED', message: 'this fake netlayer is closed' }));
  });

  it('checks the binding', () => {
    const state = new NetlayerState('fake');
    expect(() => state.bind({ ...binding(), designator: '' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => state.bind({ ...binding(), onConnection: undefined as never })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(state.binding).toBeUndefined();
  });

  it('a dial needs an attached, open netlayer', () => {
    const state = new NetlayerState('fake');
    expect(() => state.requireBinding()).toThrow(expect.objectContaining({ code: 'DISCONNECTED', message: expect.stringContaining('attach this fake netlayer') }));
    const b = binding();
    state.bind(b);
    expect(state.requireBinding()).toBe(b);
    state.shutDown();
    expect(() => state.requireBinding()).toThrow(expect.objectContaining({ code: 'DISCONNECTED' }));
  });

  it('tracks dialled and accepted connections until they end; shutDown hands the rest over once', () => {
    const accepted: Connection[] = [];
    const state = new NetlayerState('fake');
    state.bind(binding((c) => accepted.push(c)));
    const out = fakeConnection();
    const inbound = fakeConnection();
    expect(state.adoptOutbound(out)).toBe(out);
    state.adoptInbound(inbound);
    expect(accepted).toEqual([inbound]);
    expect(state.connections()).toEqual([out, inbound]);
    state.forget(out);
    state.forget(out);
    expect(state.connections()).toEqual([inbound]);
    expect(state.shutDown()).toEqual([inbound]);
    expect(state.shutDown()).toBeUndefined();
    expect(state.closed).toBe(true);
  });

  it('a dial that finishes after close is closed and rejected', () => {
    const state = new NetlayerState('fake');
    state.bind(binding());
    state.shutDown();
    const late = fakeConnection();
    expect(() => state.adoptOutbound(late)).toThrow(expect.objectContaining({ code: 'DISCONNECTED' }));
    expect(late.closedWith).toBe('the netlayer is closed');
    expect(state.connections()).toEqual([]);
  });

  it('an inbound connection after close is closed, not handed to the vat', () => {
    const accepted: Connection[] = [];
    const state = new NetlayerState('fake');
    state.bind(binding((c) => accepted.push(c)));
    state.shutDown();
    const late = fakeConnection();
    state.adoptInbound(late);
    expect(accepted).toEqual([]);
    expect(late.closedWith).toBe('the netlayer is closed');
  });

  it('a vat whose onConnection throws gets the connection closed, not an exception', () => {
    const state = new NetlayerState('fake');
    state.bind(
      binding(() => {
        throw new Error('too many sessions');
      }),
    );
    const c = fakeConnection();
    expect(() => state.adoptInbound(c)).not.toThrow();
    expect(c.closedWith).toBe('the vat refused the connection: too many sessions');
  });
});
