/**
 * Pillar P13: the engine, runtime and image versions the kit accepts, kept in ONE place.
 * Reviewed Nov 2026. Drop a version here when AWS announces the end of its standard support,
 * and the Pillars pack then flags every resource still on it.
 */

/** RDS for PostgreSQL majors still in RDS standard support (13 left it in Feb 2026). */
export const RDS_POSTGRES_SUPPORTED_MAJORS: readonly string[] = ['14', '15', '16', '17', '18'];

/** Engines the kit knows how to judge; any other engine is refused until it is listed here. */
export const SUPPORTED_DB_ENGINES: Readonly<Record<string, readonly string[]>> = {
  postgres: RDS_POSTGRES_SUPPORTED_MAJORS,
};

/** Lambda runtimes: Node.js LTS lines, plus the Python lines CDK's own helper functions may use. */
export const LAMBDA_SUPPORTED_RUNTIMES: readonly string[] = [
  'nodejs22.x',
  'nodejs24.x',
  'python3.12',
  'python3.13',
  'python3.14',
];

/**
 * AMIs are accepted only through AWS's public SSM parameters for Amazon Linux 2023 (plain and ECS-optimized),
 * so every launch picks up the current patched image. A literal `ami-...` cannot be proven to be AL2023.
 */
export const SUPPORTED_AMI_SSM_PARAMETER_PREFIXES: readonly string[] = [
  '/aws/service/ami-amazon-linux-latest/al2023-ami-',
  '/aws/service/ecs/optimized-ami/amazon-linux-2023/',
];
