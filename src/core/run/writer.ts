/**
 * The run writer: training hooks that keep a run's files up to date, on any
 * RunStore. At the start the initial weights and a checkpoint (so even a run
 * stopped in its first epoch resumes); after each epoch a checkpoint, a line
 * of metrics, the model and two pictures; on an early stop the latest weights
 * and a checkpoint that continues the unfinished epoch where it stopped; with
 * early stopping, at the end the model of the best epoch.
 */
import type { Dataset } from '../data/types.js';
import type { Autoencoder } from '../models/types.js';
import type { TrainHooks } from '../train/trainer.js';
import { encodePng } from '../viz/grid.js';
import { reconstructionsImage, samplesImage } from '../viz/figures/images.js';
import { saveCheckpoint } from './checkpoint.js';
import { appendMetrics, RUN_FILES, saveModel } from './run.js';
import type { RunStore } from './store.js';

export interface RunWriterOptions {
  /** Seed of the fixed z decoded into each epoch's samples picture. */
  seed: number;
  /** Draw the per-epoch pictures (default true). */
  pictures?: boolean;
}

/** Pictures of progress: a fixed z decoded every epoch, and the first test images reconstructed. */
async function writePictures(store: RunStore, model: Autoencoder, test: Dataset, epoch: number, seed: number): Promise<void> {
  const folder = RUN_FILES.samples;
  if (model.generative) await store.write(`${folder}/epoch-${epoch}-generated.png`, encodePng(samplesImage(model, { n: 64, seed })));
  await store.write(`${folder}/epoch-${epoch}-reconstructed.png`, encodePng(reconstructionsImage(model, test, 8)));
}

export function runWriter(store: RunStore, options: RunWriterOptions): TrainHooks {
  return {
    async started({ model, optimizer, state }) {
      if (state.epochsCompleted > 0 || state.partial) return; // a resumed run already has both
      await saveCheckpoint(store, model, optimizer, state);
      await saveModel(store, model);
    },
    async epochEnd({ metrics, model, optimizer, state, testSet }) {
      // Checkpoint before the metrics line: on resume, lines past the checkpoint are dropped, and a line lost after it comes back from it.
      await saveCheckpoint(store, model, optimizer, state, metrics);
      await appendMetrics(store, metrics);
      await saveModel(store, model);
      if (options.pictures !== false) await writePictures(store, model, testSet, state.epochsCompleted, options.seed);
    },
    async stopped({ model, optimizer, state }) {
      await saveCheckpoint(store, model, optimizer, state);
      await saveModel(store, model);
    },
    // The run's model becomes the best epoch's; the checkpoint keeps the latest state, to resume from.
    async restored({ model }) {
      await saveModel(store, model);
    },
  };
}
