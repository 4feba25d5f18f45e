// Flat config: typescript-eslint recommended rules; Prettier owns formatting.
const eslint = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['cdk.out/**', 'node_modules/**', 'service/**', 'reports/**', '**/*.d.ts', '**/*.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
);
