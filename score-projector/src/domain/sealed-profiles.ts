import { isSealed, openSealed, type ProfileEvent } from '@rankstream/schemas';
import type { Candidate } from './batch-plan.js';

/** The users whose profile events in `events` carry sealed fields: whose keys the batch needs. */
export function sealedProfileUsers(events: readonly Candidate[]): string[] {
  const users = new Set<string>();
  for (const { decoded } of events) {
    if (decoded.kind !== 'profile') continue;
    const { userId, username, imageUrl, region } = decoded.event;
    if (isSealed(username) || isSealed(imageUrl) || isSealed(region)) users.add(userId);
  }
  return [...users];
}

/**
 * The events with their profiles' sealed fields opened. A profile that cannot be opened (its user
 * was erased, so the key is gone; or it was sealed with another key) is left out and counted: its
 * user's data is unreadable by design, and the erasure that deleted the key removes the profile anyway.
 */
export function openSealedProfiles(
  events: readonly Candidate[],
  keys: ReadonlyMap<string, Buffer>,
): { events: Candidate[]; unreadable: number } {
  let unreadable = 0;
  const opened: Candidate[] = [];
  for (const candidate of events) {
    const { decoded } = candidate;
    if (decoded.kind !== 'profile') {
      opened.push(candidate);
      continue;
    }
    const event = openProfile(decoded.event, keys.get(decoded.event.userId));
    if (event === undefined) unreadable++;
    else opened.push(event === decoded.event ? candidate : { ...candidate, decoded: { kind: 'profile', event } });
  }
  return { events: opened, unreadable };
}

function openProfile(event: ProfileEvent, key: Buffer | undefined): ProfileEvent | undefined {
  const fields = [event.username, event.imageUrl, event.region];
  if (!fields.some(isSealed)) return event;
  if (key === undefined) return undefined;
  const open = (value: string | null): string | null | undefined =>
    value === null || !isSealed(value) ? value : openSealed(key, event.userId, value);
  const [username, imageUrl, region] = fields.map(open);
  if (typeof username !== 'string' || imageUrl === undefined || region === undefined) return undefined;
  return { ...event, username, imageUrl, region };
}
