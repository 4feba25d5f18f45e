/**
 * Compares two IAM policy documents by meaning, not by text: statement order, single-vs-list values, the order of
 * actions and principals, and `true` vs `"true"` in conditions do not matter. Returns the differences, one line each.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- policy documents are untyped JSON. */

function sortedList(value: unknown): unknown {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]).map(canonicalScalar);
  return [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function canonicalScalar(value: unknown): unknown {
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortedList((value as any)[k])]),
    );
  }
  return value;
}

/** One statement as a canonical string (every map key sorted, every list sorted, scalars as strings). */
export function canonicalStatement(statement: any): string {
  const principal =
    statement.Principal === '*'
      ? { AWS: ['*'] }
      : statement.Principal
        ? canonicalScalar(statement.Principal)
        : undefined;
  const notPrincipal = statement.NotPrincipal ? canonicalScalar(statement.NotPrincipal) : undefined;
  const condition = statement.Condition
    ? Object.fromEntries(
        Object.keys(statement.Condition)
          .sort()
          .map((op) => [op, canonicalScalar(statement.Condition[op])]),
      )
    : undefined;
  return JSON.stringify({
    Sid: statement.Sid ?? '',
    Effect: statement.Effect,
    Principal: principal,
    NotPrincipal: notPrincipal,
    Action: sortedList(statement.Action),
    NotAction: sortedList(statement.NotAction),
    Resource: sortedList(statement.Resource),
    NotResource: sortedList(statement.NotResource),
    Condition: condition,
  });
}

function statements(document: any): any[] {
  const s = document?.Statement;
  return s === undefined ? [] : Array.isArray(s) ? s : [s];
}

function describe(statement: any, index: number): string {
  return statement.Sid ? `statement "${statement.Sid}"` : `unnamed statement #${index + 1}`;
}

/** The differences between the expected and the actual policy (empty when they mean the same). */
export function comparePolicies(expected: unknown, actual: unknown): string[] {
  const want = statements(expected);
  const have = statements(actual);
  const haveCanonical = have.map(canonicalStatement);
  const wantCanonical = want.map(canonicalStatement);
  const problems: string[] = [];
  want.forEach((s, i) => {
    if (!haveCanonical.includes(wantCanonical[i])) {
      const sameSid = s.Sid ? have.find((h) => h.Sid === s.Sid) : undefined;
      problems.push(`${describe(s, i)} ${sameSid ? 'was changed' : 'is missing'}`);
    }
  });
  have.forEach((s, i) => {
    if (!wantCanonical.includes(haveCanonical[i]) && !(s.Sid && want.some((w) => w.Sid === s.Sid))) {
      problems.push(`${describe(s, i)} was added (${JSON.stringify(s.Action)} for ${JSON.stringify(s.Principal)})`);
    }
  });
  return problems;
}
