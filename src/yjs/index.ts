/**
 * `capmesh/yjs`: a Yjs document shared over capmesh with an **editor** link
 * and a **viewer** link — sturdyrefs to two facets of the host's document,
 * revocable and optionally persistent — and presence (y-protocols
 * awareness) over the same objects.
 *
 * ```ts
 * const { editor, viewer } = await shareDoc(vat, ydoc);      // host
 * const joined = await joinDoc(otherVat, editor, otherDoc);  // member
 * await joined.synced;
 * ```
 *
 * `yjs` and `y-protocols` are peer dependencies. See docs/yjs.md.
 *
 * @module capmesh/yjs
 */
export { shareDoc, DEFAULT_MAX_QUEUED_BYTES_PER_MEMBER, DEFAULT_MAX_MEMBERS, DEFAULT_ACK_EVERY, DEFAULT_ACK_DELAY_MS } from './host.js';
export type { ShareDocOptions, SharedDoc } from './host.js';
export { joinDoc } from './member.js';
export type { JoinDocOptions, JoinedDoc, JoinStatus } from './member.js';
export { defineYjsKinds, yjsKinds, YJS_KIND } from './registry.js';
export { DEFAULT_MAX_UPDATE_BYTES, DEFAULT_MAX_AWARENESS_BYTES } from './checks.js';
export type { DocFacet, JoinReply, MemberFacet, EditorMemberFacet, Subscriber } from './protocol.js';
