export * from './ELBTlsPolicy';
export * from './ELBHttpRedirectOnly';
export * from './S3DenyInsecureTransport';
export * from './SNSDenyInsecureTransport';
export * from './RDSForceSsl';
