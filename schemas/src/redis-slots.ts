import calculateSlot from 'cluster-key-slot';

/** Redis Cluster's hash slots: a key lives in the slot of its `{hash tag}`, or of the whole key. */
export const REDIS_SLOTS = 16_384;

export function slotOf(key: string): number {
  return calculateSlot(key);
}

let tags: string[] | undefined;

/**
 * One short hash tag per slot (`tags[s]` hashes to slot s), so that a key can be placed in the slot
 * of any other key: the epoch markers (redis-layout.ts) sit beside the data they vouch for, and a
 * script can read both. Found by counting upwards in base 36; the same table on every machine.
 */
export function slotTags(): readonly string[] {
  if (tags) return tags;
  const found: string[] = new Array(REDIS_SLOTS);
  let missing = REDIS_SLOTS;
  for (let n = 0; missing > 0; n++) {
    const tag = n.toString(36);
    const slot = calculateSlot(`{${tag}}`);
    if (found[slot] === undefined) {
      found[slot] = tag;
      missing -= 1;
    }
  }
  tags = found;
  return tags;
}
