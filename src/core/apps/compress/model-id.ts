/**
 * A short fingerprint of a trained model: SHA-256 of its config and of every
 * weight, truncated to 16 bytes. Codes only mean something to the model that
 * made them, so files holding codes (.lkz, search indexes) store it and
 * readers refuse a file from another model, or from the same run retrained.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Autoencoder } from '../../models/types.js';

export const MODEL_ID_BYTES = 16;

/** Keys sorted, so the fingerprint does not depend on property order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function modelId(model: Autoencoder): Uint8Array {
  const text = new TextEncoder();
  const hash = sha256.create();
  hash.update(text.encode(canonicalJson(model.config)));
  for (const name of Object.keys(model.networks).sort()) {
    hash.update(text.encode(name));
    // getWeights returns the variables themselves: read them, do not dispose.
    for (const w of model.networks[name]!.getWeights()) {
      const values = w.dataSync() as Float32Array;
      hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
  }
  return hash.digest().slice(0, MODEL_ID_BYTES);
}

export function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function hex(id: Uint8Array): string {
  return Array.from(id, (b) => b.toString(16).padStart(2, '0')).join('');
}
