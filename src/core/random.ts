import { createHash, hash } from "node:crypto";

/**
 * Seeded pseudo-random numbers. Every random choice in a run flows from one seed through
 * `Rng.fork(label)`, so adding a call or a vendor never changes another call's values.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  readonly seedText: string;

  constructor(seed: number | string) {
    this.seedText = String(seed);
    // the digest's bytes as characters ("binary" is latin1): the same words as reading them
    // from a Buffer, without allocating one
    const h = hash("sha256", this.seedText, "binary");
    this.a = wordLE(h, 0);
    this.b = wordLE(h, 4);
    this.c = wordLE(h, 8);
    this.d = wordLE(h, 12) | 1;
  }

  /** sfc32: small, fast, and good enough for simulation. Returns [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An independent stream derived from this seed and a label. */
  fork(label: string | number): Rng {
    return new Rng(`${this.seedText}/${label}`);
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  weighted<T>(items: readonly { weight: number; value: T }[]): T {
    const total = items.reduce((s, i) => s + i.weight, 0);
    let r = this.next() * total;
    for (const item of items) {
      r -= item.weight;
      if (r < 0) return item.value;
    }
    return items[items.length - 1]!.value;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  /** Standard normal variate (Box-Muller). */
  gaussian(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  hex(length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) s += HEX[Math.floor(this.next() * 16)]!;
    return s;
  }

  digits(length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) s += HEX[Math.floor(this.next() * 10)]!;
    return s;
  }

  /**
   * A random (version 4 layout) lowercase UUID: 32 hex draws, then one for the variant. The
   * generator is stepped inline, as `next()` would step it: each draw's top bits are the nibble
   * `Math.floor(next() * 16)` gives (two bits for the variant's `* 4`).
   */
  uuid(): string {
    let a = this.a >>> 0;
    let b = this.b >>> 0;
    let c = this.c >>> 0;
    let d = this.d >>> 0;
    const out = UUID_CODES;
    for (let i = 0; i <= 36; i++) {
      if (i === 8 || i === 13 || i === 18 || i === 23) continue; // the dashes
      let t = (a + b) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      d = (d + 1) | 0;
      t = (t + d) | 0;
      c = (c + t) | 0;
      a >>>= 0;
      b >>>= 0;
      c >>>= 0;
      d >>>= 0;
      if (i === 36)
        out[19] = VARIANT_CODES[t >>> 30]!; // the variant, drawn last
      else if (i === 14)
        out[i] = 0x34; // version 4, replacing its draw
      else if (i !== 19) out[i] = HEX_CODES[t >>> 28]!;
    }
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    return String.fromCharCode.apply(null, out);
  }
}

/** The little-endian 32-bit word at `at` of a latin1 string of bytes. */
function wordLE(bytes: string, at: number): number {
  return (
    (bytes.charCodeAt(at) |
      (bytes.charCodeAt(at + 1) << 8) |
      (bytes.charCodeAt(at + 2) << 16) |
      (bytes.charCodeAt(at + 3) << 24)) >>>
    0
  );
}

const HEX = "0123456789abcdef";
const HEX_CODES = Array.from(HEX, (ch) => ch.charCodeAt(0));
const VARIANT_CODES = Array.from("89ab", (ch) => ch.charCodeAt(0));
/** Scratch character codes of a UUID, dashes in place. */
const UUID_CODES: number[] = Array.from("00000000-0000-4000-8000-000000000000", (ch) => ch.charCodeAt(0));

/** A stable UUID for a name (version 5 layout over SHA-1), for directory entities. */
export function nameUuid(namespace: string, name: string): string {
  const h = createHash("sha1").update(`${namespace}\u0000${name}`).digest("hex").split("");
  h[12] = "5";
  h[16] = "89ab"[Number.parseInt(h[16] as string, 16) % 4] as string;
  const s = h.join("").slice(0, 32);
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** A fresh random seed for runs started without --seed. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
