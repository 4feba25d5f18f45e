import { globMatch } from '../../../policies/rules/helpers/backup-selection';

test('globMatch treats only * as a wildcard', () => {
  expect(globMatch('db:*', 'db:kit-postgres')).toBe(true);
  expect(globMatch('db:kit.postgres', 'db:kit-postgres')).toBe(false);
});
