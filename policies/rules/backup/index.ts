export * from './RDSInBackupSelection';
export * from './S3PhiBucketInBackupSelection';
export * from './FixedNameRetainExceptOnCreate';
