// AWS Signer's operations as IAM sees them: signing profiles and signing jobs. Source: Service Authorization
// Reference, "Actions, resources, and condition keys for AWS Signer" (list_awssigner.html: signing-profile
// `/signing-profiles/<name>`, signing-job `/signing-jobs/<id>`; StartSigningJob acts on the profile).
import type { Rule, RuleKit, ServiceRules } from './types.js';

const star: Rule = {};
const profile = (k: RuleKit): string[] => {
  const name = k.str('profileName');
  return name === undefined ? ['*'] : [k.arn('signer', `/signing-profiles/${name}`)];
};
const job = (k: RuleKit): string[] => {
  const id = k.str('jobId');
  return id === undefined ? ['*'] : [k.arn('signer', `/signing-jobs/${id}`)];
};

export const signerRules: ServiceRules = {
  prefix: 'signer',
  fallback: { resources: profile },
  ops: {
    ListSigningPlatforms: star,
    GetSigningPlatform: star,
    ListSigningProfiles: star,
    ListSigningJobs: star,
    GetRevocationStatus: star,
    SignPayload: { resources: profile },
    StartSigningJob: { resources: profile },
    DescribeSigningJob: { resources: job },
    RevokeSignature: { resources: job },
    ListTagsForResource: { resources: (k) => [k.str('resourceArn') ?? '*'] },
    TagResource: { resources: (k) => [k.str('resourceArn') ?? '*'] },
    UntagResource: { resources: (k) => [k.str('resourceArn') ?? '*'] },
  },
};
