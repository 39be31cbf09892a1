import { hash } from 'node:crypto';

/** A ledger entry: the 16-byte key of (userId, eventId), then the event's log time in seconds (uint32 BE). */
export const ENTRY_BYTES = 20;
const KEY_BYTES = 16;

/**
 * The ledger key of an event. Deduplication is per user: the same eventId sent for two users is two
 * events. MD5 is used as a fixed-width fingerprint, not for secrecy; a false match needs a second
 * preimage of another user's key, and by chance is about n²/2¹²⁹ for n keys.
 */
export function ledgerKey(userId: string, eventId: string): Buffer {
  return hash('md5', `${userId}\u0000${eventId}`, 'buffer');
}

/**
 * A Kafka timestamp (ms) as the ledger's log time in whole seconds, within what 4 bytes hold. Kafka
 * lets a producer set any timestamp (-1 included, or microseconds by mistake); such an event still
 * counts once, at the nearest time the ledger can store.
 */
export function logSeconds(timestampMs: number): number {
  const seconds = Math.floor(timestampMs / 1000);
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), MAX_SECONDS) : 0;
}

/** The largest storable log time: stored times are seconds + 1 in a uint32 (0 marks an empty slot). */
const MAX_SECONDS = 0xffff_fffe;

/** Packs keys and their log times (seconds) into the bytes a ledger row stores. */
export function encodeEntries(entries: readonly { key: Buffer; seconds: number }[]): Buffer {
  const out = Buffer.allocUnsafe(entries.length * ENTRY_BYTES);
  let at = 0;
  for (const { key, seconds } of entries) {
    key.copy(out, at, 0, KEY_BYTES);
    out.writeUInt32BE(seconds, at + KEY_BYTES);
    at += ENTRY_BYTES;
  }
  return out;
}

/**
 * The eventIds of one ledger shard in memory: an open-addressing hash table over typed arrays (about
 * 40 bytes per event at the table's load, and nothing for the garbage collector to trace), mapping
 * each key to the newest log time it was recorded at.
 */
export class EventIdIndex {
  #words: Uint32Array;
  /** Seconds + 1; 0 marks an empty slot. */
  #times: Uint32Array;
  #mask: number;
  #size = 0;

  constructor(capacity = 1024) {
    let slots = 1024;
    while (slots < capacity * 2) slots *= 2;
    this.#words = new Uint32Array(slots * 4);
    this.#times = new Uint32Array(slots);
    this.#mask = slots - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** The log time (seconds) the key was last recorded at, or -1. `at`: where the key starts in `bytes`. */
  timeOf(bytes: Buffer, at = 0): number {
    const slot = this.#find(bytes, at);
    const t = this.#times[slot] as number;
    return t === 0 ? -1 : t - 1;
  }

  /** Records the key at `seconds` (a later record of the same key replaces the time). */
  set(bytes: Buffer, at: number, seconds: number): void {
    const slot = this.#find(bytes, at);
    if (this.#times[slot] === 0) {
      const w = slot * 4;
      this.#words[w] = bytes.readUInt32BE(at);
      this.#words[w + 1] = bytes.readUInt32BE(at + 4);
      this.#words[w + 2] = bytes.readUInt32BE(at + 8);
      this.#words[w + 3] = bytes.readUInt32BE(at + 12);
      this.#size++;
    }
    this.#times[slot] = seconds + 1;
    if (this.#size * 2 > this.#times.length) this.#resize(this.#times.length * 2, 0);
  }

  /** Adds the entries of a ledger row (encodeEntries' layout), in order. */
  addEntries(entries: Buffer): void {
    for (let at = 0; at + ENTRY_BYTES <= entries.length; at += ENTRY_BYTES) {
      this.set(entries, at, entries.readUInt32BE(at + KEY_BYTES));
    }
  }

  /** Drops every key last recorded before `seconds`. */
  retainSince(seconds: number): void {
    this.#resize(this.#times.length, seconds + 1);
  }

  #find(bytes: Buffer, at: number): number {
    const w0 = bytes.readUInt32BE(at);
    const w1 = bytes.readUInt32BE(at + 4);
    const w2 = bytes.readUInt32BE(at + 8);
    const w3 = bytes.readUInt32BE(at + 12);
    // The key is uniformly distributed already: its first word is a good slot number.
    let slot = w0 & this.#mask;
    for (;;) {
      if (this.#times[slot] === 0) return slot;
      const w = slot * 4;
      if (
        this.#words[w] === w0 &&
        this.#words[w + 1] === w1 &&
        this.#words[w + 2] === w2 &&
        this.#words[w + 3] === w3
      ) {
        return slot;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** Rebuilds into `slots` slots, keeping entries whose stored time is at least `minStored`. */
  #resize(slots: number, minStored: number): void {
    const words = this.#words;
    const times = this.#times;
    this.#words = new Uint32Array(slots * 4);
    this.#times = new Uint32Array(slots);
    this.#mask = slots - 1;
    this.#size = 0;
    const key = Buffer.allocUnsafe(KEY_BYTES);
    for (let slot = 0; slot < times.length; slot++) {
      const t = times[slot] as number;
      if (t === 0 || t < minStored) continue;
      for (let i = 0; i < 4; i++) key.writeUInt32BE(words[slot * 4 + i] as number, i * 4);
      const to = this.#find(key, 0);
      this.#words.set(words.subarray(slot * 4, slot * 4 + 4), to * 4);
      this.#times[to] = t;
      this.#size++;
    }
  }
}
