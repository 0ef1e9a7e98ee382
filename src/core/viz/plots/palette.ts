/** An sRGB colour as three bytes. */
export type Rgb = readonly [number, number, number];

/**
 * Class colours, in order: Vega's `tableau10` scheme (ten distinct colours).
 * Class `k` is drawn in `CATEGORY_COLORS[k % CATEGORY_COLORS.length]`, so
 * with more than ten classes colours repeat.
 */
export const CATEGORY_COLORS: readonly Rgb[] = [
  [0x4c, 0x78, 0xa8],
  [0xf5, 0x85, 0x18],
  [0xe4, 0x57, 0x56],
  [0x72, 0xb7, 0xb2],
  [0x54, 0xa2, 0x4b],
  [0xee, 0xca, 0x3b],
  [0xb2, 0x79, 0xa2],
  [0xff, 0x9d, 0xa6],
  [0x9d, 0x75, 0x5d],
  [0xba, 0xb0, 0xac],
];

/** `#rrggbb` for an RGB triple. */
export function toHex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** The colour of class `k`. */
export function categoryColor(k: number): Rgb {
  return CATEGORY_COLORS[k % CATEGORY_COLORS.length];
}
