/**
 * latentkit for the browser: models, losses and metrics, with no file system.
 * Models are registered explicitly here (Node discovers them from the folder).
 * Choose a backend with TensorFlow.js itself (e.g. `tf.setBackend('wasm')`).
 */
import { registerModel } from './models/registry.js';
import { definition as ae } from './models/ae/index.js';
import { definition as cae } from './models/cae/index.js';
import { definition as cvae } from './models/cvae/index.js';
import { definition as dae } from './models/dae/index.js';
import { definition as sae } from './models/sae/index.js';
import { definition as vae } from './models/vae/index.js';

// Node finds model folders on disk (models/discover.ts); a bundle needs them named.
for (const definition of [ae, cae, cvae, dae, sae, vae]) registerModel(definition as never);

export { Rng } from './random.js';
export { UsageError } from './errors.js';
export * from './models/types.js';
export { registerModel, getModelDefinition, listModelNames, listModelDefinitions } from './models/registry.js';
export { Vae, reparameterize, betaAt, type VaeConfig } from './models/vae/index.js';
export { Ae, type AeConfig } from './models/ae/index.js';
export { PixelLogVariance } from './models/shared/layers.js';
export * as losses from './losses/index.js';
export * as metrics from './eval/metrics/index.js';
export { generateSprites } from './data/sprites.js';
export type { Dataset, Split } from './data/types.js';
// The wasm backend's faster kernels (SIMD matrix product, Adam, column sums, conv gradients) and
// read-back; products stay on one thread in a browser.
export { installLatentkitWasmKernels } from './backend/kernels/register.js';
export { installFastWasmRead } from './backend/wasm/read.js';
