import { CapmeshError } from '../../util/errors.js';

/**
 * The part of the WebSocket API the websocket and relay netlayers use. The
 * browser's native `WebSocket` (main thread and workers) and the `ws`
 * package's `WebSocket` both fit it, so the same client code runs in either;
 * Node entry points inject `ws`, browsers use `globalThis.WebSocket`.
 *
 * Only binary messages are used. Text messages are a protocol error.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A `WebSocket` constructor (native, or `ws`'s). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export const WS_CONNECTING = 0;
export const WS_OPEN = 1;

/** The platform's `WebSocket`, or a clear error when there is none (Node < 22 without `ws` injected). */
export function defaultWebSocket(): WebSocketConstructor {
  const native = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof native !== 'function') {
    throw new CapmeshError(
      'INVALID_ARGUMENT',
      'this platform has no global WebSocket: pass `WebSocket` (e.g. from the `ws` package), or import the netlayer from capmesh/node',
    );
  }
  return native as WebSocketConstructor;
}

/** Makes a socket deliver bytes: `arraybuffer` in browsers; `ws` keeps its own `nodebuffer` (no copy). */
export function preferBinary(socket: WebSocketLike): void {
  if (socket.binaryType !== 'nodebuffer') socket.binaryType = 'arraybuffer';
}

/**
 * The bytes of a binary message as a plain `Uint8Array` view (a Node
 * `Buffer` is re-viewed without copying, so callers never see `Buffer`
 * semantics), or undefined for text and anything else.
 */
export function messageBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) {
    return Object.getPrototypeOf(data) === Uint8Array.prototype ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return undefined;
}

/** True for the close codes an application may send (RFC 6455 §7.4.2, as browsers enforce). */
function sendableCode(code: number): boolean {
  return code === 1000 || (code >= 3000 && code <= 4999);
}

/** Closes a socket without throwing (bad codes become 1000; reasons are cut to the 123-byte limit). */
export function closeQuietly(socket: WebSocketLike, code = 1000, reason = ''): void {
  try {
    socket.close(sendableCode(code) ? code : 1000, truncateReason(reason));
  } catch {
    // Already closing, or the platform refused: nothing more to do.
  }
}

function truncateReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= 123) return reason;
  let cut = reason.slice(0, 120);
  while (new TextEncoder().encode(cut).length > 120) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * Opens a socket to `url` and resolves when it is open. Rejects with
 * `DISCONNECTED` when the socket fails or closes first, or after `timeoutMs`.
 * The handlers it set are cleared on settle; `onOpen` is called synchronously
 * from the open event so the caller installs its own before any message can
 * be dispatched (`ws` may emit the first message in the same tick as open).
 */
export function openWebSocket(
  WebSocket: WebSocketConstructor,
  url: string,
  timeoutMs: number,
  onOpen: (socket: WebSocketLike) => void,
): Promise<WebSocketLike> {
  return new Promise((resolve, reject) => {
    let socket: WebSocketLike;
    try {
      socket = new WebSocket(url);
    } catch (cause) {
      reject(new CapmeshError('DISCONNECTED', `cannot open a WebSocket to ${url}`, { cause }));
      return;
    }
    preferBinary(socket);
    const timer = setTimeout(() => {
      settle();
      closeQuietly(socket, 1000, 'open timed out');
      reject(new CapmeshError('DISCONNECTED', `no WebSocket connection to ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    const settle = (): void => {
      clearTimeout(timer);
      socket.onopen = null;
      socket.onerror = null;
      socket.onclose = null;
    };
    socket.onopen = () => {
      settle();
      try {
        onOpen(socket);
      } catch (error) {
        closeQuietly(socket);
        reject(error);
        return;
      }
      resolve(socket);
    };
    socket.onerror = () => {
      settle();
      closeQuietly(socket);
      reject(new CapmeshError('DISCONNECTED', `the WebSocket connection to ${url} failed`));
    };
    socket.onclose = (event) => {
      settle();
      reject(new CapmeshError('DISCONNECTED', `the WebSocket to ${url} closed before opening (${event.code} ${event.reason})`));
    };
  });
}
