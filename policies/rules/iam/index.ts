export * from './IAMNoWildcardActions';
export * from './IAMNoAdminManagedPolicies';
