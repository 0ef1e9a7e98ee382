import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { sweepLeftovers } from './atomic.js';

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('sweepLeftovers', () => {
  it("removes a dead process's temporaries, puts back a folder it had moved aside, and keeps a live process's", () => {
    const dir = tempDir();
    const dead = deadPid();
    const write = (name: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), name);
    };
    // Killed between moving checkpoint/ aside and moving the new one in: only the old copy exists.
    write(`checkpoint.old-${dead}-4/state.json`);
    write(`checkpoint.tmp-${dead}-5/state.json`);
    // Killed after the new model/ arrived, before the old one was removed.
    write('model/encoder/weights.bin');
    write(`model.old-${dead}-2/encoder/weights.bin`);
    write(`config.json.tmp-${dead}-1`);
    write(`samples/epoch-1-generated.png.tmp-${dead}-3`);
    write(`metrics.jsonl.tmp-${process.pid}-9`);
    sweepLeftovers(dir);
    expect(fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()).toEqual(
      ['checkpoint', 'checkpoint/state.json', `metrics.jsonl.tmp-${process.pid}-9`, 'model', 'model/encoder', 'model/encoder/weights.bin', 'samples'].sort(),
    );
    expect(fs.readFileSync(path.join(dir, 'checkpoint/state.json'), 'utf8')).toBe(`checkpoint.old-${dead}-4/state.json`);
  });
});
