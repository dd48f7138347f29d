// The AccessDenied message for a denied request, in AWS's words.
//
// Source: "Access denied error messages" (IAM User Guide, troubleshoot_access-denied.html): "User: <arn> is not
// authorized to perform: <action> on resource: <resource> because no identity-based policy allows the <action>
// action", "… with an explicit deny in an identity-based policy", "… in a resource-based policy", "… because no
// resource-based policy allows …", "… because no permissions boundary allows …", "… because no session policy
// allows …"; the documented examples leave out "on resource: …" when the action has no resource
// ("is not authorized to perform: codecommit:ListRepositories because no identity-based policy allows …").
import type { AuthzRequest, Decision } from './types.js';

const EXPLICIT: Record<Decision['by'], string> = {
  identity: 'with an explicit deny in an identity-based policy',
  resource: 'with an explicit deny in a resource-based policy',
  boundary: 'with an explicit deny in a permissions boundary',
  session: 'with an explicit deny in a session policy',
  none: 'with an explicit deny',
};

const IMPLICIT: Record<Decision['by'], string> = {
  identity: 'because no identity-based policy allows',
  resource: 'because no resource-based policy allows',
  boundary: 'because no permissions boundary allows',
  session: 'because no session policy allows',
  none: 'because no identity-based policy allows',
};

/** The message AWS answers with for a denied request (for an allowed one, the same sentence without a reason). */
export function denialMessage(req: AuthzRequest, decision: Decision): string {
  const head = `User: ${req.caller.arn} is not authorized to perform: ${req.action}${req.resource && req.resource !== '*' ? ` on resource: ${req.resource}` : ''}`;
  if (decision.effect === 'ExplicitDeny') return `${head} ${EXPLICIT[decision.by]}`;
  if (decision.effect === 'ImplicitDeny') return `${head} ${IMPLICIT[decision.by]} the ${req.action} action`;
  return head;
}
