import type { FromBroker, PeerSettings, PipeMessage, ToBroker } from '../netlayer/webrtc/broker-protocol.js';

/**
 * The page's RTC broker. `RTCPeerConnection` does not exist in workers, so
 * the page runs the peer connections its worker vat asks for and hands each
 * data channel into the worker (transferred, where the browser allows; else
 * piped through a `MessagePort`). It decides nothing about identity: the
 * worker signs and checks every description before it is applied.
 *
 * Descriptions are exchanged whole (ICE candidates inline), after gathering
 * completes or `GATHER_CAP_MS` passes, whichever is first: one signed message
 * each way, nothing unsigned.
 */
const GATHER_CAP_MS = 2_000;

export interface RtcBrokerOptions {
  /**
   * Peer connections the broker holds at most; a `dial` or `accept` beyond
   * it is answered with `error` and builds nothing. A second line behind the
   * worker's own limits (`OfferLimits.maxPeerConnections`, which the worker
   * checks before it asks). Default 64.
   */
  readonly maxPeerConnections?: number;
}

export interface RtcBroker {
  /** Peer connections open now, by id (for `getStats()`-based round-trip times). */
  readonly peers: ReadonlyMap<number, RTCPeerConnection>;
  close(): void;
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = (): void => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, GATHER_CAP_MS);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

export function startRtcBroker(port: MessagePort, options: RtcBrokerOptions = {}): RtcBroker {
  const maxPeers = options.maxPeerConnections ?? 64;
  const peers = new Map<number, RTCPeerConnection>();
  const post = (message: FromBroker, transfer: Transferable[] = []): void => port.postMessage(message, transfer);

  /**
   * Hands `dc` to the worker. Must run in the task that created the channel
   * (`dial`) or synchronously in `ondatachannel` (`accept`): the only moments
   * both Chromium and Firefox let a data channel be transferred (Firefox
   * throws `DataCloneError` after a timer turn or once the channel is
   * open). Where the transfer throws anyway, the page keeps the channel and
   * pipes it through a `MessagePort` instead (`pipeDataChannel`).
   */
  const handOver = (id: number, dc: RTCDataChannel): void => {
    try {
      post({ type: 'channel', id, channel: dc }, [dc as unknown as Transferable]);
    } catch {
      const pipe = pipeDataChannel(dc);
      post({ type: 'channel-port', id, port: pipe }, [pipe]);
    }
  };

  /** Makes the peer connection for `id`, or reports `error` and returns undefined when `maxPeerConnections` are held. */
  const makePeer = (id: number, settings: PeerSettings): RTCPeerConnection | undefined => {
    if (peers.size >= maxPeers) {
      post({ type: 'error', id, message: `the page holds ${peers.size} peer connections (maxPeerConnections)` });
      return undefined;
    }
    const pc = new RTCPeerConnection({
      iceServers: settings.iceServers as RTCIceServer[],
      iceTransportPolicy: settings.iceTransportPolicy ?? 'all',
    });
    peers.set(id, pc);
    pc.addEventListener('connectionstatechange', () => {
      post({ type: 'state', id, state: pc.connectionState });
      if (pc.connectionState === 'closed' || pc.connectionState === 'failed') peers.delete(id);
    });
    return pc;
  };

  const fail = (id: number, e: unknown): void => post({ type: 'error', id, message: e instanceof Error ? e.message : String(e) });

  /** Runs `step` (which sets the local description), waits for gathering, and reports the description. */
  const reportLocal = (id: number, pc: RTCPeerConnection, step: () => Promise<void>): void => {
    step()
      .then(() => gathered(pc))
      .then(() => post({ type: 'local', id, sdp: pc.localDescription!.sdp }))
      .catch((e: unknown) => fail(id, e));
  };
  const answerOffer = (id: number, pc: RTCPeerConnection, sdp: string): void =>
    reportLocal(id, pc, () => pc.setRemoteDescription({ type: 'offer', sdp }).then(() => pc.setLocalDescription()));

  port.onmessage = (event: MessageEvent) => {
    const m = event.data as ToBroker;
    switch (m.type) {
      case 'dial': {
        const pc = makePeer(m.id, m.peer);
        if (!pc) return;
        handOver(m.id, pc.createDataChannel('capmesh', { ordered: true }));
        reportLocal(m.id, pc, () => pc.setLocalDescription());
        return;
      }
      case 'accept': {
        const pc = makePeer(m.id, m.peer);
        if (!pc) return;
        pc.addEventListener('datachannel', (e) => handOver(m.id, e.channel));
        answerOffer(m.id, pc, m.sdp);
        return;
      }
      case 'remote':
        peers.get(m.id)?.setRemoteDescription({ type: 'answer', sdp: m.sdp }).catch((e: unknown) => fail(m.id, e));
        return;
      case 'restart': {
        const pc = peers.get(m.id);
        if (!pc) return;
        pc.restartIce();
        reportLocal(m.id, pc, () => pc.setLocalDescription());
        return;
      }
      case 'reaccept': {
        const pc = peers.get(m.id);
        if (pc) answerOffer(m.id, pc, m.sdp);
        return;
      }
      case 'close':
        peers.get(m.id)?.close();
        peers.delete(m.id);
        return;
    }
  };
  return {
    peers,
    close() {
      for (const pc of peers.values()) pc.close();
      peers.clear();
      port.onmessage = null;
      port.close();
    },
  };
}

/**
 * Pipes a data channel the page keeps through a new `MessageChannel`;
 * returns the port to give the worker (which wraps it back into a channel,
 * `webrtc/pipe-channel.ts`). Frames are `PipeMessage`s: `open` at most once
 * and never after `close` (Firefox may report a channel it handed over in
 * `ondatachannel` as open already and then fire `open` as well), `data` in
 * both directions in order, `close` once either end closes.
 */
export function pipeDataChannel(dc: RTCDataChannel): MessagePort {
  const pipe = new MessageChannel();
  dc.binaryType = 'arraybuffer';
  let opened = false;
  let closed = false;
  const send = (m: PipeMessage, transfer: Transferable[] = []): void => pipe.port1.postMessage(m, transfer);
  const open = (): void => {
    if (opened || closed || dc.readyState !== 'open') return;
    opened = true;
    send({ type: 'open' });
  };
  const close = (): void => {
    if (closed) return;
    closed = true;
    send({ type: 'close' });
  };
  dc.addEventListener('open', open);
  // The peer's goodbye starts at `closing`: pass it on at once (see DataChannelConnection).
  dc.addEventListener('closing', close);
  dc.addEventListener('close', close);
  dc.addEventListener('message', (e: MessageEvent) => send({ type: 'data', bytes: e.data as ArrayBuffer }, [e.data as ArrayBuffer]));
  pipe.port1.onmessage = (e: MessageEvent) => {
    const m = e.data as PipeMessage;
    if (m.type === 'data' && dc.readyState === 'open') dc.send(m.bytes);
    else if (m.type === 'close') {
      closed = true;
      dc.close();
    }
  };
  open();
  return pipe.port2;
}
