/**
 * `capmesh/browser`: a tab's vat in a dedicated worker, WebRTC between tabs
 * through a main-thread broker, the relay as fallback, IndexedDB persistence.
 *
 * For a vat of your own in a page or worker (`createVat` from `capmesh`):
 * `relayNetlayer({ url })`, and `websocketClientNetlayer()` — dial-only
 * (a browser cannot listen) `websocket` transport that reaches Node, Goblins
 * and Endo websocket listeners, using `globalThis.WebSocket`.
 *
 * @module capmesh/browser
 */
export { startBrowserVat, DEFAULT_RELAY_TIMEOUT_MS } from './browser/start.js';
export type { BrowserVat, BrowserVatOptions, BrowserVatEvent, BrowserVatEvents, RelayState, RelayStateDetail, PageKindMaker, PageKindContext } from './browser/start.js';
export type { BrowserSessionInfo, WorkerVatHooks } from './browser/worker-vat.js';
export type { DirectOfferLimits, DirectPathTuning, WorkerReply } from './browser/messages.js';
export type { OfferLimits } from './netlayer/webrtc/offer-policy.js';
export type { BrowserIdentityOptions } from './persistence/browser-identity.js';
export { bootWorkerVat } from './browser/worker-vat.js';
export { indexedDbStore } from './persistence/indexeddb-store.js';
export { loadOrCreateBrowserIdentity, CRYPTO_IDENTITY_KEY } from './persistence/browser-identity.js';
export { relayNetlayer } from './netlayer/relay/netlayer.js';
export { websocketClientNetlayer, WEBSOCKET_TRANSPORT } from './netlayer/websocket/client.js';
export type { WebSocketClientNetlayerOptions, WebSocketDialOptions } from './netlayer/websocket/client.js';
export type { WebSocketAuth } from './netlayer/websocket/auth.js';
