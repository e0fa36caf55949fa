import { describe, expect, it } from 'vitest';
import { far } from '../../src/vat/index.js';
import { sym, type SyrupValue } from '../../src/syrup/types.js';
import { answerDesc, descriptorToSyrup, dialectFor, encodeOp, exportDesc, importObject, importPromise, type SessionOp } from '../../src/wire/index.js';
import { makeSolo, type Solo } from './harness.js';

/** A bootstrap whose `wait` answers never settle unless released through `release`. */
function gate() {
  const resolvers: ((v: unknown) => void)[] = [];
  const bootstrap = far('gate', {
    wait: () => new Promise((resolve) => resolvers.push(resolve)),
    hi: () => 'hi',
  });
  return { bootstrap, release: (v: unknown) => resolvers.splice(0).forEach((r) => r(v)) };
}

const askWait = (answerPos: number): SessionOp => ({ op: 'deliver', to: exportDesc(0), args: [sym('wait')], answerPos, resolveMe: null });
const sendOn = (answer: number, args: SyrupValue[] = [sym('hi')]): SessionOp => ({ op: 'deliver', to: answerDesc(answer), args, answerPos: null, resolveMe: null });
const listenOn = (answer: number, resolver: number): SessionOp => ({ op: 'listen', to: answerDesc(answer), listenDesc: importObject(resolver) });

function expectBudgetAbort(solo: Solo, budget: string): void {
  expect(solo.closedWith?.code).toBe('BUDGET_EXCEEDED');
  expect(solo.closedWith?.detail).toEqual({ budget });
  expect(solo.sent.at(-1)).toMatch(new RegExp(`^abort "BUDGET_EXCEEDED: ${budget}: `));
}

