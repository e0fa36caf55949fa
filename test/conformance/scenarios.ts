import type { Conformance } from './harness/context.js';
import { abortScenarios } from './scenarios/abort.js';
import { deliverScenarios } from './scenarios/delivers.js';
import { gcScenarios } from './scenarios/gc.js';
import { handoffScenarios } from './scenarios/handoffs.js';
import { listenScenarios } from './scenarios/listen.js';
import { referencingScenarios } from './scenarios/referencing.js';
import { startSessionScenarios } from './scenarios/start-session.js';

/**
 * Every replayed suite module, in the suite's order, then the unmerged
 * `op:get`/`op:index` scenarios. The handoff scenarios use `c.listener()`
 * for the suite's second location (E or R, whichever the peer must reach).
 */
export function allScenarios(c: Conformance): void {
  startSessionScenarios(c);
  abortScenarios(c);
  deliverScenarios(c);
  listenScenarios(c);
  gcScenarios(c);
  handoffScenarios(c);
  referencingScenarios(c);
}
