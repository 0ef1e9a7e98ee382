import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors.js';
import { tempDir } from '../../../../test/helpers.js';
import { parseCell, parseCsvText } from './parse.js';
import { ColumnStats, fitScaler, applyScaler, inverseScaler } from './scaler.js';
import { fileTextSource } from '../../../node/files/text.js';
import { readCsvBatches } from './stream.js';
import { labelClasses, loadCsvSplits, loadCsvWithSchema } from './table.js';
import { bytesPerValue, pixelRange } from '../pixels.js';

function writeCsv(text: string): string {
  const file = path.join(tempDir('latentkit-csv-'), 'table.csv');
  fs.writeFileSync(file, text);
  return file;
}

describe('CSV tokenizer', () => {
  it('reads quoted fields with escaped quotes, commas and newlines inside, and CRLF line ends', () => {
    const records = parseCsvText('a,b,c\r\n"x, y","say ""hi""",3\r\n"two\nlines",,4\r\n');
    expect(records.map((r) => r.fields)).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', '3'],
      ['two\nlines', '', '4'],
    ]);
    // The third record starts on line 3; its quoted newline makes the file 4 lines long.
    expect(records.map((r) => r.line)).toEqual([1, 2, 3]);
  });

  it('gives the same records whatever the chunk boundaries', async () => {
    const text = 'a,b\n"1,5",2\n\n3,"4"""\n5,6';
    const whole = parseCsvText(text);
    const { CsvTokenizer } = await import('./parse.js');
    const pieces: typeof whole = [];
    const t = new CsvTokenizer((r) => pieces.push(r));
    for (const c of text) t.push(c);
    t.end();
    expect(pieces).toEqual(whole);
    expect(whole.map((r) => r.line)).toEqual([1, 2, 4, 5]); // the blank line 3 is skipped
  });

  it('flags text after a closing quote and an unterminated quote', () => {
    expect(parseCsvText('"a"b,c\n')[0]!.error).toMatch(/after the closing quote/);
    expect(parseCsvText('x\n"open\n')[1]!.error).toMatch(/never closed/);
  });

  it('reads empty cells and NaN as missing and refuses text', () => {
    expect(parseCell('')).toBeNaN();
    expect(parseCell(' NaN ')).toBeNaN();
    expect(parseCell('nan')).toBeNaN();
    expect(parseCell(' -1.5e3 ')).toBe(-1500);
    expect(parseCell('abc')).toBeUndefined();
    expect(parseCell('Infinity')).toBeUndefined();
    expect(parseCell('0x10')).toBeUndefined();
  });
});

describe('scaler', () => {
  const rows = [
    [1, 10],
    [2, NaN],
    [3, 30],
    [6, 40],
  ];
  const stats = new ColumnStats(2);
  rows.forEach((r) => stats.add(r));

  it('standard: population mean and standard deviation of the present values (hand-computed)', () => {
    const s = fitScaler('standard', stats, ['a', 'b']);
    // a: mean 3, deviations -2,-1,0,3 -> variance 14/4; b: mean 80/3 over 3 values.
    expect(s.offset[0]).toBeCloseTo(3, 12);
    expect(s.scale[0]).toBeCloseTo(Math.sqrt(14 / 4), 12);
    const mb = 80 / 3;
    expect(s.offset[1]).toBeCloseTo(mb, 12);
    expect(s.scale[1]).toBeCloseTo(Math.sqrt(((10 - mb) ** 2 + (30 - mb) ** 2 + (40 - mb) ** 2) / 3), 12);
  });

  it('minmax maps the training range onto [0, 1]; a constant column gets scale 1', () => {
    const s = fitScaler('minmax', stats, ['a', 'b']);
    expect(s.offset).toEqual([1, 10]);
    expect(s.scale).toEqual([5, 30]);
    const c = new ColumnStats(1);
    c.add([7]);
    c.add([7]);
    expect(fitScaler('standard', c, ['k']).scale).toEqual([1]);
  });

  it('fills missing entries with the training mean, marks them, and inverts back to raw units', () => {
    const s = fitScaler('standard', stats, ['a', 'b']);
    const raw = rows.flat();
    const out = new Float32Array(raw.length);
    const missing = new Uint8Array(raw.length);
    applyScaler(s, raw, out, missing);
    expect(Array.from(missing)).toEqual([0, 0, 0, 1, 0, 0, 0, 0]);
    expect(out[3]).toBeCloseTo(0, 6); // the mean scales to 0
    const back = inverseScaler(s, out);
    raw.forEach((v, i) => expect(back[i]).toBeCloseTo(Number.isNaN(v) ? 80 / 3 : v, 4));
  });

  it('refuses a column with no value in the training rows', () => {
    const e = new ColumnStats(1);
    e.add([NaN]);
    expect(() => fitScaler('standard', e, ['empty'])).toThrow(/ignoreColumns should list column 'empty': it has no values/);
    expect(() => fitScaler('robust' as 'standard', stats, ['a', 'b'])).toThrow(UsageError);
  });
});

