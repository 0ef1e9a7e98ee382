/**
 * Save and load tfjs-layers networks as `model.json` + `weights.bin` in a
 * folder, the format `tf.loadLayersModel(url)` reads in a browser. Node has no
 * file handler without tfjs-node, so this is ours.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UsageError } from '../../core/errors.js';
import { writeFileAtomic } from './atomic.js';

const WEIGHTS_FILE = 'weights.bin';

function toBytes(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** Write `model` into `dir` (created if needed); each file atomically, weights first. */
export async function saveNetwork(model: tfl.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData ? toBytes(artifacts.weightData) : new Uint8Array();
      const manifest: tf.io.WeightsManifestConfig = [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }];
      const json: tf.io.ModelJSON = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology as {},
        weightsManifest: manifest,
      };
      writeFileAtomic(path.join(dir, WEIGHTS_FILE), weights);
      writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

function readModelJson(file: string): tf.io.ModelJSON {
  if (!fs.existsSync(file)) throw new UsageError(`missing model file ${file}`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as tf.io.ModelJSON;
  } catch {
    throw new UsageError(`corrupt model file ${file} (not valid JSON)`);
  }
}

/** Load a network saved by {@link saveNetwork} (or any single-shard-group tfjs layers model). */
export async function loadNetwork(dir: string): Promise<tfl.LayersModel> {
  const json = readModelJson(path.join(dir, 'model.json'));
  const handler: tf.io.IOHandler = {
    load: async () =>
      tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = manifest.flatMap((group) => group.paths).map((p) => {
          const file = path.join(dir, p);
          if (!fs.existsSync(file)) throw new UsageError(`missing weights file ${file}`);
          const bytes = fs.readFileSync(file);
          return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        });
        const data = tf.io.CompositeArrayBuffer.join(buffers);
        const expected = specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
        if (data.byteLength !== expected) throw new UsageError(`weights in ${dir} are ${data.byteLength} bytes, expected ${expected} (truncated or corrupt)`);
        return [specs, data];
      }),
  };
  return tfl.loadLayersModel(handler);
}
