/** IAM and resource policy documents. */
import { asArray, CfnProps } from './values';

/** The statements of a policy document (a single statement object is allowed by IAM). */
export function statementsOf(document: unknown): CfnProps[] {
  if (!document || typeof document !== 'object') return [];
  return asArray((document as CfnProps).Statement).filter((s) => s && typeof s === 'object');
}

/** True when the principal is everyone (`*` or `{ AWS: '*' }`). */
function isEveryone(principal: unknown): boolean {
  if (principal === '*') return true;
  return !!principal && typeof principal === 'object' && asArray((principal as CfnProps).AWS).includes('*');
}

/**
 * True when the document denies every principal when `aws:SecureTransport` is false, for an action that
 * `coversAction` accepts (e.g. `s3:*`).
 */
export function deniesInsecureTransport(document: unknown, coversAction: (action: string) => boolean): boolean {
  return statementsOf(document).some((s) => {
    if (s.Effect !== 'Deny' || !isEveryone(s.Principal)) return false;
    const secureTransport = s.Condition?.Bool?.['aws:SecureTransport'];
    if (secureTransport !== false && secureTransport !== 'false') return false;
    return asArray(s.Action).some((a) => typeof a === 'string' && coversAction(a));
  });
}
