/** The request schemas of every job, with the helpers that check a request against one. */
export { parseRequest, describeIssue, issueField, fieldErrorOf, checkedBy } from './validate.js';
export { described, count, engineFields, type FieldMeta } from './fields.js';
export { dataFields, dataSpec, trainingDataFields, SCALE_KINDS, type DataSpec as DataSpecInput } from './data.js';
export { trainRequestSchema, trainBaseFields, trainingFields, modelOptionFields, modelInputOf, TRAINING_KEYS, type TrainRequest, type TrainRequestInput } from './train.js';
export * from './jobs.js';
export { serveRequest, labRequest, RUN_NAME, type ServeRequest, type ServeLimits, type LabRequest } from './serve.js';
