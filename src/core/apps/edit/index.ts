/** `latentkit edit` as a library: attribute vectors and latent arithmetic z + α·v. */
export { findAttribute, median, parseAttributeSpec, parseAttributeSpecs, splitValues, type Attribute, type AttributeMask, type AttributeSpec } from './attribute.js';
export { attributeVector, drawnArea, shiftCodes, type AttributeVector } from './vector.js';
export { DEFAULT_ALPHAS, editExamples, editImage, parseAlphas, type EditMeasure, type EditOptions, type EditResult } from './edit.js';
