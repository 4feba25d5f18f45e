export * from './CognitoMfaRequiredTotpOnly';
export * from './CognitoShortTokenValidity';
export * from './CognitoNoUnauthenticatedIdentities';
