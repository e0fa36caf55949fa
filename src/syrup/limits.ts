import { DEFAULT_SYRUP_LIMITS, type SyrupLimits } from './types.js';

/** `limits` with every missing field taken from `DEFAULT_SYRUP_LIMITS`. */
export function resolveLimits(limits?: SyrupLimits): Readonly<Required<SyrupLimits>> {
  if (limits === undefined) return DEFAULT_SYRUP_LIMITS;
  // Already complete (a session's limits are): used as they are, with no copy per message.
  if (
    limits.maxBytes !== undefined &&
    limits.maxDepth !== undefined &&
    limits.maxItems !== undefined &&
    limits.maxIntegerDigits !== undefined &&
    limits.maxStringBytes !== undefined &&
    limits.maxNodes !== undefined
  ) {
    return limits as Readonly<Required<SyrupLimits>>;
  }
  return {
    maxBytes: limits.maxBytes ?? DEFAULT_SYRUP_LIMITS.maxBytes,
    maxDepth: limits.maxDepth ?? DEFAULT_SYRUP_LIMITS.maxDepth,
    maxItems: limits.maxItems ?? DEFAULT_SYRUP_LIMITS.maxItems,
    maxIntegerDigits: limits.maxIntegerDigits ?? DEFAULT_SYRUP_LIMITS.maxIntegerDigits,
    maxStringBytes: limits.maxStringBytes ?? DEFAULT_SYRUP_LIMITS.maxStringBytes,
    maxNodes: limits.maxNodes ?? DEFAULT_SYRUP_LIMITS.maxNodes,
  };
}
