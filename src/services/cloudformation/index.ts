// The CloudFormation service's module API: template parsing and the SAM transform, and the stacks service.
export { parseTemplate, readTemplate, TemplateFormatError, type Json, type JsonObject, type ReadTemplate } from './template/parse.js';
export { transformSam } from './sam/transform.js';
export { InvalidDocumentError, SamError, InvalidResourceError, InvalidEventError, InvalidTemplateError, sortedDocumentMessage } from './sam/errors.js';
export type { TransformOptions, CfnResource, Generated } from './sam/types.js';
export { Registry, type ResourceTranslator, type EventTranslator, type TemplatePlugin, type SamEvent, type Phase } from './sam/registry.js';
export { buildRegistry, defaultRegistry } from './sam/default-registry.js';
export type { ApplicationResolver } from './sam/resources/application.js';
export type { TransformContext } from './sam/context.js';
export { cloudformationService } from './service.js';
