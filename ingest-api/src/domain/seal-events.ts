import { type AnyEventInput, sealText } from '@rankstream/schemas';

/** The users whose events carry personal text to seal: profiles, and score events with metadata. */
export function usersToSeal(events: readonly AnyEventInput[]): string[] {
  const users = new Set<string>();
  for (const e of events) {
    if (e.kind === 'profile' || (e.kind === 'score' && e.event.metadata != null)) users.add(e.event.userId);
  }
  return [...users];
}

/**
 * The events with their personal text sealed with each user's key (schemas' sealed-text.ts): a
 * profile's username, imageUrl and region, a score event's metadata. `newIv` gives 12 fresh random
 * bytes per value.
 */
export function sealEvents(
  events: readonly AnyEventInput[],
  keys: ReadonlyMap<string, Buffer>,
  newIv: () => Buffer,
): AnyEventInput[] {
  return events.map((e) => {
    if (e.kind === 'admin' || e.kind === 'board') return e;
    const key = keys.get(e.event.userId);
    if (e.kind === 'score') {
      const { metadata } = e.event;
      if (metadata == null) return e;
      if (!key) throw new Error(`no key for ${e.event.userId}`);
      return { kind: 'score', event: { ...e.event, metadata: sealText(key, e.event.userId, metadata, newIv()) } };
    }
    if (!key) throw new Error(`no key for ${e.event.userId}`);
    const seal = (text: string) => sealText(key, e.event.userId, text, newIv());
    const { username, imageUrl, region } = e.event;
    return {
      kind: 'profile',
      event: {
        ...e.event,
        username: seal(username),
        imageUrl: imageUrl == null ? null : seal(imageUrl),
        region: region == null ? null : seal(region),
      },
    };
  });
}
