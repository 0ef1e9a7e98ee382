/**
 * The built-in models: one list for Node and the browser. A new model is a
 * new folder under models/ plus its line here; the registry (and so the CLI,
 * the service, the lab and the conformance suite) picks it up from this list.
 */
import { definition as ae } from './ae/index.js';
import { definition as btcvae } from './btcvae/index.js';
import { definition as cae } from './cae/index.js';
import { definition as cvae } from './cvae/index.js';
import { definition as dae } from './dae/index.js';
import { definition as hvae } from './hvae/index.js';
import { definition as iwae } from './iwae/index.js';
import { definition as sae } from './sae/index.js';
import { definition as vae } from './vae/index.js';
import { definition as vamp } from './vamp/index.js';
import { definition as vqvae } from './vqvae/index.js';
import { definition as wae } from './wae/index.js';
import type { ModelDefinition } from './types.js';

export const BUILTIN_MODELS: readonly ModelDefinition[] = [vae, iwae, vamp, hvae, btcvae, ae, dae, sae, cae, cvae, wae, vqvae] as unknown as ModelDefinition[];
