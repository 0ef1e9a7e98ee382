/** latentkit search as a library: index a dataset's codes, find nearest neighbours, measure precision@k. */
export { decodeIndex, encodeIndex, INDEX_MAGIC, INDEX_VERSION, indexPath, type SearchIndex } from './index-file.js';
export { METRICS, NearestLists, nearest, nearestBatch, normalizeRows, type Metric, type Neighbors, type SearchOptions } from './knn.js';
export { buildIndex, checkIndexModel, compareSearch, encodeOne, hitsOf, precisionAtK, queryIndex, type SearchComparison, type SearchHit } from './search.js';
export { examplesOf, parseExampleNumbers, readCsvQueries, readQuery, type QueryInput } from './query.js';
