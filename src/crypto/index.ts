/**
 * capmesh crypto: Ed25519 session and designator keys, OCapN key/signature
 * list forms, Public and Session IDs, location and envelope signatures, swiss
 * numbers and designators. Imports only `util` and `syrup`.
 */
export { publicKeyToSyrup, signatureToSyrup, publicKeyFromSyrup, signatureFromSyrup } from './forms.js';
export { generateKeyPair, generateKeyPairAsync, keyPairFromSecret, keyPairFromSecretAsync, publicKeyOf, sign, signAsync, verify, verifyAsync } from './keys.js';
export type { KeyPair } from './keys.js';
export { randomBytes, randomSwiss } from './random.js';
export { cryptoBackendReady, loadCryptoBackend } from './active-backend.js';
export { publicIdOf, publicIdOfAsync, sessionIdOf, sessionIdOfAsync } from './ids.js';
export {
  signSyrup,
  verifySyrup,
  verifySyrupAsync,
  myLocationRecord,
  signLocation,
  signLocationAsync,
  verifyLocation,
  verifyLocationAsync,
  makeSigEnvelope,
  openSigEnvelope,
  checkSigEnvelope,
} from './signing.js';
export type { OpenedSigEnvelope } from './signing.js';
export { designatorOf, publicKeyOfDesignator } from './designator.js';
export {
  DESIGNATOR_STATEMENT_LABELS,
  DEFAULT_MAX_STATEMENT_BYTES,
  LEGACY_PEER_AUTH_BYTES,
  designatorSigner,
  keyPairDesignatorKey,
  keyPairDesignatorKeyAsync,
  cryptoKeyDesignatorKey,
  isKeyPair,
} from './signer.js';
export type { DesignatorKey, DesignatorSigner, DesignatorSignerOptions } from './signer.js';
