/** CSV tables as datasets: parsing, scaling, streaming and loading. */
export { CsvTokenizer, parseCsvText, parseCell, type CsvRecord } from './parse.js';
export { ColumnStats, fitScaler, applyScaler, inverseScaler, SCALE_KINDS, type ScaleKind } from './scaler.js';
export { tableSchemaOf, layoutForTraining, layoutForSchema, type TableSchema, type HeaderLayout } from './schema.js';
export { csvRecords, readCsvBatches, textSource, type CsvBatch, type TextSource } from './stream.js';
export { loadCsvSplits, loadCsvWithSchema, labelClasses, csvPath, CSV_PREFIX, CSV_TEST_EVERY, type CsvTrainOptions } from './table.js';
