// CloudFormation's words for every template error selfless emits, each with where the phrasing was found.
//
// Sources, abbreviated below:
//   [AWS-snap]  LocalStack's snapshot files recorded against real AWS (tests/aws/services/cloudformation/**.snapshot.json)
//   [AWS-log]   the message quoted from a real CloudFormation response in a public issue, log or README
//   [Euca]      Eucalyptus's CloudFormation (clc/modules/cloudformation, TemplateParser.java, IntrinsicFunctions.java),
//               written to answer as AWS does
//   [Measured]  MiniStack's LanguageExtensions module, whose sentences are noted as measured on an account
//   [Ours]      no evidence found; worded after the closest documented message
import { TemplateError } from './errors.js';

const fmt = (m: string, path?: string): TemplateError => new TemplateError('FormatError', `Template format error: ${m}`, path);
const fn = (m: string, path?: string): TemplateError => new TemplateError('FunctionError', `Template error: ${m}`, path);
const list = (names: Iterable<string>): string => `[${[...names].join(', ')}]`;

export const M = {
  // --- template structure ---
  /** [AWS-snap] */
  noResources: () => fmt('At least one Resources member must be defined.', '/Resources'),
  /** [AWS-log] "Template format error: Number of resources, 501, is greater than maximum allowed, 500" */
  tooManyResources: (n: number) => fmt(`Number of resources, ${n}, is greater than maximum allowed, 500`, '/Resources'),
  /** [AWS-log] "Unrecognized resource types: [AWS::Lambda::MicrovmImage]", with the format prefix CloudFormation puts on template problems */
  unrecognizedResourceTypes: (types: string[]) => fmt(`Unrecognized resource types: ${list(types)}`),
  /** [AWS-snap] */
  resourceNotObject: (id: string) => fmt('Any Resources member must be an object.', `/Resources/${id}`),
  /** [AWS-snap] */
  resourceNoType: (id: string) => fmt(`[/Resources/${id}] Every Resources object must contain a Type member.`, `/Resources/${id}`),
  /** [AWS-snap] (no "Template format error:" prefix in the recorded answer) */
  invalidResourceProperty: (id: string, key: string) => new TemplateError('FormatError', `Invalid template resource property '${key}'`, `/Resources/${id}/${key}`),
  /** [AWS-snap] */
  resourceNameNotAlphanumeric: (id: string) => fmt(`Resource name ${id} is non alphanumeric.`, `/Resources/${id}`),
  /** [AWS-snap] */
  parameterNameNotAlphanumeric: (id: string) => fmt(`Parameter name ${id} is non alphanumeric.`, `/Parameters/${id}`),
  /** [AWS-log] amplify-cli: "Template format error: Outputs name 'amplify-custom-myApiUrl-value' is non alphanumeric." */
  outputNameNotAlphanumeric: (id: string) => fmt(`Outputs name '${id}' is non alphanumeric.`, `/Outputs/${id}`),
  /** [Euca] [AWS-log] ("Invalid template property or properties [esbuild]") */
  invalidTopLevel: (keys: string[]) => fmt(`Invalid template property or properties ${list(keys)}`),
  /** [Euca] */
  unsupportedVersion: () => fmt('unsupported value for AWSTemplateFormatVersion.', '/AWSTemplateFormatVersion'),
  /** [Euca] */
  dependsOnShape: (id: string) => fmt('DependsOn must be a string or list of strings.', `/Resources/${id}/DependsOn`),
  /** [Euca] */
  unknownDeletionPolicy: (policy: string, id: string) => fmt(`Unrecognized DeletionPolicy ${policy} for resource ${id}`, `/Resources/${id}/DeletionPolicy`),
  /** [Ours] after the DeletionPolicy message */
  unknownUpdateReplacePolicy: (policy: string, id: string) => fmt(`Unrecognized UpdateReplacePolicy ${policy} for resource ${id}`, `/Resources/${id}/UpdateReplacePolicy`),
  /** [AWS-snap] */
  outputNoValue: (id: string) => fmt('Every Outputs member must contain a Value object', `/Outputs/${id}`),
  /** [AWS-snap] (no prefix in the recorded answer) */
  nullValue: (path: string) => new TemplateError('FormatError', `[${path}] 'null' values are not allowed in templates`, path),
  /** [AWS-log] "Output PublicIp is malformed. The Name field of every Export member must be specified and consist only of alphanumeric characters, colons, or hyphens." */
  outputExportMalformed: (id: string) =>
    fmt(`Output ${id} is malformed. The Name field of every Export member must be specified and consist only of alphanumeric characters, colons, or hyphens.`, `/Outputs/${id}/Export`),
  /** [AWS-log] for `Value: !Ref Subnets` (a list parameter); also what an output that is AWS::NoValue gets */
  outputValueString: (id: string) => fmt('The Value field of every Outputs member must evaluate to a String.', `/Outputs/${id}/Value`),
  /** [AWS-log] (an aws-cdk user's FindInMap of a list) [Euca] */
  outputValueList: (id: string) => fmt('The Value field of every Outputs member must evaluate to a String and not a List.', `/Outputs/${id}/Value`),
  /** [AWS-log] [Euca] */
  outputValueMap: (id: string) => fmt('The Value field of every Outputs member must evaluate to a String and not a Map.', `/Outputs/${id}/Value`),
  /** [AWS-snap] "Every Mappings member A must be a map" */
  mappingNotMap: (key: string, path: string) => fmt(`Every Mappings member ${key} must be a map`, path),
  /** [AWS-snap] */
  mappingAttribute: (path: string) => fmt('Every Mappings attribute must be a String or a List.', path),

  // --- parameters (declarations) ---
  /** [Euca] [AWS-log] */
  parameterNoType: (id: string) => fmt('Every Parameters object must contain a Type member.', `/Parameters/${id}`),
  /** [AWS-log] the brief's example; Eucalyptus words it the same */
  unknownParameterType: (t: string, id: string) => fmt(`Unrecognized parameter type: ${t}`, `/Parameters/${id}/Type`),
  /** [AWS-log] "Template format error: Every Default member must be a string." */
  defaultNotString: (id: string) => fmt('Every Default member must be a string.', `/Parameters/${id}/Default`),
  /** [Euca] (its "AllowedValuesvalue" typo corrected) */
  allowedValueNotString: (id: string) => fmt('Every AllowedValues value must be a string.', `/Parameters/${id}/AllowedValues`),
  /** [Euca] */
  constraintWrongType: (id: string, key: string, required: string) => fmt(`Parameter '${id}' ${key} must be on a parameter of type ${required}`, `/Parameters/${id}/${key}`),
  /** [Euca] */
  badPattern: (id: string) => new TemplateError('FormatError', `Parameter '${id}' AllowedPattern must be a valid regular expression.`, `/Parameters/${id}/AllowedPattern`),

  // --- parameters (values) ---
  /** [AWS-log] the brief's example; [Euca] */
  parametersMustHaveValues: (names: string[]) => new TemplateError('ParameterError', `Parameters: ${list(names)} must have values`),
  /** [Euca]; [AWS-log] "Parameters: [Foo] do not exist in the template" */
  parametersDoNotExist: (names: string[]) => new TemplateError('ParameterError', `Parameters: ${list(names)} do not exist in the template`),
  /** [AWS-log] "Parameter 'Environment' must be one of AllowedValues" */
  notAllowedValue: (id: string) => new TemplateError('ParameterError', `Parameter '${id}' must be one of AllowedValues`),
  /** [AWS-snap] "Parameter 'Value' must be a number." */
  notANumber: (id: string) => new TemplateError('ParameterError', `Parameter '${id}' must be a number.`),
  /** [Euca] for the next five; AWS answers them without the "Template error:" prefix Eucalyptus adds, as it does AllowedValues */
  patternMismatch: (id: string, p: string) => new TemplateError('ParameterError', `Parameter '${id}' must match pattern ${p}`),
  tooShort: (id: string, n: number) => new TemplateError('ParameterError', `Parameter '${id}' must contain at least ${n} characters`),
  tooLong: (id: string, n: number) => new TemplateError('ParameterError', `Parameter '${id}' must contain at most ${n} characters`),
  tooSmall: (id: string, n: number) => new TemplateError('ParameterError', `Parameter '${id}' must be a number not less than ${n}`),
  tooBig: (id: string, n: number) => new TemplateError('ParameterError', `Parameter '${id}' must be a number not greater than ${n}`),
  /** [Euca] replaces the constraint's own message when the template gives a ConstraintDescription */
  constraintFailed: (id: string, d: string) => new TemplateError('ParameterError', `Parameter '${id}' failed to satisfy constraint: ${d}`),
  /** [AWS-log] "Unable to fetch parameters [/cdk-bootstrap/hnb659fds/version] from parameter store for this account." */
  ssmNotFound: (names: string[]) => new TemplateError('SsmParameterNotFound', `Unable to fetch parameters ${list(names)} from parameter store for this account.`),

  // --- references ---
  /** [AWS-snap] for both blocks */
  unresolvedResources: (names: Iterable<string>, block: 'Resources' | 'Outputs') =>
    fmt(`Unresolved resource dependencies ${list(names)} in the ${block} block of the template`),
  /** [AWS-log] [Euca] */
  getAttUndefined: (id: string) => fn(`instance of Fn::GetAtt references undefined resource ${id}`),
  /** [Euca] */
  subInvalidAttribute: (v: string) => fn(`instance of Fn::Sub references invalid resource attribute ${v}`),
  /** [AWS-log] "Template error: resource RequirementsLayerApp does not support attribute type Outputs in Fn::GetAtt" [Euca] */
  attributeNotSupported: (id: string, att: string) => fn(`resource ${id} does not support attribute type ${att} in Fn::GetAtt`),
  /** [AWS-log] "Circular dependency between resources: [VideosBucket, QueuePolicy]", with the format prefix as in the brief */
  circularResources: (ids: string[]) => new TemplateError('CircularDependency', `Template format error: Circular dependency between resources: ${list(ids)}`),
  /** [AWS-log] [Euca] */
  conditionReferencesResources: (names: string[]) =>
    fmt(`Unresolved dependencies ${list(names)}. Cannot reference resources in the Conditions block of the template`),
  /** [Euca] */
  unresolvedConditions: (names: string[], block: 'Conditions' | 'Resources' | 'Outputs') =>
    fmt(`Unresolved condition dependencies ${list(names)} in the ${block} block of the template`),
  /** [AWS-snap] "Template error: unresolved condition dependency MissingCondition in Fn::If" */
  unresolvedConditionInIf: (name: string) => fn(`unresolved condition dependency ${name} in Fn::If`),
  /** [Ours] the resource message's words for conditions (Eucalyptus: "Found circular condition dependency") */
  circularConditions: (names: string[]) => new TemplateError('CircularDependency', `Template format error: Circular dependency between conditions: ${list(names)}`),
  /** [AWS-log] "Template format error: Conditions can only be boolean operations on parameters and other conditions" */
  conditionNotBoolean: () => fmt('Conditions can only be boolean operations on parameters and other conditions'),

  // --- intrinsic function arguments ---
  /** [Euca] */
  refNotString: () => fn('All References must be of type string'),
  /** [AWS-snap] */
  getAttArgs: () => fn('every Fn::GetAtt object requires two non-empty parameters, the resource name and the resource attribute'),
  /** [AWS-snap] [Euca] */
  joinArgs: () =>
    fn('every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.'),
  /** [AWS-snap] */
  splitArgs: () =>
    fn('every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.'),
  /** [AWS-snap] */
  selectArgs: () => fn('Fn::Select requires a list argument with two elements: an integer index and a list'),
  /** [AWS-log] a raw CloudFormation event reason and LocalStack both have the two spaces after "Fn::Select" */
  selectIndex: (i: number | string) => fn(`Fn::Select  cannot select nonexistent value at index ${i}`),
  /** [AWS-log] [Euca] */
  findInMapArgs: () => fn('every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value'),
  /** [AWS-snap] [Euca] */
  mappingValueNotFound: (map: string, key: string, att: string) => fn(`Unable to get mapping for ${map}::${key}::${att}`),
  /** [Euca] */
  mappingNotFound: (map: string) => fn(`Mapping named '${map}' is not present in the 'Mappings' section of template`),
  /** [AWS-log] (LocalStack's validated tests quote it) [Euca] */
  subArgs: () =>
    fn("One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string"),
  /** [AWS-log] */
  subVariableName: () => fn('variable names in Fn::Sub syntax must contain only alphanumeric characters, underscores, periods, and colons'),
  /** [Euca] */
  subContextValue: () => fn('every value of the context object of every Fn::Sub object must be a string or a function that returns a string'),
  /** [Euca] */
  subVariableNotString: () => fn('every variable in an Fn::sub object must reference a string'),
  /** [Euca] both */
  ifArgs: () => fn('Fn::If requires a list argument with three elements'),
  ifCondition: () => fn('Fn::If requires a list argument with the first element being a condition'),
  /** [AWS-snap] */
  equalsArgs: () => fn('every Fn::Equals object requires a list of 2 string parameters.'),
  /** [Euca] */
  andOrArgs: (f: 'Fn::And' | 'Fn::Or') => fn(`every ${f} object requires a list of at least 2 and at most 10 boolean parameters.`),
  /** [Euca]; aws-cdk's template evaluator uses the same words */
  notArgs: () => fn('Fn::Not requires a list argument with one element'),
  /** [Euca] */
  conditionNotString: () => fn('All Conditions must be of type string'),
  /** [Euca] */
  base64Args: () => fn('every Fn::Base64 object must have a String-typed value.'),
  /** [Euca] */
  getAZsArgs: () => fn('every Fn::GetAZs object must have a String-typed value.'),
  /** [Ours] after the Fn::Base64 message */
  importValueArgs: () => fn('every Fn::ImportValue object must have a String-typed value.'),
  /** [AWS-log] "No export named <export-name>" (LocalStack's recorded change-set reason); AWS adds " found." in stack events */
  exportNotFound: (name: string) => new TemplateError('ExportNotFound', `No export named ${name} found.`),
  /** [Ours] the Fn::Cidr arguments (ipBlock, count 1-256, cidrBits) as documented */
  cidrArgs: () => fn('Fn::Cidr requires a list argument with three elements: an ipBlock, a count between 1 and 256 and a cidrBits value'),
  /** [Ours] */
  cidrBlock: (b: string) => fn(`Fn::Cidr ipBlock ${b} is not a valid CIDR block`),
  /** [Ours] */
  cidrFit: (count: number, bits: number, b: string) => fn(`Fn::Cidr cannot fit ${count} blocks with ${bits} CIDR bits in ${b}`),
  /** [Ours] */
  lengthArgs: () => fn('Fn::Length requires a list argument or a function that returns a list'),
  /** [Euca] (its list, brought up to date) */
  unsupportedFunction: (f: string) =>
    new TemplateError(
      'FunctionError',
      `Template Error: Encountered unsupported function: ${f} Supported functions are: [Fn::Base64, Fn::GetAtt, Fn::GetAZs, Fn::ImportValue, Fn::Join, Fn::Split, Fn::FindInMap, Fn::Select, Ref, Fn::Equals, Fn::If, Fn::Not, Condition, Fn::And, Fn::Or, Fn::Sub, Fn::Cidr, Fn::Length, Fn::ToJsonString]`,
    ),

  // --- AWS::LanguageExtensions ---
  /** [Measured] the transform's prefix and sentences */
  forEachLayout: () => new TemplateError('TransformError', 'Transform AWS::LanguageExtensions failed with: Fn::ForEach layout is incorrect'),
  forEachCollection: () => new TemplateError('TransformError', 'Transform AWS::LanguageExtensions failed with: Could not find a collection or could not be resolved for Fn::ForEach'),
  /** [Ours] with the transform's prefix */
  forEachDuplicate: (key: string) => new TemplateError('TransformError', `Transform AWS::LanguageExtensions failed with: Fn::ForEach produces ${key}, which the template already declares.`),
} as const;
