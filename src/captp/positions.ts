import type { Brand } from '../util/brand.js';

/**
 * Positions in a session's four tables. Each is a number at run time and a
 * distinct type at compile time, so a position from the wrong table does not
 * compile. Position 0 of the export and import tables is each side's bootstrap
 * object; answer and question position 0 are ordinary (the questioner picks).
 */

/** A slot in *our* export table (the peer refers to it with `desc:export`). */
export type ExportPos = Brand<number, 'ExportPos'>;
/** A slot in our import table, keyed by the *peer's* export position. */
export type ImportPos = Brand<number, 'ImportPos'>;
/** A question we asked: the answer position we chose for the peer's answer table. */
export type QuestionPos = Brand<number, 'QuestionPos'>;
/** A question the peer asked: the answer position it chose in our answer table. */
export type AnswerPos = Brand<number, 'AnswerPos'>;

export const exportPos = (n: number): ExportPos => n as ExportPos;
export const importPos = (n: number): ImportPos => n as ImportPos;
export const questionPos = (n: number): QuestionPos => n as QuestionPos;
export const answerPos = (n: number): AnswerPos => n as AnswerPos;

export const BOOTSTRAP_EXPORT = exportPos(0);
export const BOOTSTRAP_IMPORT = importPos(0);
