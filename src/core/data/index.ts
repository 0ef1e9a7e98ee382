/** Public API of the data layer: datasets, their sources and helpers. */
export type { Dataset, Split, TableInfo, Scaler } from './types.js';
export { featureSize } from './types.js';
export { parseIdx, encodeIdx, readIdxDataset, idxFileNames, findIdxFile, type IdxArray, type IdxKind, type ReadIdxOptions } from './idx.js';
export { generateSprites, renderSprite, SPRITE_SHAPES, SPRITE_FACTORS, SPRITE_SIZE, SPRITES_DEFAULT_SIZE, type SpriteParams, type SpriteShape, type SpritesOptions } from './sprites.js';
export { locateDataset, defaultCacheRoot, REMOTE_DATASETS, DATA_DIR_ENV, type LocateOptions, type RemoteDataset, type RemoteDatasetName } from '../../node/data/sources.js';
export { downloadVerified, md5Hex, type DownloadOptions } from '../../node/data/download.js';
export { loadDataset, binarize, takeFirst, DATASET_NAMES, IDX_PREFIX, BINARIZE_MODES, type BinarizeMode, type DatasetName, type LoadOptions } from './load.js';
export { mulberry32, deriveSeed } from './random.js';
export { selectClasses, parseClassList } from './select.js';
export {
  readCsvBatches,
  csvRecords,
  loadCsvSplits,
  loadCsvWithSchema,
  tableSchemaOf,
  parseCsvText,
  parseCell,
  CsvTokenizer,
  ColumnStats,
  fitScaler,
  applyScaler,
  inverseScaler,
  CSV_PREFIX,
  CSV_TEST_EVERY,
  SCALE_KINDS,
  type CsvBatch,
  type CsvRecord,
  type CsvTrainOptions,
  type ScaleKind,
  type TableSchema,
} from './csv/index.js';