describe('CapTP session budgets', () => {
  it('messages pipelined on an unresolved answer past maxQueuedMessages abort the peer', () => {
    const { bootstrap } = gate();
    const solo = makeSolo(bootstrap, { limits: { maxQueuedMessages: 5 } });
    solo.session.receive(askWait(0));
    for (let i = 0; i < 5; i++) solo.session.receive(sendOn(0));
    expect(solo.closedWith).toBeUndefined();
    expect(solo.session.stats().queuedMessages).toBe(5);
    solo.session.receive(sendOn(0));
    expectBudgetAbort(solo, 'maxQueuedMessages');
  });

  it('queued messages are released when the answer settles, so the budget refills', async () => {
    const g = gate();
    const solo = makeSolo(g.bootstrap, { limits: { maxQueuedMessages: 3 } });
    solo.session.receive(askWait(0));
    for (let i = 0; i < 3; i++) solo.session.receive(sendOn(0));
    await solo.settle();
    g.release(far('x', { hi: () => 'hi' }));
    await solo.settle();
    expect(solo.session.stats().queuedMessages).toBe(0);
    solo.session.receive(askWait(1));
    for (let i = 0; i < 3; i++) solo.session.receive(sendOn(1));
    expect(solo.closedWith).toBeUndefined();
  });

  it('pipelined get/index/untag count as queued messages too', () => {
    const solo = makeSolo(gate().bootstrap, { limits: { maxQueuedMessages: 2 } });
    solo.session.receive(askWait(0));
    solo.session.receive({ op: 'get', to: answerDesc(0), field: 'a', answerPos: 1 });
    solo.session.receive({ op: 'index', to: answerDesc(0), index: 0n, answerPos: 2 });
    expect(solo.closedWith).toBeUndefined();
    solo.session.receive({ op: 'untag', to: answerDesc(0), tag: 't', answerPos: 3 });
    expectBudgetAbort(solo, 'maxQueuedMessages');
  });

  it('unsettled answers past maxPendingAnswers abort the peer; settled ones awaiting gc-answers do not count', async () => {
    const g = gate();
    const solo = makeSolo(g.bootstrap, { limits: { maxPendingAnswers: 3 } });
    for (let a = 0; a < 3; a++) solo.session.receive(askWait(a));
    await solo.settle();
    g.release('done');
    await solo.settle();
    for (let a = 3; a < 6; a++) solo.session.receive(askWait(a));
    expect(solo.closedWith).toBeUndefined();
    expect(solo.session.stats().answers).toBe(6);
    solo.session.receive(askWait(6));
    expectBudgetAbort(solo, 'maxPendingAnswers');
  });

  it('bytes of messages waiting on an unresolved answer past maxQueuedBytes abort the peer', () => {
    const solo = makeSolo(gate().bootstrap, { limits: { maxQueuedBytes: 10_000 } });
    const spec = dialectFor('spec');
    solo.session.receiveBytes(encodeOp(askWait(0), spec)[0]!);
    const big = encodeOp(sendOn(0, [sym('hi'), 'x'.repeat(4_000)]), spec)[0]!;
    solo.session.receiveBytes(big);
    solo.session.receiveBytes(big);
    expect(solo.closedWith).toBeUndefined();
    expect(solo.session.stats().queuedBytes).toBe(2 * big.length);
    solo.session.receiveBytes(big);
    expectBudgetAbort(solo, 'maxQueuedBytes');
  });

  it('listens on one pending answer past maxListenersPerAnswer abort the peer', () => {
    const solo = makeSolo(gate().bootstrap, { limits: { maxListenersPerAnswer: 3 } });
    solo.session.receive(askWait(0));
    for (let i = 0; i < 3; i++) solo.session.receive(listenOn(0, i));
    expect(solo.session.stats().listeners).toBe(3);
    solo.session.receive(listenOn(0, 3));
    expectBudgetAbort(solo, 'maxListenersPerAnswer');
  });

  it('listens on a settled answer still count per answer (each would re-send the whole value)', async () => {
    const solo = makeSolo(far('echo', { echo: (s: string) => s }), { limits: { maxListenersPerAnswer: 3 } });
    solo.session.receive({ op: 'deliver', to: exportDesc(0), args: [sym('echo'), 'y'.repeat(1000)], answerPos: 0, resolveMe: null });
    await solo.settle();
    for (let i = 0; i < 3; i++) solo.session.receive(listenOn(0, i));
    await solo.settle();
    expect(solo.closedWith).toBeUndefined();
    expect(solo.session.stats().listeners).toBe(0);
    solo.session.receive(listenOn(0, 3));
    expectBudgetAbort(solo, 'maxListenersPerAnswer');
  });

  it('listeners waiting over the whole session past maxListeners abort the peer', () => {
    const solo = makeSolo(gate().bootstrap, { limits: { maxListeners: 4 } });
    for (let a = 0; a < 5; a++) solo.session.receive(askWait(a));
    for (let a = 0; a < 4; a++) solo.session.receive(listenOn(a, a));
    expect(solo.closedWith).toBeUndefined();
    solo.session.receive(listenOn(4, 4));
    expectBudgetAbort(solo, 'maxListeners');
  });

  it('more references in one message than maxReferencesPerMessage abort the peer before it is delivered', async () => {
    let calls = 0;
    const solo = makeSolo(far('sink', { take: () => void calls++ }), { limits: { maxReferencesPerMessage: 4 } });
    const refs = (n: number) => Array.from({ length: n }, (_, i) => descriptorToSyrup(i % 2 ? importObject(100 + i) : importPromise(100 + i)));
    solo.session.receive({ op: 'deliver', to: exportDesc(0), args: [sym('take'), ...refs(4)], answerPos: null, resolveMe: null });
    await solo.settle();
    expect(calls).toBe(1);
    solo.session.receive({ op: 'deliver', to: exportDesc(0), args: [sym('take'), ...refs(5)], answerPos: null, resolveMe: null });
    expectBudgetAbort(solo, 'maxReferencesPerMessage');
    await solo.settle();
    expect(calls).toBe(1);
  });

  it('our own questions past maxQuestions reject locally with BUDGET_EXCEEDED and the session lives on', async () => {
    const solo = makeSolo(gate().bootstrap, { limits: { maxQuestions: 2 } });
    const first = solo.session.ask(exportDesc(0), 'ask', []);
    const second = solo.session.ask(exportDesc(0), 'ask', []);
    await expect(solo.session.ask(exportDesc(0), 'ask', [])).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED', detail: { budget: 'maxQuestions' } });
    expect(solo.closedWith).toBeUndefined();
    expect(solo.session.stats().budgetTrips).toBe(1);
    first.catch(() => {});
    second.catch(() => {});
  });
});