describe('labels', () => {
  it('keeps non-negative integers, maps other values to sorted classes with names', () => {
    expect(Array.from(labelClasses(['2', '0', '2']).labels)).toEqual([2, 0, 2]);
    expect(labelClasses(['2', '0']).numClasses).toBe(3);
    const named = labelClasses(['dog', 'cat', 'dog']);
    expect(named.labelValues).toEqual(['cat', 'dog']);
    expect(Array.from(named.labels)).toEqual([1, 0, 1]);
    expect(labelClasses(['1', '-1', '10']).labelValues).toEqual(['-1', '1', '10']);
  });
});

/** n rows: x = i, y = 2i (+ a label i % 3), every 5th x missing. */
function table(n: number, label = true): string {
  const lines = [label ? 'x,y,label' : 'x,y'];
  for (let i = 1; i <= n; i++) lines.push(`${i % 5 === 0 ? '' : i},${2 * i}${label ? `,${i % 3}` : ''}`);
  return `${lines.join('\n')}\n`;
}

describe('loading a CSV file', () => {
  it('holds out every 10th data row and fits the scaler on the training rows only', async () => {
    const file = writeCsv(table(40));
    const { trainSet, testSet, schema } = await loadCsvSplits(`csv:${file}`, fileTextSource(file), { labelColumn: 'label' });
    expect(trainSet.n).toBe(36);
    expect(testSet.n).toBe(4);
    expect(Array.from(testSet.table!.lines!)).toEqual([11, 21, 31, 41]); // rows 10, 20, 30, 40 (line 1 is the header)
    expect(trainSet.shape).toEqual([1, 2, 1]);
    expect(schema.columns).toEqual(['x', 'y']);
    const ys = Array.from({ length: 40 }, (_, i) => 2 * (i + 1)).filter((_, i) => (i + 1) % 10 !== 0);
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    expect(schema.scaler.offset[1]).toBeCloseTo(mean, 9);
    expect(trainSet.numClasses).toBe(3);
    expect(Array.from(trainSet.labels.slice(0, 4))).toEqual([1, 2, 0, 1]);
    // Row 5 has x missing: marked, and filled with the scaled mean (0).
    expect(trainSet.table!.missing[4 * 2]).toBe(1);
    expect(pixelRange(trainSet)[4 * 2]).toBeCloseTo(0, 6);
  });

  it('minmax maps the training rows onto [0, 1] (a test row may fall outside)', async () => {
    const file = writeCsv(table(20, false));
    const { trainSet, testSet, schema } = await loadCsvSplits(`csv:${file}`, fileTextSource(file), { scale: 'minmax' });
    expect(schema.scaler.kind).toBe('minmax');
    // y = 2i over training rows i = 1..19 without 10: min 2, max 38.
    expect(schema.scaler.offset[1]).toBe(2);
    expect(schema.scaler.scale[1]).toBe(36);
    expect(bytesPerValue(trainSet)).toBe(4); // tables keep float32
    expect(Math.min(...pixelRange(trainSet))).toBe(0);
    expect(Math.max(...pixelRange(trainSet))).toBe(1);
    expect(pixelRange(testSet)[2 * 1 + 1]).toBeCloseTo((40 - 2) / 36, 6); // row 20: y = 40 > the training max
  });

  it('applies --classes before --limit', async () => {
    const file = writeCsv(table(60));
    const { trainSet, testSet } = await loadCsvSplits(`csv:${file}`, fileTextSource(file), { labelColumn: 'label', classes: [1], limit: 5 });
    expect(Array.from(trainSet.labels)).toEqual([1, 1, 1, 1, 1]);
    // Rows 1, 4, 7, 13, 16 (lines 2, 5, ...): row 10 has label 1 too but is a test row.
    expect(Array.from(trainSet.table!.lines!)).toEqual([2, 5, 8, 14, 17]);
    expect(Array.from(testSet.labels).every((l) => l === 1)).toBe(true);
    await expect(loadCsvSplits(`csv:${file}`, fileTextSource(file), { labelColumn: 'label', classes: [3] })).rejects.toThrow('class 3 is not a class of');
  });

  it('refuses bad rows naming each line and why', async () => {
    const file = writeCsv('a,b,age\n1,2,3\n4,5\n6,7,abc\n"8",9,10\n1,2,3,4\n');
    const err = await loadCsvSplits(`csv:${file}`, fileTextSource(file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `${file}: 3 bad rows: line 3: 2 fields, expected 3; line 4: column 'age' is 'abc', not a number; line 6: 4 fields, expected 3 (ignore text columns with ignore-columns)`,
    );
  });

  it('drops --ignore-columns and refuses unknown columns', async () => {
    const file = writeCsv('id,x,y\nA,1,2\nB,3,4\n');
    await expect(loadCsvSplits(`csv:${file}`, fileTextSource(file), { ignoreColumns: ['nope'] })).rejects.toThrow(/has no column 'nope'/);
    await expect(loadCsvSplits(`csv:${file}`, fileTextSource(file), { ignoreColumns: ['id'] })).rejects.toThrow(/2 data rows; training needs at least 10/);
  });

  it('reads every row with a saved schema; a missing column is a clear error', async () => {
    const file = writeCsv(table(30));
    const { schema } = await loadCsvSplits(`csv:${file}`, fileTextSource(file), { labelColumn: 'label' });
    const all = await loadCsvWithSchema(`csv:${file}`, fileTextSource(file), schema);
    expect(all.n).toBe(30);
    expect(all.table!.labelColumn).toBe('label');
    const other = writeCsv('y,label,extra\n1,0,5\n');
    await expect(loadCsvWithSchema(`csv:${other}`, fileTextSource(other), schema)).rejects.toThrow(/lacks column 'x' that the run was trained on/);
    const unlabeledFile = writeCsv(table(7, false));
    const unlabeled = await loadCsvWithSchema(`csv:${unlabeledFile}`, fileTextSource(unlabeledFile), schema);
    expect(unlabeled.n).toBe(7);
    expect(Array.from(unlabeled.labels)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('readCsvBatches', () => {
  it('streams batches whose rows match the whole-file load', async () => {
    const file = writeCsv(table(25));
    const { schema } = await loadCsvSplits(`csv:${file}`, fileTextSource(file), { labelColumn: 'label' });
    const all = await loadCsvWithSchema(`csv:${file}`, fileTextSource(file), schema);
    const batches = [];
    for await (const b of readCsvBatches(fileTextSource(file), schema, 10)) batches.push(b);
    expect(batches.map((b) => b.n)).toEqual([10, 10, 5]);
    expect(batches.map((b) => b.firstLine)).toEqual([2, 12, 22]);
    expect(Array.from(batches[1]!.x)).toEqual(Array.from(pixelRange(all).slice(20, 40)));
    expect(Array.from(batches[2]!.labels!)).toEqual(Array.from(all.labels.slice(20)));
  });

  it('streams a file larger than its heap and counts rows exactly', () => {
    // 1,000,000 rows (~34 MB of text) read in a process whose old space is capped at 24 MB:
    // holding the text or the rows would not fit, streaming holds one batch.
    const rows = 1_000_000;
    const dir = tempDir('latentkit-csv-big-');
    const file = path.join(dir, 'big.csv');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, 'a,b,c,d,e,f\n');
    for (let start = 0; start < rows; start += 10_000) {
      const chunk: string[] = [];
      for (let i = start; i < start + 10_000; i++) chunk.push(`${i},${i % 7},${(i * 0.5).toFixed(1)},,${-i},1.25\n`);
      fs.writeSync(fd, chunk.join(''));
    }
    fs.closeSync(fd);
    const dist = path.resolve(__dirname, '../../../../dist');
    const script = `
      import { readCsvBatches } from '${dist}/core/data/csv/stream.js';
      import { fileTextSource } from '${dist}/node/files/text.js';
      const scaler = { kind: 'standard', offset: [0, 0, 0, 0, 0, 0], scale: [1, 1, 1, 1, 1, 1], mean: [0, 0, 0, 0, 0, 0] };
      const schema = { columns: ['a', 'b', 'c', 'd', 'e', 'f'], ignoreColumns: [], scaler };
      let n = 0, sumA = 0, missing = 0;
      for await (const b of readCsvBatches(fileTextSource(${JSON.stringify(file)}), schema, 2048)) {
        n += b.n;
        for (let i = 0; i < b.n; i++) sumA += b.x[i * 6];
        for (const m of b.missing) missing += m;
      }
      console.log(JSON.stringify({ n, sumA, missing }));`;
    const r = spawnSync(process.execPath, ['--max-old-space-size=24', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr.slice(-1000)).toBe(0);
    // Σ a = Σ i, exact in float64 (the values are integers below 2^24, exact in float32 too).
    expect(JSON.parse(r.stdout)).toEqual({ n: rows, sumA: (rows * (rows - 1)) / 2, missing: rows });
    fs.rmSync(dir, { recursive: true });
  }, 120_000);
});
