/** The ARN partition of a concrete region, so policies carry plain strings auditors can read (no Fn::Join). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
