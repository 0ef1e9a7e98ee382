// Placeholder so the option table builds; replaced by the real command (issue 5).
import { UsageError } from '../../errors.js';
import type { CommandRun } from '../options.js';

export const run: CommandRun = async () => {
  throw new UsageError('latentkit denoise is not built yet');
};
