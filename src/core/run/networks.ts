/**
 * A network as the two files of TensorFlow.js's layers format, `model.json`
 * and `weights.bin` (what `tf.loadLayersModel(url)` reads in a browser), in
 * memory: where they are stored is the platform's business.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UsageError } from '../errors.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

export interface NetworkFiles {
  /** The text of model.json. */
  modelJson: string;
  /** The bytes of weights.bin. */
  weights: Uint8Array;
}

/** The files of `model`. */
export async function networkFiles(model: tfl.LayersModel): Promise<NetworkFiles> {
  let files: NetworkFiles | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData ? new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData)) : new Uint8Array();
      const json: tf.io.ModelJSON = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology as {},
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      files = { modelJson: JSON.stringify(json), weights };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return files!;
}

/** A weights group of model.json as latentkit writes it: file paths, and float32 weights of whole-number shapes. */
function isWeightGroup(group: unknown): boolean {
  const g = group as tf.io.WeightsManifestConfig[number] | null;
  if (typeof g !== 'object' || g === null || !Array.isArray(g.paths) || !g.paths.every((p: unknown) => typeof p === 'string') || !Array.isArray(g.weights)) return false;
  return g.weights.every((w: tf.io.WeightsManifestEntry) => typeof w === 'object' && w !== null && typeof w.name === 'string' && /^[\w./-]+$/.test(w.name) && w.dtype === 'float32' && w.quantization === undefined && Array.isArray(w.shape) && w.shape.every((d: number) => Number.isInteger(d) && d >= 0));
}

/**
 * A model that fails to load after its layers were built leaves their
 * variables registered; dispose the ones created since `known`. (Loading is
 * awaited one network at a time, so no other load registers variables meanwhile.)
 */
function disposeVariablesSince(known: ReadonlySet<string>): void {
  for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) if (!known.has(name)) variable.dispose();
}

/**
 * Load a network from its model.json text; `read` returns the bytes of a
 * weights file the manifest names (undefined when missing). `where` names
 * the network in messages.
 *
 * @throws UsageError for invalid JSON, a missing weights file, or weights of
 *   the wrong size (truncated or corrupt)
 */
export async function loadNetworkFiles(modelJson: string, read: (path: string) => Promise<Uint8Array | undefined>, where: string): Promise<tfl.LayersModel> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(modelJson) as tf.io.ModelJSON;
  } catch {
    throw new UsageError(`corrupt model file ${where}/${MODEL_FILE} (not valid JSON)`);
  }
  if (typeof json !== 'object' || json === null || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new UsageError(`corrupt model file ${where}/${MODEL_FILE} (not a TensorFlow.js layers model)`);
  }
  // TensorFlow.js decodes weights one by one and leaves those it made when a later one is malformed.
  if (!json.weightsManifest.every(isWeightGroup)) throw new UsageError(`corrupt model file ${where}/${MODEL_FILE} (a weight's name, shape or dtype is malformed)`);
  const handler: tf.io.IOHandler = {
    load: async () =>
      tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers: ArrayBuffer[] = [];
        for (const p of manifest.flatMap((group) => group.paths)) {
          const bytes = await read(p);
          if (!bytes) throw new UsageError(`missing weights file ${where}/${p}`);
          buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        }
        const data = tf.io.CompositeArrayBuffer.join(buffers);
        const expected = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
        if (data.byteLength !== expected) throw new UsageError(`weights in ${where} are ${data.byteLength} bytes, expected ${expected} (truncated or corrupt)`);
        return [specs, data];
      }),
  };
  const known = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    return await tfl.loadLayersModel(handler);
  } catch (err) {
    disposeVariablesSince(known);
    if (err instanceof UsageError) throw err;
    throw new UsageError(`corrupt model in ${where}: ${(err as Error).message.split('\n')[0]}`);
  }
}
