export { CapmeshError, ERROR_CODES, isCapmeshError } from './errors.js';
export type { CapmeshErrorCode, CapmeshErrorOptions } from './errors.js';
export type { Brand } from './brand.js';
export * from './assert.js';
export * from './bytes.js';
