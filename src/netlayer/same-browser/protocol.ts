/**
 * The same-browser fast path's two small protocols (see docs/browser.md,
 * *Same-browser fast path*):
 *
 * - **broker messages**, between a tab's vat worker and the origin's broker
 *   (a SharedWorker) over the port the page handed the worker: registrations
 *   and channel requests;
 * - **channel messages**, between two vat workers over the two ends of one
 *   `MessageChannel` the broker made: a mutual proof of designator keys, then
 *   the OCapN messages themselves (one `ArrayBuffer` per message).
 *
 * Every field is checked on arrival: either side may be a same-origin
 * impostor (see `netlayer.ts`), and the broker trusts nobody's claims.
 */

/** Worker → broker. */
export type ToSameBrowserBroker =
  /** Makes `designator` reachable through this port. `presence`: a Web Lock name the worker holds for its life (the broker drops the registration once it is released). */
  | { readonly type: 'register'; readonly designator: string; readonly presence?: string }
  | { readonly type: 'unregister'; readonly designator: string }
  /** Asks for a channel to `designator`, from `from` (one of this port's registrations). Answered by `channel` or `absent` with the same `id`. */
  | { readonly type: 'dial'; readonly id: number; readonly designator: string; readonly from: string };

/** Broker → worker. */
export type FromSameBrowserBroker =
  | { readonly type: 'registered'; readonly designator: string }
  | { readonly type: 'refused'; readonly designator: string; readonly message: string }
  /** The dialler's end of a new channel; `presence` is the listener's lock name, when it gave one. */
  | { readonly type: 'channel'; readonly id: number; readonly port: MessagePort; readonly presence?: string }
  /** Nobody registered `designator` (or the dial was refused): use the other paths. */
  | { readonly type: 'absent'; readonly id: number; readonly message: string }
  /** The listener's end of a new channel from `from` (as the dialler's port registered it: a claim, proven on the channel). */
  | { readonly type: 'incoming'; readonly designator: string; readonly from: string; readonly port: MessagePort; readonly presence?: string };

/** Channel control messages; OCapN messages travel as bare `ArrayBuffer`s. */
export type SameBrowserChannelMessage =
  /** First message each way: who this end says it is and its fresh 32-byte nonce. */
  | { readonly type: 'hello'; readonly designator: string; readonly nonce: Uint8Array }
  /** Second message each way: the signature of `authStatement(role, …)` with the sender's designator key. */
  | { readonly type: 'proof'; readonly signature: Uint8Array }
  | { readonly type: 'close'; readonly reason: string };

/** The signed statement's label (registered in `crypto/signer.ts`). */
export const SAME_BROWSER_AUTH_LABEL = 'capmesh-same-browser:auth';

/** Longest designator the broker accepts (a base32 Ed25519 key is 52 characters). */
export const MAX_DESIGNATOR_LENGTH = 128;

/** What `Connection.path` says for a connection over the fast path. */
export const SAME_BROWSER_PATH = 'same-browser';

export function isDesignatorLike(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_DESIGNATOR_LENGTH;
}
