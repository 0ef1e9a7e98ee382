/**
 * Every job latentkit does, as a plain function of a typed request and a
 * context (core/requests/ holds the schemas). The CLI, the service and the
 * lab call these; they differ only in the context they pass and in what
 * they do with the result.
 */
export { memoryContext, openRun, withRun, type JobContext, type JobProgress, type OpenedRun } from './context.js';
export { trainJob, resumeJob, createModel, parseTrainRequest, type TrainJobOptions, type TrainJobResult, type ResumeOptions } from './train.js';
export { sampleJob, reconstructJob, type SampleResult, type ReconstructResult } from './images.js';
export { encodeJob, codesCsv, codesTable, type EncodeResult } from './encode.js';
export { evalJob, flattenEvaluation, type EvalResult } from './evaluate.js';
export { plotJob, IMAGE_KINDS, type PlotKind, type PlotResult } from './plot.js';
export { reportJob, type ReportResult } from './report.js';
export { detectFitJob, detectScoreJob, type DetectFitResult } from './detect.js';
export { denoiseJob, imputeJob, type DenoiseJobResult, type ImputeJobResult, type PictureOutput, type RowsOutput } from './denoise.js';
export { searchIndexJob, searchQueryJob, searchEvaluateJob, hitsPicture, readIndex, type Hit, type IndexResult, type QueryResult, type SearchEvaluation } from './search.js';
export { compressJob, decompressJob, type CompressResult, type DecompressResult } from './compress.js';
export { interpolateJob, editJob, type InterpolateJobResult, type EditJobResult } from './latent.js';
