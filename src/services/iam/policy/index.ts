// The module API of IAM's policy language: parse a policy document into a typed tree (refusing what IAM refuses,
// in IAM's words) and evaluate a request against the policies that apply, as AWS's evaluation logic documents it.
// Pure: no I/O, no clock (the request carries aws:CurrentTime).
export * from './types.js';
export { parsePolicy, policySize, policySizeError, POLICY_SIZE_LIMITS, type PolicySizeKind } from './parse.js';
export { evaluate } from './evaluate.js';
export { contextFor, denialMessage, principalIdentities } from './principal.js';
