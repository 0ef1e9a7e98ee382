import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

function tempName(target: string): string {
  counter += 1;
  return `${target}.tmp-${process.pid}-${counter}`;
}

/**
 * Write a file so that readers see either the old content or the new one,
 * never a half-written file: write to a temporary name, flush, then rename.
 */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tempName(target);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Replace a whole directory at once: `fill` writes into a fresh temporary
 * directory, which then takes the target's place. If the process dies between
 * the two renames, the previous content survives as `<target>.old-*`, which
 * {@link resolveDirectory} finds.
 */
export async function replaceDirectoryAtomic(target: string, fill: (dir: string) => Promise<void> | void): Promise<void> {
  const tmp = tempName(target);
  fs.mkdirSync(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const old = `${target}.old-${process.pid}-${++counter}`;
  const hadOld = fs.existsSync(target);
  if (hadOld) fs.renameSync(target, old);
  fs.renameSync(tmp, target);
  if (hadOld) fs.rmSync(old, { recursive: true, force: true });
}

/** The directory itself, or the copy an interrupted {@link replaceDirectoryAtomic} left behind. */
export function resolveDirectory(target: string): string | undefined {
  if (fs.existsSync(target)) return target;
  const parent = path.dirname(target);
  if (!fs.existsSync(parent)) return undefined;
  const base = path.basename(target);
  const leftovers = fs
    .readdirSync(parent)
    .filter((name) => name.startsWith(`${base}.old-`))
    .map((name) => path.join(parent, name));
  return leftovers[0];
}

/** Append one line (JSON Lines); a crash can at worst leave a partial last line, which readers skip. */
export function appendLine(target: string, line: string): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const fd = fs.openSync(target, 'a');
  try {
    fs.writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
