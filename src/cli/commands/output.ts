/** Writing what a job gave back: a picture for images (.png), rows for tables (.csv). */
import type { PictureOutput, RowsOutput } from '../../core/jobs/denoise.js';
import { FieldError } from '../../core/errors.js';
import { writeFileAtomic } from '../../node/files/atomic.js';
import { writePicture } from './context.js';

/** Write `output` to `out`, refusing an extension that does not fit it. */
export function writeOutput(out: string, output: PictureOutput | RowsOutput, dataset: string): void {
  const csv = out.toLowerCase().endsWith('.csv');
  if (output.kind === 'rows' && !csv) throw new FieldError('out', `${dataset} is a table; write its rows to a .csv file`);
  if (output.kind === 'picture' && csv) throw new FieldError('out', `${dataset} holds images; write the picture to a .png file`);
  if (output.kind === 'rows') writeFileAtomic(out, output.csv);
  else writePicture(out, output.picture);
}
