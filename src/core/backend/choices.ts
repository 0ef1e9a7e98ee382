/**
 * The TensorFlow.js backends latentkit can run on. `auto` takes the best one
 * the platform has: tensorflow (tfjs-node, when installed) then wasm then cpu
 * in Node; webgl then wasm then cpu in a browser.
 */
export const BACKEND_CHOICES = ['auto', 'wasm', 'cpu', 'webgl', 'tensorflow'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;
