export * from './IAMNoWildcardActions';
export * from './IAMNoAdminManagedPolicies';
export * from './IAMNoInlinePolicies';
