import { LRUCache } from 'lru-cache';
import type { UserCounts } from '../contract.js';
import { HOUR, NEVER } from '../time.js';
import { dropBefore } from './buckets.js';

/** The kind of a sighting. */
export const LEGACY = 0;
export const PROVIDER = 1;
export type SightingKind = typeof LEGACY | typeof PROVIDER;

/** Per-user fields, in a `Float64Array` slab of `FIELDS` numbers per slot. */
const FL = 0;
const LL = 1;
const FP = 2;
const LP = 3;
const FIELDS = 4;

/** Counters of evicted users per hour bucket of their last sighting, for the upper-bound add-on. */
const EV_LEGACY = 0; // by last legacy sighting
const EV_PROVIDER = 1; // by last provider sighting
const EV_ACTIVE = 2; // by last sighting of any kind
const EV_LEGACY_ONLY = 3; // by last legacy sighting, never seen on the provider
const EV_MIGRATED = 4; // by first provider sighting, seen on legacy at or before it
const EV_FIELDS = 5;

/**
 * The users of the memory store: first and last sighting per kind (`fl`, `ll`, `fp`, `lp`) in a slab of times,
 * one slot per user, found through an LRU table ordered by last sighting. Past `maxUsers` the least recently
 * seen user is evicted; the table keeps the newest last sighting of any evicted user and, per hour, counters of
 * evicted users for the windows that reach back to them.
 */
export class UserTable {
  readonly #maxUsers: number;
  readonly #users: LRUCache<string, number>;
  /** `FIELDS` numbers per slot; grown by doubling up to `maxUsers + 1` slots. */
  #slab: Float64Array;
  #inUse: Uint8Array;
  readonly #freeSlots: number[] = [];
  #nextSlot = 0;
  /** Per hour bucket of the last sighting: counters of evicted users (`EV_*`). */
  readonly #evicted = new Map<number, Float64Array>();
  /** Newest last sighting of any evicted user, or NEVER. */
  #evictedUntil = NEVER;

