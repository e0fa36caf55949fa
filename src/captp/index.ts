export { CaptpSession } from './session.js';
export type { SessionPorts, SessionOptions, SessionLimits, SessionStats } from './session-types.js';
export { DEFAULT_SESSION_LIMITS, SESSION_LIMIT_NAMES } from './session-types.js';
export { budgetExceeded } from './budgets.js';
export { createManualFinalizer, finalizationRegistryFinalizer } from './finalizer.js';
export type { FinalizerFactory, ImportFinalizer, ManualFinalizerControl } from './finalizer.js';
export type { ExportPos, ImportPos, QuestionPos, AnswerPos } from './positions.js';
export { SendTxn } from './send-txn.js';
