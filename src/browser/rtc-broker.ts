import type { FromBroker, IceCandidate, PeerSettings, PipeMessage, ToBroker } from '../netlayer/webrtc/broker-protocol.js';

/**
 * The page's RTC broker. `RTCPeerConnection` does not exist in workers, so
 * the page runs the peer connections its worker vat asks for and hands each
 * data channel into the worker (transferred, where the browser allows; else
 * piped through a `MessagePort`). It decides nothing about identity: the
 * worker signs and checks every description before it is applied.
 *
 * A first offer and its answer go out at once, without candidates (trickle
 * ICE): each candidate follows as a `candidate` message as it is gathered,
 * after its id's `local`, then an empty one when gathering is over. The
 * worker sends them to the peer unsigned (the DTLS fingerprint, which is what
 * the connection authenticates, is in the signed description: see
 * `webrtc/signals.ts`) and passes the peer's to us in order. ICE restarts
 * still exchange whole descriptions, after gathering completes or
 * `GATHER_CAP_MS` passes, whichever is first.
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
      if (pc.connectionState === 'closed' || pc.connectionState === 'failed') {
        peers.delete(id);
        trickling.delete(id);
      }
    });
    return pc;
  };

  const fail = (id: number, e: unknown): void => post({ type: 'error', id, message: e instanceof Error ? e.message : String(e) });

  /**
   * Ids whose local candidates go to the worker (a first offer or answer):
   * held in `queue` until that id's `local` is posted, then posted as they come.
   * An ICE restart takes its id out: its description carries its candidates.
   */
  const trickling = new Map<number, { described: boolean; ended: boolean; queue: IceCandidate[] }>();
  const trickle = (id: number, pc: RTCPeerConnection): void => {
    const t = { described: false, ended: false, queue: [] as IceCandidate[] };
    trickling.set(id, t);
    pc.addEventListener('icecandidate', (e: RTCPeerConnectionIceEvent) => {
      if (trickling.get(id) !== t) return;
      const c = e.candidate;
      // A null candidate (or an empty one, which some browsers fire as well) ends gathering: one empty message.
      const candidate: IceCandidate = c && c.candidate !== '' ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } : { candidate: '', sdpMid: null, sdpMLineIndex: null };
      if (t.ended) return;
      if (candidate.candidate === '') t.ended = true;
      if (t.described) post({ type: 'candidate', id, candidate });
      else t.queue.push(candidate);
    });
  };
  /** Sets the local description (`step`) and reports it at once, then the candidates held for it. */
  const reportTrickled = (id: number, pc: RTCPeerConnection, step: () => Promise<void>): void => {
    step()
      .then(() => {
        post({ type: 'local', id, sdp: pc.localDescription!.sdp });
        const t = trickling.get(id);
        if (!t) return;
        t.described = true;
        for (const candidate of t.queue.splice(0)) post({ type: 'candidate', id, candidate });
      })
      .catch((e: unknown) => fail(id, e));
  };

  /** Runs `step` (which sets the local description), waits for gathering, and reports the description. */
  const reportLocal = (id: number, pc: RTCPeerConnection, step: () => Promise<void>): void => {
    step()
      .then(() => gathered(pc))
      .then(() => post({ type: 'local', id, sdp: pc.localDescription!.sdp }))
      .catch((e: unknown) => fail(id, e));
  };
  const answerStep = (pc: RTCPeerConnection, sdp: string) => (): Promise<void> => pc.setRemoteDescription({ type: 'offer', sdp }).then(() => pc.setLocalDescription());

  port.onmessage = (event: MessageEvent) => {
    const m = event.data as ToBroker;
    switch (m.type) {
      case 'dial': {
        const pc = makePeer(m.id, m.peer);
        if (!pc) return;
        handOver(m.id, pc.createDataChannel('capmesh', { ordered: true }));
        trickle(m.id, pc);
        reportTrickled(m.id, pc, () => pc.setLocalDescription());
        return;
      }
      case 'accept': {
        const pc = makePeer(m.id, m.peer);
        if (!pc) return;
        pc.addEventListener('datachannel', (e) => handOver(m.id, e.channel));
        trickle(m.id, pc);
        reportTrickled(m.id, pc, answerStep(pc, m.sdp));
        return;
      }
      case 'remote':
        peers.get(m.id)?.setRemoteDescription({ type: 'answer', sdp: m.sdp }).catch((e: unknown) => fail(m.id, e));
        return;
      case 'candidate': {
        // Chained behind the remote description by the peer connection's own operations queue. A candidate
        // it rejects (malformed, or an end-of-candidates a browser does not take) is dropped: the worker
        // already bounded how many come, and ICE goes on with the others.
        const c = m.candidate;
        peers.get(m.id)?.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }).catch(() => undefined);
        return;
      }
      case 'restart': {
        const pc = peers.get(m.id);
        if (!pc) return;
        trickling.delete(m.id);
        pc.restartIce();
        reportLocal(m.id, pc, () => pc.setLocalDescription());
        return;
      }
      case 'reaccept': {
        const pc = peers.get(m.id);
        trickling.delete(m.id);
        if (pc) reportLocal(m.id, pc, answerStep(pc, m.sdp));
        return;
      }
      case 'close':
        peers.get(m.id)?.close();
        peers.delete(m.id);
        trickling.delete(m.id);
        return;
    }
  };
  return {
    peers,
    close() {
      for (const pc of peers.values()) pc.close();
      peers.clear();
      trickling.clear();
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
