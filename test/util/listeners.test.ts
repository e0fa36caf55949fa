import { describe, expect, it } from 'vitest';
import { EventListeners, Listeners } from '../../src/util/listeners.js';

/** Resolves with the next error rethrown from a microtask (the host's uncaught-exception path). */
function nextUncaught(): Promise<unknown> {
  return new Promise((resolve) => {
    const onError = (error: unknown): void => {
      process.off('uncaughtException', onError);
      resolve(error);
    };
    process.on('uncaughtException', onError);
  });
}

describe('Listeners', () => {
  it('calls listeners in the order added, with the emitted arguments', () => {
    const seen: string[] = [];
    const listeners = new Listeners<[a: string, b: number]>();
    listeners.add((a, b) => seen.push(`first ${a} ${b}`));
    listeners.add((a, b) => seen.push(`second ${a} ${b}`));
    listeners.emit('x', 1);
    expect(seen).toEqual(['first x 1', 'second x 1']);
    expect(listeners.size).toBe(2);
  });

  it('the returned function removes the listener (idempotent); clear removes all', () => {
    const seen: number[] = [];
    const listeners = new Listeners<[n: number]>();
    const off = listeners.add((n) => seen.push(n));
    listeners.emit(1);
    off();
    off();
    listeners.emit(2);
    expect(seen).toEqual([1]);
    listeners.add((n) => seen.push(n));
    listeners.clear();
    listeners.emit(3);
    expect(seen).toEqual([1]);
    expect(listeners.size).toBe(0);
  });

  it('an emit calls the listeners present when it started', () => {
    const seen: string[] = [];
    const listeners = new Listeners<[]>();
    let offSecond = (): void => {};
    listeners.add(() => {
      seen.push('first');
      offSecond();
      listeners.add(() => seen.push('late'));
    });
    offSecond = listeners.add(() => seen.push('second'));
    listeners.emit();
    expect(seen).toEqual(['first', 'second']);
    listeners.emit();
    expect(seen).toEqual(['first', 'second', 'first', 'late']);
  });

  it('a throwing listener does not stop the others; its error goes to onError', () => {
    const errors: unknown[] = [];
    const seen: string[] = [];
    const listeners = new Listeners<[]>((error) => errors.push(error));
    listeners.add(() => {
      throw new Error('boom');
    });
    listeners.add(() => seen.push('after'));
    listeners.emit();
    expect(seen).toEqual(['after']);
    expect(errors).toEqual([new Error('boom')]);
  });

  it('without onError, a listener error is rethrown from a fresh microtask, after every listener ran', async () => {
    const uncaught = nextUncaught();
    const seen: string[] = [];
    const listeners = new Listeners<[]>();
    listeners.add(() => {
      throw new Error('later');
    });
    listeners.add(() => seen.push('after'));
    expect(() => listeners.emit()).not.toThrow();
    expect(seen).toEqual(['after']);
    expect(await uncaught).toEqual(new Error('later'));
  });
});

describe('EventListeners', () => {
  type Events = { open: [url: string]; data: [bytes: Uint8Array, last: boolean] };

  it('keeps each event to its own listeners and argument list', () => {
    const seen: string[] = [];
    const events = new EventListeners<Events>();
    events.on('open', (url) => seen.push(`open ${url}`));
    const off = events.on('data', (bytes, last) => seen.push(`data ${bytes.length} ${last}`));
    events.emit('data', new Uint8Array(3), true);
    events.emit('open', 'ws://x');
    expect(events.count('data')).toBe(1);
    off();
    events.emit('data', new Uint8Array(1), false);
    expect(seen).toEqual(['data 3 true', 'open ws://x']);
    expect(events.count('data')).toBe(0);
    expect(events.count('open')).toBe(1);
  });

  it('isolates listener errors per emit, through onError', () => {
    const errors: unknown[] = [];
    const seen: string[] = [];
    const events = new EventListeners<Events>((error) => errors.push(error));
    events.on('open', () => {
      throw new Error('bad listener');
    });
    events.on('open', (url) => seen.push(url));
    events.emit('open', 'u');
    expect(seen).toEqual(['u']);
    expect(errors).toEqual([new Error('bad listener')]);
  });
});
