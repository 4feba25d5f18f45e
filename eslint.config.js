// Flat config: typescript-eslint recommended rules; Prettier owns formatting.
const eslint = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  {
    ignores: [
      'cdk.out/**',
      'node_modules/**',
      'service/node_modules/**',
      'service/dist/**',
      'service/certs/**',
      'reports/**',
      '**/*.d.ts',
      '**/*.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  // service/ drops fields before a reply with a rest pattern (const { reason: _reason, ...summary } = row): the
  // omitted names are unused on purpose.
  {
    files: ['service/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }] },
  },
  // service tests and benchmarks assert on untyped JSON replies field by field.
  { files: ['service/test/**/*.ts', 'service/bench/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
