/** `latentkit detect` as a library: per-example anomaly scores, a calibrated threshold, and a detector file in the run folder. */
export { codeDistances, createScorer, defaultBatchSize, fitCodeDensity, fitScoreSettings, reconMeasureFor, resolveScoreSettings, scoreDataset, DEFAULT_SAMPLES, SCORE_KINDS, type ReconMeasure, type CodeDensity, type ScoreKind, type ScoreSettings } from './scores.js';
export { flagAnomalies, quantileOf, thresholdRule, DEFAULT_CONTAMINATION, type ThresholdRule } from './threshold.js';
export { calibrateDetector, DETECTOR_FILE, readDetector, writeDetector, DETECTOR_FORMAT, DETECTOR_FORMAT_VERSION, type DetectorFile } from './detector.js';
export { anomalyTruth, parseAnomalyLabels, summarizeDetection, type DetectionSummary } from './summary.js';
export { scoreCsvRows, type CsvScoreOptions, type CsvTruth } from './csv.js';
export { detectorEpochs, detectorRecipe, isSmallData, DETECTOR_MAX_STEPS, DETECTOR_PATIENCE_STEPS, DETECTOR_VALIDATION, type DetectorRecipe, detectorTrainingRequest, DETECTOR_MIN_EPOCHS, DETECTOR_MIN_STEPS, DETECTOR_MODEL_DEFAULTS } from './recipe.js';
export { pcaScores, type PcaRows } from './pca.js';
