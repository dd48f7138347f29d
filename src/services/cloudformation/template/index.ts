// The template language's module API: parse a tree into a model, validate it, prepare and evaluate a stack.
export { TemplateError, ErrorList, isTemplateError, TEMPLATE_ERROR_CODES, type TemplateErrorCode } from './errors.js';
export { M as messages } from './messages.js';
export { parseModel, isObj, type Json, type JsonObject, type Template, type ResourceDecl, type OutputDecl, type Mapping } from './model.js';
export {
  parseParameterType,
  resolveParameters,
  checkValue,
  splitList,
  type ParameterDecl,
  type ParameterType,
  type ParameterValue,
  type ResolvedParameters,
  type SsmResolver,
} from './parameters.js';
export { NO_VALUE, partitionOf, urlSuffixOf, availabilityZones, pseudoValue, placeholderStack, isPseudo, PSEUDO_PARAMETERS, type StackContext, type NoValue } from './pseudo.js';
export { cidr } from './cidr.js';
export { evaluate, evaluateCondition, functionOf, type EvalScope, type Resolvers, type Value, type Block } from './intrinsics.js';
export { parseSub, subVariables, type SubPart, type SubVariable } from './sub.js';
export { collectReferences, type Reference } from './refs.js';
export { checkConditions, evaluateConditions } from './conditions.js';
export { buildGraph, type DependencyGraph, type GraphOptions } from './graph.js';
export { expandForEach, usesForEach, LANGUAGE_EXTENSIONS } from './foreach.js';
export {
  prepareStack,
  evaluateResource,
  evaluateOutputs,
  scopeOf,
  checkTemplate,
  type PrepareOptions,
  type PreparedStack,
  type EvaluatedResource,
  type EvaluatedOutput,
} from './prepare.js';
export { validateTemplate, type ValidateOptions, type ValidateResult, type ValidateTemplateOutput } from './validate.js';
export { requiredCapabilities, templateSummary, unknownTypes, type TemplateSummary, type ValidateParameter, type CapabilityNeeds } from './summary.js';
