import { designatorSigner, generateKeyPair, keyPairDesignatorKey, type DesignatorSigner, type DesignatorSignerOptions, type KeyPair } from '../../src/crypto/index.js';

/** A designator signer over `keys` (default: a fresh key pair), for netlayer bindings in tests. */
export function testSigner(keys: KeyPair = generateKeyPair(), options: DesignatorSignerOptions = {}): DesignatorSigner {
  return designatorSigner(keyPairDesignatorKey(keys), options);
}
