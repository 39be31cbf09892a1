import type { ErrorDetail } from '@rankstream/schemas';

export interface Profile {
  userId: string;
  username: string;
  imageUrl: string | null;
  region: string | null;
}

/** Omitted fields keep their value; null clears one (username cannot be cleared). */
export interface ProfilePatch {
  username?: string | undefined;
  imageUrl?: string | null | undefined;
  region?: string | null | undefined;
}

export type MergeOutcome = { ok: true; profile: Profile } | { ok: false; details: ErrorDetail[] };

export function mergeProfile(userId: string, current: Profile | undefined, patch: ProfilePatch): MergeOutcome {
  const username = patch.username ?? current?.username;
  if (username === undefined) {
    return { ok: false, details: [{ path: 'username', message: 'is required: this user has no profile yet' }] };
  }
  return {
    ok: true,
    profile: {
      userId,
      username,
      imageUrl: patch.imageUrl === undefined ? (current?.imageUrl ?? null) : patch.imageUrl,
      region: patch.region === undefined ? (current?.region ?? null) : patch.region,
    },
  };
}
