// The template plugins SAM runs before translating resources: Globals and policy templates.
import type { TransformContext } from './context.js';
import { InvalidDocumentError } from './errors.js';
import { applyGlobals, parseGlobals } from './globals.js';
import { expandPolicyTemplates } from './policy-templates.js';
import type { TemplatePlugin } from './registry.js';
import { isObj, type JsonObject } from './types.js';

export const globalsPlugin: TemplatePlugin = {
  name: 'Globals',
  order: 50,
  beforeTransform(template: JsonObject) {
    let globals;
    try {
      globals = parseGlobals(template['Globals']);
    } catch (e) {
      throw new InvalidDocumentError([e as Error as never]);
    }
    const res = template['Resources'] as JsonObject;
    for (const [id, r] of Object.entries(res)) {
      if (!isObj(r) || typeof r['Type'] !== 'string' || !r['Type'].startsWith('AWS::Serverless::')) continue;
      applyGlobals(id, r, globals);
    }
    delete template['Globals'];
  },
};

/** Policy templates become statements before the Function/StateMachine translators see Policies. */
export const policyTemplatesPlugin: TemplatePlugin = {
  name: 'PolicyTemplates',
  order: 60,
  beforeTransform(template: JsonObject, ctx: TransformContext) {
    void ctx;
    const res = template['Resources'] as JsonObject;
    const errors: Error[] = [];
    for (const [id, r] of Object.entries(res)) {
      if (!isObj(r) || (r['Type'] !== 'AWS::Serverless::Function' && r['Type'] !== 'AWS::Serverless::StateMachine')) continue;
      const props = r['Properties'];
      if (!isObj(props)) continue;
      try {
        expandPolicyTemplates(id, props);
      } catch (e) {
        errors.push(e as Error);
      }
    }
    if (errors.length) throw new InvalidDocumentError(errors as never);
  },
};
