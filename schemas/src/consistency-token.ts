/**
 * A consistencyToken names, per partition of the events topic, the offset the projection must have
 * passed for a write to be visible. Clients treat it as opaque; it is "v1." + base64url(JSON).
 */
export interface ConsistencyRequirement {
  topic: string;
  /** partition -> next offset that must be projected (last acknowledged offset + 1). */
  offsets: Record<number, number>;
}

export function encodeConsistencyToken(req: ConsistencyRequirement): string {
  return `v1.${Buffer.from(JSON.stringify({ t: req.topic, o: req.offsets })).toString('base64url')}`;
}

export function decodeConsistencyToken(token: string): ConsistencyRequirement | undefined {
  if (!token.startsWith('v1.')) return undefined;
  try {
    const raw = JSON.parse(Buffer.from(token.slice(3), 'base64url').toString('utf8')) as unknown;
    if (typeof raw !== 'object' || raw === null) return undefined;
    const { t, o } = raw as { t?: unknown; o?: unknown };
    if (typeof t !== 'string' || typeof o !== 'object' || o === null) return undefined;
    const offsets: Record<number, number> = {};
    for (const [p, off] of Object.entries(o)) {
      const partition = Number(p);
      if (!Number.isSafeInteger(partition) || partition < 0 || !Number.isSafeInteger(off) || (off as number) < 0) {
        return undefined;
      }
      offsets[partition] = off as number;
    }
    return { topic: t, offsets };
  } catch {
    return undefined;
  }
}

/** Several writes' tokens combine into one requirement: the highest offset per partition. */
export function mergeConsistencyRequirements(reqs: readonly ConsistencyRequirement[]): ConsistencyRequirement[] {
  const byTopic = new Map<string, Record<number, number>>();
  for (const r of reqs) {
    const acc = byTopic.get(r.topic) ?? {};
    for (const [p, off] of Object.entries(r.offsets)) acc[Number(p)] = Math.max(acc[Number(p)] ?? 0, off);
    byTopic.set(r.topic, acc);
  }
  return [...byTopic].map(([topic, offsets]) => ({ topic, offsets }));
}
