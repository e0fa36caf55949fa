/**
 * `wire`: typed OCapN messages (`op:*`) and descriptors (`desc:*`), locators,
 * their record and byte codecs, and per-peer dialects. Imports only `util`,
 * `syrup` and the pure-structure `crypto/forms`.
 */
export {
  DIALECTS,
  ENDO_DIALECT,
  GOBLINS_DIALECT,
  SPEC_DIALECT,
  SUITE_2026_02_DIALECT,
  dialectFor,
} from './dialect.js';
export { dialectForVersion, formsRevealedBy, learnDialect } from './dialect-learning.js';
export type { RevealedForms } from './dialect-learning.js';
export type { Dialect, DialectName, DialectOverrides, FireAndForgetForm, GcForm } from './dialect.js';

export {
  answerDesc,
  descriptorFromSyrup,
  descriptorLabel,
  descriptorToSyrup,
  expectDescriptor,
  exportDesc,
  importObject,
  importPromise,
  readPublicKey,
  readSignature,
} from './descriptors.js';
export type {
  AnswerDesc,
  Descriptor,
  DescriptorType,
  ExportDesc,
  GiftId,
  HandoffGiveDesc,
  HandoffReceiveDesc,
  ImportObjectDesc,
  ImportPromiseDesc,
  PositionDesc,
  SigEnvelopeDesc,
} from './descriptors.js';

export {
  isLocatorRecord,
  isSturdyRefRecord,
  locatorFromSyrup,
  locatorToSyrup,
  locatorsEqual,
  myLocationToSyrup,
  sturdyRefFromSyrup,
  sturdyRefToSyrup,
} from './locators.js';
export type { HintsForm, LocatorForm, LocatorLabel, PeerLocator, SturdyRef } from './locators.js';

export { isObsoleteOp } from './ops.js';
export type {
  AbortOp,
  BootstrapOp,
  DeliverOp,
  GcAnswersOp,
  GcExportEntry,
  GcExportsOp,
  GetOp,
  HandshakeOp,
  IndexOp,
  ListenOp,
  ObsoleteOp,
  Op,
  OpName,
  PickOp,
  ResolverDesc,
  SessionOp,
  StartSessionOp,
  TargetDesc,
  UntagOp,
} from './ops.js';

export { KNOWN_OP_LABELS, opFromRecord } from './read-op.js';
export { opToRecords } from './write-op.js';
export { foldNegativeZero } from './fold.js';
export { decodeOp, encodeOp, myLocationBytes } from './codec.js';
