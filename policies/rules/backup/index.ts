export * from './RDSInBackupSelection';
export * from './S3PhiBucketInBackupSelection';
