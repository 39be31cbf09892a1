import { z } from 'zod';

/**
 * A regional view's name: what `?region=` reads and what instance keys carry after `@`
 * (`all@EU`, `daily:2026-12-07@EU`). Upper case, so `eu` and `EU` are one region.
 */
export const REGION_CODE_PATTERN = /^[A-Z0-9_-]{1,32}$/;

export const regionCodeSchema = z
  .string()
  .regex(REGION_CODE_PATTERN, 'must be 1-32 characters of A-Z 0-9 _ - (upper case)');

/**
 * The regional view a profile's or an event's region puts a player in: the text upper-cased and
 * trimmed when that makes a region code, else none (a free-text region such as "North America"
 * is kept on the profile, and ranks nowhere).
 */
export function regionCodeOf(region: string | null | undefined): string | null {
  if (region == null) return null;
  const code = region.trim().toUpperCase();
  return REGION_CODE_PATTERN.test(code) ? code : null;
}

/** The instance of a regional view: the global instance's key and the region, `<key>@<region>`. */
export function regionalKey(periodKey: string, region: string): string {
  return `${periodKey}@${region}`;
}

/** The region an instance key names (`daily:2026-12-07@EU` → EU), or null for a global instance. */
export function regionOfKey(key: string): string | null {
  const at = key.lastIndexOf('@');
  return at < 0 ? null : key.slice(at + 1);
}

/** The global instance a key belongs to (`daily:2026-12-07@EU` → `daily:2026-12-07`). */
export function globalKeyOf(key: string): string {
  const at = key.lastIndexOf('@');
  return at < 0 ? key : key.slice(0, at);
}
