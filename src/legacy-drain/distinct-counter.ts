/**
 * Counts distinct strings in bounded memory: each string is kept as a 53-bit hash in an open-addressing table
 * (a `Float64Array`, 16 bytes per entry at most), never as the string itself.
 *
 * Exact (up to hash collisions: below one in 10,000 at a million values) while at most `max` distinct values
 * were added. Past `max` it switches to adaptive sampling (Flajolet's "distinct sampling"): only hashes below a
 * threshold are kept, the threshold halves whenever the table is full again, and the count is the kept entries
 * times 2^level: an estimate with a relative standard error of about `1 / sqrt(max)` (0.1 % for 1,000,000).
 * The table then holds at most `max` entries: 16 MB for the default 1,000,000.
 */

/** 2^53: hashes are whole numbers below it. */
const HASH_RANGE = 2 ** 53;
const INITIAL_SLOTS = 1024;

/**
 * A 53-bit string hash (cyrb53, public domain): two 32-bit lanes mixed with Murmur-style multiplications. Not
 * cryptographic; only for counting. Never 0 (0 marks an empty slot).
 */
export function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return hash === 0 ? 1 : hash;
}

export class DistinctCounter {
  readonly #max: number;
  #slots = new Float64Array(INITIAL_SLOTS);
  #size = 0;
  /** Sampling level: hashes at or above `HASH_RANGE / 2^level` are not kept. 0 while exact. */
  #level = 0;
  #threshold = HASH_RANGE;

  /** `max`: the most distinct values counted exactly (and the most entries ever held). Default 1,000,000. */
  constructor(max = 1_000_000) {
    this.#max = max;
  }

  /**
   * Adds a value. False when it was added before; true when it is new, or, once sampling, when it is not among
   * the sampled values (then the counter cannot tell: see `approximate`).
   */
  add(value: string): boolean {
    const hash = hash53(value);
    if (hash >= this.#threshold) return true;
    if (!this.#insert(hash)) return false;
    this.#size++;
    if (this.#size > this.#max) this.#sample();
    else if (this.#size * 2 > this.#slots.length) this.#resize(this.#slots.length * 2);
    return true;
  }

  /** Distinct values added: exact while not `approximate`, else an estimate. */
  get count(): number {
    return this.#level === 0 ? this.#size : Math.round(this.#size * 2 ** this.#level);
  }

  /** True once more than `max` distinct values were added: `count` is an estimate. */
  get approximate(): boolean {
    return this.#level > 0;
  }

  /** Inserts a hash; false when it is already there. */
  #insert(hash: number): boolean {
    const slots = this.#slots;
    const mask = slots.length - 1;
    // The low 32 bits index the table (sampling keeps low hashes by their high bits, so these stay uniform).
    let i = hash & mask;
    for (;;) {
      const slot = slots[i]!;
      if (slot === 0) {
        slots[i] = hash;
        return true;
      }
      if (slot === hash) return false;
      i = (i + 1) & mask;
    }
  }

  #resize(length: number): void {
    const old = this.#slots;
    this.#slots = new Float64Array(length);
    for (const hash of old) {
      if (hash !== 0 && hash < this.#threshold) this.#insert(hash);
    }
  }

  /** Halves the threshold until the kept entries fit in `max` again. */
  #sample(): void {
    while (this.#size > this.#max) {
      this.#level++;
      this.#threshold = HASH_RANGE / 2 ** this.#level;
      let kept = 0;
      for (const hash of this.#slots) if (hash !== 0 && hash < this.#threshold) kept++;
      this.#size = kept;
    }
    this.#resize(this.#slots.length);
  }
}
