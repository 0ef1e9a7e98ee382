import { UsageError } from '../../errors.js';
import type { CommandRun } from '../options.js';

// Placeholder until the command lands.
export const run: CommandRun = async () => {
  throw new UsageError('latentkit plot is not available yet');
};
