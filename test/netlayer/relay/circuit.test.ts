import { describe, expect, it } from 'vitest';
import { RelayCircuit, type CircuitPort, type RelayCircuitHandler } from '../../../src/netlayer/relay/circuit.js';

function handPort(log: string[]): CircuitPort {
  return {
    send: () => true,
    close: (reason) => log.push(`port close ${reason}`),
    ended: () => log.push('port ended'),
    bufferedAmount: () => 0,
  };
}

function recorder(log: string[], extra: Partial<RelayCircuitHandler> = {}): RelayCircuitHandler {
  return { message: (p) => log.push(`message ${[...p].join(',')}`), closed: (reason, kind) => log.push(`closed ${kind} ${reason}`), ...extra };
}

describe('RelayCircuit: the receiving half is a ConnectionInbox', () => {
  it('queues until setHandler, hands the queue over inside it, then delivers at once; closed comes once, last', () => {
    const log: string[] = [];
    const circuit = new RelayCircuit(7, 'peer', false, handPort(log));
    circuit.arrive(new Uint8Array([1]));
    circuit.arrive(new Uint8Array([2]));
    circuit.setHandler(recorder(log));
    expect(log).toEqual(['message 1', 'message 2']);
    circuit.arrive(new Uint8Array([3]));
    expect(log).toEqual(['message 1', 'message 2', 'message 3']);
    circuit.end('peer left', 'remote');
    circuit.end('again', 'error');
    circuit.arrive(new Uint8Array([4]));
    expect(log).toEqual(['message 1', 'message 2', 'message 3', 'port ended', 'closed remote peer left']);
    expect(circuit.isOpen).toBe(false);
    expect(circuit.send(new Uint8Array([5]))).toBe(false);
  });

  it('an end before setHandler is handed over after the queued messages', () => {
    const log: string[] = [];
    const circuit = new RelayCircuit(1, 'peer', true, handPort(log));
    circuit.arrive(new Uint8Array([1]));
    circuit.end('relay dropped', 'error');
    circuit.setHandler(recorder(log));
    expect(log).toEqual(['port ended', 'message 1', 'closed error relay dropped']);
  });

  it('a handler that closes the circuit from inside `message` sees `closed` after that message returned', () => {
    const log: string[] = [];
    const circuit = new RelayCircuit(2, 'peer', true, handPort(log));
    circuit.setHandler(
      recorder(log, {
        message: (p) => {
          log.push(`start ${p[0]}`);
          circuit.close('enough');
          log.push(`end ${p[0]}`);
        },
      }),
    );
    circuit.arrive(new Uint8Array([1]));
    expect(log).toEqual(['start 1', 'port close enough', 'end 1', 'closed local enough']);
  });

  it('a handler that throws does not stop delivery; the error is rethrown from a microtask', async () => {
    const log: string[] = [];
    const circuit = new RelayCircuit(3, 'peer', false, handPort(log));
    const uncaught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    circuit.setHandler(
      recorder(log, {
        message: (p) => {
          log.push(`message ${p[0]}`);
          throw new Error('handler bug');
        },
      }),
    );
    expect(() => circuit.arrive(new Uint8Array([1]))).not.toThrow();
    circuit.close();
    expect(log).toEqual(['message 1', 'port close closed', 'closed local closed']);
    expect(await uncaught).toEqual(new Error('handler bug'));
  });

  it('setHandler twice throws INVALID_ARGUMENT', () => {
    const circuit = new RelayCircuit(4, 'peer', false, handPort([]));
    circuit.setHandler(recorder([]));
    expect(() => circuit.setHandler(recorder([]))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
