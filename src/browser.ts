/**
 * latentkit for the browser: models, losses and metrics, with no file system.
 * Models are registered explicitly here (Node discovers them from the folder).
 * Choose a backend with TensorFlow.js itself (e.g. `tf.setBackend('wasm')`).
 */
import { registerModel } from './core/models/registry.js';
import { definition as ae } from './core/models/ae/index.js';
import { definition as cae } from './core/models/cae/index.js';
import { definition as cvae } from './core/models/cvae/index.js';
import { definition as dae } from './core/models/dae/index.js';
import { definition as sae } from './core/models/sae/index.js';
import { definition as vae } from './core/models/vae/index.js';

// Node finds model folders on disk (models/discover.ts); a bundle needs them named.
for (const definition of [ae, cae, cvae, dae, sae, vae]) registerModel(definition as never);

export { Rng } from './core/random.js';
export { UsageError } from './core/errors.js';
export * from './core/models/types.js';
export { registerModel, getModelDefinition, listModelNames, listModelDefinitions } from './core/models/registry.js';
export { Vae, reparameterize, betaAt, type VaeConfig } from './core/models/vae/index.js';
export { Ae, type AeConfig } from './core/models/ae/index.js';
export { PixelLogVariance } from './core/models/shared/layers.js';
export * as losses from './core/losses/index.js';
export * as metrics from './core/eval/metrics/index.js';
export { generateSprites } from './core/data/sprites.js';
export type { Dataset, Split } from './core/data/types.js';
// The wasm backend's faster kernels (SIMD matrix product, Adam, column sums, conv gradients) and
// read-back; products stay on one thread in a browser.
export { installLatentkitWasmKernels } from './core/backend/kernels/register.js';
export { installFastWasmRead } from './core/backend/wasm/read.js';