  constructor(maxUsers: number) {
    this.#maxUsers = maxUsers;
    const initialSlots = Math.min(maxUsers + 1, 1024);
    this.#slab = new Float64Array(initialSlots * FIELDS);
    this.#inUse = new Uint8Array(initialSlots);
    this.#users = new LRUCache<string, number>({
      max: maxUsers,
      dispose: (slot, _id, reason) => this.#release(slot, reason),
    });
  }

  /** Records a sighting of user `id` at `t`; returns its previous last sighting of that kind, or NEVER. */
  sight(id: string, kind: SightingKind, t: number): number {
    let slot = this.#users.get(id);
    if (slot === undefined) slot = this.#create(id);
    const o = slot * FIELDS;
    const first = o + (kind === LEGACY ? FL : FP);
    const last = o + (kind === LEGACY ? LL : LP);
    const slab = this.#slab;
    const previous = slab[last]!;
    if (t > previous) slab[last] = t;
    if (slab[first] === NEVER || t < slab[first]!) slab[first] = t;
    return previous;
  }

  /**
   * Distinct users of windows starting at `starts`, and whether each reaches back to an evicted user (then the
   * evicted users counted in the hours that end after its start are added, see the store docs).
   */
  count(starts: readonly number[]): { users: UserCounts[]; approximate: boolean[] } {
    const n = starts.length;
    const users = Array.from({ length: n }, emptyUsers);

    const slab = this.#slab;
    for (let slot = 0; slot < this.#nextSlot; slot++) {
      if (this.#inUse[slot] === 0) continue;
      const o = slot * FIELDS;
      const fl = slab[o + FL]!;
      const ll = slab[o + LL]!;
      const fp = slab[o + FP]!;
      const lp = slab[o + LP]!;
      const last = Math.max(ll, lp);
      for (let w = 0; w < n; w++) {
        const start = starts[w]!;
        if (last < start) continue;
        const u = users[w]!;
        u.active++;
        if (ll >= start) {
          u.legacy++;
          if (fp === NEVER) u.legacyOnly++;
        }
        if (lp >= start) u.provider++;
        if (fl !== NEVER && fp >= start && fl <= fp) u.migrated++;
      }
    }

    const approximate = new Array<boolean>(n);
    for (let w = 0; w < n; w++) {
      const start = starts[w]!;
      const reachesEvicted = this.#evictedUntil !== NEVER && start <= this.#evictedUntil;
      approximate[w] = reachesEvicted;
      if (reachesEvicted) this.#addEvicted(users[w]!, start);
    }
    return { users, approximate };
  }

  /** Forgets the users last seen before `cutoff`, and the eviction counters past it. */
  prune(cutoff: number): void {
    // Users: from the least recently seen, stop at the first one still within the retention.
    const stale: string[] = [];
    for (const id of this.#users.rkeys()) {
      const o = this.#users.peek(id)! * FIELDS;
      if (Math.max(this.#slab[o + LL]!, this.#slab[o + LP]!) >= cutoff) break;
      stale.push(id);
    }
    for (const id of stale) this.#users.delete(id);
    dropBefore(this.#evicted, Math.floor(cutoff / HOUR) * HOUR - HOUR);
    if (this.#evictedUntil !== NEVER && this.#evictedUntil < cutoff) {
      // Every evicted user is past the retention: nothing is approximate any more.
      this.#evictedUntil = NEVER;
    }
  }

  clear(): void {
    this.#users.clear();
    this.#evicted.clear();
  }

  #create(id: string): number {
    // One spare slot beyond maxUsers: the set below may evict, and the eviction frees a slot.
    let slot = this.#freeSlots.pop();
    if (slot === undefined) {
      slot = this.#nextSlot++;
      if (slot >= this.#inUse.length) this.#grow();
    }
    const o = slot * FIELDS;
    this.#slab.fill(NEVER, o, o + FIELDS);
    this.#inUse[slot] = 1;
    this.#users.set(id, slot);
    return slot;
  }

  #grow(): void {
    const slots = Math.min(this.#inUse.length * 2, this.#maxUsers + 1);
    const slab = new Float64Array(slots * FIELDS);
    slab.set(this.#slab);
    this.#slab = slab;
    const inUse = new Uint8Array(slots);
    inUse.set(this.#inUse);
    this.#inUse = inUse;
  }

  /** lru-cache `dispose`: frees the slot; on eviction, keeps what the approximation needs. */
  #release(slot: number, reason: LRUCache.DisposeReason): void {
    if (reason === 'evict') {
      const o = slot * FIELDS;
      const slab = this.#slab;
      const fl = slab[o + FL]!;
      const ll = slab[o + LL]!;
      const fp = slab[o + FP]!;
      const lp = slab[o + LP]!;
      const last = Math.max(ll, lp);
      if (last > this.#evictedUntil) this.#evictedUntil = last;
      if (ll !== NEVER) {
        evictedBucket(this.#evicted, ll)[EV_LEGACY]!++;
        if (fp === NEVER) evictedBucket(this.#evicted, ll)[EV_LEGACY_ONLY]!++;
      }
      if (lp !== NEVER) evictedBucket(this.#evicted, lp)[EV_PROVIDER]!++;
      if (last !== NEVER) evictedBucket(this.#evicted, last)[EV_ACTIVE]!++;
      if (fl !== NEVER && fp !== NEVER && fl <= fp) evictedBucket(this.#evicted, fp)[EV_MIGRATED]!++;
    }
    this.#inUse[slot] = 0;
    this.#freeSlots.push(slot);
  }

  /** Adds the evicted users whose bucket ends after `start` (an upper bound for legacy/provider/active). */
  #addEvicted(users: UserCounts, start: number): void {
    for (const [hourStart, counts] of this.#evicted) {
      if (hourStart + HOUR <= start) continue;
      users.legacy += counts[EV_LEGACY]!;
      users.provider += counts[EV_PROVIDER]!;
      users.active += counts[EV_ACTIVE]!;
      users.legacyOnly += counts[EV_LEGACY_ONLY]!;
      users.migrated += counts[EV_MIGRATED]!;
    }
  }
}

function evictedBucket(buckets: Map<number, Float64Array>, t: number): Float64Array {
  const start = Math.floor(t / HOUR) * HOUR;
  let b = buckets.get(start);
  if (!b) {
    b = new Float64Array(EV_FIELDS);
    buckets.set(start, b);
  }
  return b;
}

function emptyUsers(): UserCounts {
  return { legacy: 0, provider: 0, active: 0, migrated: 0, legacyOnly: 0 };
}
