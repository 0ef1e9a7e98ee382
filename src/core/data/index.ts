/** Public API of the data layer: datasets, their sources and helpers. */
export type { Dataset, PixelStore, Split, TableInfo, Scaler } from './types.js';
export { featureSize } from './types.js';
export { examplePixels, gatherRows, pixelRange, bytePixels, floatPixels, quantizePixels, selectPixels, bytesPerValue, BYTE_VALUES } from './pixels.js';
export { parseIdx, encodeIdx, idxDataset, idxFileNames, type IdxArray, type IdxFile, type IdxKind, type ReadIdxOptions } from './idx.js';
export { generateSprites, renderSprite, SPRITE_SHAPES, SPRITE_FACTORS, SPRITE_SIZE, SPRITES_DEFAULT_SIZE, type SpriteParams, type SpriteShape, type SpritesOptions } from './sprites.js';
export { generateShapes, renderShape, hsvToRgb, shapesSize, SHAPE_NAMES, SHAPES_FACTORS, SHAPES_SIZE, SHAPES_DEFAULT_SIZE, type ShapeParams, type ShapesOptions } from './shapes.js';
export { loadDataset, loadSplits, registerDatasetSource, datasetNames, binarize, takeFirst, BINARIZE_MODES, CLASS_NAMES, type BinarizeMode, type DatasetSource, type LoadOptions, type Splits } from './load.js';
export { trainingSplits, dataForRun, runTrainingSpec, type DataSpec, type LoadContext } from './spec.js';
export { makeBatch, forEachBatch, disposeBatch, BatchBuffer } from './batches.js';
export { mulberry32, deriveSeed } from './random.js';
export { selectClasses, parseClassList } from './select.js';
export { layoutImageFolder, pathHash, IMAGE_TEST_EVERY, type FolderImage, type FolderLayout } from './image-folder.js';
export {
  readCsvBatches,
  csvRecords,
  textSource,
  type TextSource,
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
