import { SCORE_EVENT_NAME, subjectFor } from '@rankstream/schemas';

const CACHE_MS = 5_000;

/**
 * Asks the schema registry, read-only, whether it knows the events topic's score-event subject. A
 * registry that was wiped or pointed at the wrong storage answers "unknown schema id" for every
 * message; dead-lettering them all would silently drop the whole log, so an unknown id only counts as
 * poison while the registry demonstrably holds our subjects. Nothing here registers anything.
 */
export function createRegistryProbe(registryUrl: string, topic: string) {
  const url = `${registryUrl.replace(/\/$/, '')}/subjects/${encodeURIComponent(subjectFor(topic, SCORE_EVENT_NAME))}/versions/latest`;
  let known: { at: number; value: boolean } | undefined;
  return {
    async knowsEventSubjects(): Promise<boolean> {
      if (known && Date.now() - known.at < CACHE_MS) return known.value;
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await res.body?.cancel();
      if (res.status !== 200 && res.status !== 404) throw new Error(`schema registry answered ${res.status}`);
      known = { at: Date.now(), value: res.status === 200 };
      return known.value;
    },
  };
}

export type RegistryProbe = ReturnType<typeof createRegistryProbe>;
