/** `latentkit interpolate` as a library: decode the latent path between two examples. */
export { interpolateExamples, interpolateImage, meanStepChange, type InterpolateOptions, type InterpolateResult } from './interpolate.js';
