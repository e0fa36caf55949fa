import type { Remote } from '../index.js';

/**
 * The objects a share is made of, as members see them over CapTP. A member
 * reaches a `DocFacet` by its link, joins with its state vector, its Yjs
 * client ID and a `Subscriber` of its own, and gets back what it lacks plus a
 * `MemberFacet` to send through. Byte strings are Yjs updates, state vectors
 * and y-protocols awareness updates.
 */
export interface DocFacet {
  /** `readOnly` is true for the viewer facet. Rejects with `NOT_FOUND` once revoked. */
  describe(): { readOnly: boolean };
  join(stateVector: Uint8Array, clientID: number | bigint, subscriber: Remote<Subscriber>): JoinReply;
}

export interface JoinReply {
  /** The host's state the member lacks (relative to the state vector it sent). */
  readonly update: Uint8Array;
  /** The host's state vector, so the member can send what the host lacks (its offline edits). */
  readonly stateVector: Uint8Array;
  /** Every presence the host knows. */
  readonly awareness: Uint8Array;
  readonly member: MemberFacet;
}

/** A joined member's way in. The viewer's has no `update` (see {@link EditorMemberFacet}). */
export interface MemberFacet {
  /** The member's own presence only (updates naming another client ID are refused). */
  awareness(update: Uint8Array): void;
  leave(): void;
}

/** An editor member's way in: it may also send updates. */
export interface EditorMemberFacet extends MemberFacet {
  update(update: Uint8Array): void;
}

/** What the host pushes to; one per join. */
export interface Subscriber {
  update(update: Uint8Array): void;
  awareness(update: Uint8Array): void;
  /** The host dropped this member: `code` is a capmesh error code (`NOT_FOUND` revoked, `BUDGET_EXCEEDED`, `DISCONNECTED`). */
  closed(code: string, message: string): void;
}
