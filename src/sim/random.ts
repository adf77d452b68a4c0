// A small seeded PRNG (mulberry32) so a scenario replays the same fleet and the same quirks.
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  hex(n: number): string {
    return this.alnum(n, '0123456789ABCDEF');
  }
  /** Built from char codes in one go: a string grown char by char is a rope of ~32-byte nodes
   * until flattened, which for 10,000 devices' UDIDs, tokens and magics is megabytes. */
  alnum(n: number, alphabet = '0123456789BCDFGHJKLMNPQRSTVWXYZ'): string {
    const codes = new Array<number>(n);
    for (let i = 0; i < n; i++) codes[i] = alphabet.charCodeAt(Math.floor(this.next() * alphabet.length));
    return String.fromCharCode(...codes);
  }
}

/** A per-device seed derived from the scenario seed and the device's index. */
export const deviceSeed = (seed: number, index: number): number => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;

/** A sequential copy of a string built by concatenation (a rope costs ~32 bytes a piece until
 * flattened); for the few strings every device keeps, built once. */
export const flat = (s: string): string => (s.length < 13 ? s : Buffer.from(s, 'latin1').toString('latin1'));
