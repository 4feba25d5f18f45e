export * from './CloudTrailHardened';
export * from './S3PhiBucketDataEvents';
export * from './LogGroupAuditRetention';
export * from './S3AuditBucketObjectLock';
