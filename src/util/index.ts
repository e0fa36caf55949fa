export { CapmeshError, ERROR_CODES, isCapmeshError } from './errors.js';
export type { CapmeshErrorCode, CapmeshErrorOptions } from './errors.js';
export type { Brand } from './brand.js';
export * from './assert.js';
export * from './bytes.js';
export { LOG_LEVELS, jsonLineLogger, silentLogger } from './logger.js';
export type { Logger, LogLevel } from './logger.js';
export { EventListeners, Listeners } from './listeners.js';
