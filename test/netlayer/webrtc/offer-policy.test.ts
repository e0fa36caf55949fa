import { describe, expect, it } from 'vitest';
import { OFFER_LIMIT_DEFAULTS, OfferGate, resolveOfferLimits } from '../../../src/netlayer/webrtc/offer-policy.js';
import { codeOf } from '../../helpers/codes.js';

const T0 = 1_800_000_000_000;
const nobody = (): boolean => false;

describe('OfferGate', () => {
  it('has the documented defaults', () => {
    expect(OFFER_LIMIT_DEFAULTS).toEqual({
      answerPolicy: 'anyone',
      maxPendingOffersPerPeer: 2,
      maxPendingOffers: 16,
      maxPeerConnectionsPerPeer: 4,
      maxPeerConnections: 64,
      offersPerPeerPerMinute: 12,
      offersPerMinute: 240,
      offerWindowMs: 60_000,
      maxRememberedOffers: 4_096,
      maxCandidatesPerConnection: 32,
      maxCandidateBytes: 1_024,
    });
  });

  it('rejects bad limits with INVALID_ARGUMENT', () => {
    expect(codeOf(() => resolveOfferLimits({ maxPendingOffers: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => resolveOfferLimits({ offerWindowMs: Number.NaN }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => resolveOfferLimits({ answerPolicy: 'friends' as 'known' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => resolveOfferLimits({ isKnownPeer: 'yes' as unknown as () => boolean }))).toBe('INVALID_ARGUMENT');
  });

  it('refuses new dial ids once the remembered set is full of ids inside the window, and takes them again once those expire', () => {
    const gate = new OfferGate({ maxRememberedOffers: 3, offerWindowMs: 1_000 }, nobody);
    for (const id of ['a', 'b', 'c']) expect(gate.fresh('bob', T0, T0, id)).toBeUndefined();
    expect(gate.fresh('bob', T0, T0, 'd')).toMatchObject({ code: 'OFFER_REFUSED', limit: 'maxRememberedOffers' });
    // Never forgotten while inside the window: still a replay.
    expect(gate.fresh('bob', T0, T0 + 500, 'a')).toMatchObject({ code: 'OFFER_REPLAYED' });
    // Past the window, the old ids are pruned and the offer is fresh.
    expect(gate.fresh('bob', T0 + 1_500, T0 + 1_500, 'd')).toBeUndefined();
    // The same dial id from another sender is another dial.
    expect(gate.fresh('carol', T0 + 1_500, T0 + 1_500, 'd')).toBeUndefined();
  });

  it('keeps at most 1 024 partly used per-peer buckets: further new senders are refused until buckets refill', () => {
    const gate = new OfferGate({ maxPendingOffers: 10_000, maxPeerConnections: 10_000, offersPerMinute: 100_000 }, nobody);
    for (let i = 0; i < 1_024; i++) expect(gate.admit(`peer-${i}`, T0)).toBeUndefined();
    expect(gate.admit('one-more', T0)).toMatchObject({ code: 'OFFER_REFUSED', limit: 'offersPerMinute' });
    // A known sender with a bucket is still served.
    expect(gate.admit('peer-0', T0)).toBeUndefined();
    // A minute later every other bucket is full again and is swept.
    expect(gate.admit('one-more', T0 + 60_000)).toBeUndefined();
  });

  it('counts peer connections by id: pending inbound, our dials and live ones', () => {
    const gate = new OfferGate({ maxPeerConnectionsPerPeer: 2 }, nobody);
    gate.add(1, 'bob', false);
    expect(gate.hasPeerConnection('bob', 'outbound-pending')).toBe(true);
    gate.opened(1);
    expect(gate.hasPeerConnection('bob', 'outbound-pending')).toBe(false);
    expect(gate.hasPeerConnection('bob', 'live')).toBe(true);
    gate.add(2, 'bob', true);
    expect(gate.mayDial('bob')).toBe('maxPeerConnectionsPerPeer');
    expect(gate.admit('bob', T0)).toMatchObject({ limit: 'maxPeerConnectionsPerPeer' });
    gate.remove(2);
    gate.remove(2);
    expect(gate.peerConnections).toBe(1);
    expect(gate.admit('bob', T0)).toBeUndefined();
  });

  it("'known' consults the netlayer's knowledge and the allow-list; a throwing allow-list counts as no", () => {
    const gate = new OfferGate(
      {
        answerPolicy: 'known',
        isKnownPeer: (d) => {
          if (d === 'bad') throw new Error('boom');
          return d === 'carol';
        },
      },
      (d) => d === 'bob',
    );
    expect(gate.admit('bob', T0)).toBeUndefined();
    expect(gate.admit('carol', T0)).toBeUndefined();
    expect(gate.admit('bad', T0)).toMatchObject({ limit: 'answerPolicy' });
    expect(gate.admit('mallory', T0)).toMatchObject({ code: 'OFFER_REFUSED', limit: 'answerPolicy' });
  });
});
