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
  /** Applies `update` to the host's document; a refused one (`LIMIT`, `YJS_MALFORMED`) throws and is also reported to the member's `Subscriber.refused`, for members that send fire-and-forget. */
  update(update: Uint8Array): void;
}

/**
 * What the host pushes to; one per join. Every method but `ack` is sent
 * fire-and-forget (`E.sendOnly`: no answer travels back), in the order the
 * host's document and awareness emitted them.
 */
export interface Subscriber {
  /** A Yjs update of the host's document. */
  update(update: Uint8Array): void;
  /** An awareness (presence) update. */
  awareness(update: Uint8Array): void;
  /**
   * The host's acknowledgement request, one answered call per batch of
   * pushes (see `ShareDocOptions.ackEvery`/`ackDelayMs`): answering it says
   * every push sent before it was handled, which frees them from the
   * member's `maxQueuedBytesPerMember` budget. A member that never answers
   * is dropped with `BUDGET_EXCEEDED`; one that throws (a push it refused:
   * `LIMIT`, `YJS_MALFORMED`) is dropped with that error, and told so.
   */
  ack(): void;
  /** The host refused an update this member sent through its member facet (`LIMIT`, `YJS_MALFORMED`); the update was not applied. */
  refused(code: string, message: string): void;
  /** The host dropped this member: `code` is a capmesh error code (`NOT_FOUND` revoked, `BUDGET_EXCEEDED`, `DISCONNECTED`). */
  closed(code: string, message: string): void;
}
