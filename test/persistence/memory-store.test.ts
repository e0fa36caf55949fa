import { describe } from 'vitest';
import { memoryStore } from '../../src/persistence/index.js';
import { storeContract } from './store-contract.js';

describe('memoryStore', () => {
  storeContract(() => memoryStore());
});
