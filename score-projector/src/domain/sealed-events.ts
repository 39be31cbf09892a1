import { isMetadataJson, isSealed, openSealed, type ProfileEvent, type ScoreEvent } from '@rankstream/schemas';
import type { Candidate } from './batch-plan.js';

/** The users whose events in `events` carry sealed text (profile fields, score metadata): whose keys the batch needs. */
export function sealedEventUsers(events: readonly Candidate[]): string[] {
  const users = new Set<string>();
  for (const { decoded } of events) {
    if (decoded.kind === 'score') {
      if (isSealed(decoded.event.metadata)) users.add(decoded.event.userId);
      continue;
    }
    if (decoded.kind !== 'profile') continue;
    const { userId, username, imageUrl, region } = decoded.event;
    if (isSealed(username) || isSealed(imageUrl) || isSealed(region)) users.add(userId);
  }
  return [...users];
}

/**
 * The events with their sealed text opened. A profile that cannot be opened (its user was erased,
 * so the key is gone; or it was sealed with another key) is left out and counted: its user's data
 * is unreadable by design, and the erasure that deleted the key removes the profile anyway. A score
 * event whose metadata cannot be opened still counts, with no metadata (so no details), and is
 * counted too.
 */
export function openSealedEvents(
  events: readonly Candidate[],
  keys: ReadonlyMap<string, Buffer>,
): { events: Candidate[]; unreadable: number } {
  let unreadable = 0;
  const opened: Candidate[] = [];
  for (const candidate of events) {
    const { decoded } = candidate;
    if (decoded.kind === 'score') {
      const metadata = decoded.event.metadata;
      if (!isSealed(metadata)) {
        opened.push(candidate);
        continue;
      }
      const text = openText(keys.get(decoded.event.userId), decoded.event.userId, metadata);
      if (text === undefined) unreadable++;
      const event: ScoreEvent = { ...decoded.event, metadata: text ?? null };
      opened.push({ ...candidate, decoded: { kind: 'score', event } });
      continue;
    }
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

/** Sealed metadata opened, if it opens to what plain metadata may be. */
function openText(key: Buffer | undefined, userId: string, sealed: string): string | undefined {
  const text = key === undefined ? undefined : openSealed(key, userId, sealed);
  return text !== undefined && isMetadataJson(text) ? text : undefined;
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
