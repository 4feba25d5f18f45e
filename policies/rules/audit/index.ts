export * from './CloudTrailHardened';
export * from './S3PhiBucketDataEvents';
export * from './LogGroupAuditRetention';
export * from './S3AuditBucketObjectLock';
export * from './S3BucketDataEvents';
export * from './AlarmTopicAcceptsCloudWatch';
