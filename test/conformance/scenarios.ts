import type { Conformance } from './harness/context.js';
import { abortScenarios } from './scenarios/abort.js';
import { deliverScenarios } from './scenarios/delivers.js';
import { gcScenarios } from './scenarios/gc.js';
import { listenScenarios } from './scenarios/listen.js';
import { referencingScenarios } from './scenarios/referencing.js';
import { startSessionScenarios } from './scenarios/start-session.js';

/**
 * Every replayed suite module, in the suite's order. Third-party handoffs
 * (the suite's 7 `third_party_handoffs` tests) come with the handoffs issue:
 * add `handoffScenarios(c)` here; `c.listener()` gives the extra suite
 * locations (G, R) those tests need.
 */
export function allScenarios(c: Conformance): void {
  startSessionScenarios(c);
  abortScenarios(c);
  deliverScenarios(c);
  listenScenarios(c);
  gcScenarios(c);
  referencingScenarios(c);
}
