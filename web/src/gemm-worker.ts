/**
 * A matrix-product helper of the lab's worker (see backend.ts): it runs the
 * core's helper loop on the shared memory it is sent, and never returns.
 * Imported from the core module itself rather than latentkit/browser, so
 * this worker's bundle is the loop alone.
 */
import { runGemmHelper, type GemmHelperInit } from '../../src/core/backend/gemm-helper';

self.onmessage = (event: MessageEvent<GemmHelperInit>) => runGemmHelper(event.data);
