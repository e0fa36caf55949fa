/**
 * The slice of the `ws` package (v8) that capmesh uses. `ws` ships no type
 * declarations and capmesh takes no `@types/*` dependency for it, so this
 * ambient module describes exactly the calls made by the Node websocket
 * netlayer, the Node relay-netlayer adapter and the relay server. Nothing in a
 * public signature mentions these types.
 */
declare module 'ws' {
  import { EventEmitter } from 'node:events';
  import type { IncomingMessage, Server as HttpServer } from 'node:http';
  import type { Duplex } from 'node:stream';

  export interface WebSocketOptions {
    maxPayload?: number;
    autoPong?: boolean;
    perMessageDeflate?: boolean;
    handshakeTimeout?: number;
  }

  export interface WsMessageEvent {
    readonly data: unknown;
  }
  export interface WsCloseEvent {
    readonly code: number;
    readonly reason: string;
    readonly wasClean: boolean;
  }

  export class WebSocket extends EventEmitter {
    static readonly CONNECTING: 0;
    static readonly OPEN: 1;
    static readonly CLOSING: 2;
    static readonly CLOSED: 3;
    constructor(url: string, protocols?: string | string[], options?: WebSocketOptions);
    binaryType: 'nodebuffer' | 'arraybuffer' | 'fragments';
    readonly readyState: 0 | 1 | 2 | 3;
    readonly bufferedAmount: number;
    readonly isPaused: boolean;
    onopen: ((event: unknown) => void) | null;
    onmessage: ((event: WsMessageEvent) => void) | null;
    onclose: ((event: WsCloseEvent) => void) | null;
    onerror: ((event: unknown) => void) | null;
    send(data: Uint8Array | ArrayBuffer | string, callback?: (error?: Error) => void): void;
    close(code?: number, reason?: string): void;
    terminate(): void;
    ping(data?: Uint8Array, mask?: boolean, callback?: (error?: Error) => void): void;
    pause(): void;
    resume(): void;
  }

  export interface WebSocketServerOptions {
    noServer?: boolean;
    server?: HttpServer;
    host?: string;
    port?: number;
    maxPayload?: number;
    perMessageDeflate?: boolean;
    autoPong?: boolean;
    clientTracking?: boolean;
  }

  export class WebSocketServer extends EventEmitter {
    constructor(options: WebSocketServerOptions, callback?: () => void);
    readonly clients: Set<WebSocket>;
    address(): { port: number; address: string; family: string } | string | null;
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: (ws: WebSocket, request: IncomingMessage) => void): void;
    close(callback?: (error?: Error) => void): void;
  }

  export default WebSocket;
}
