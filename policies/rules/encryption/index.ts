export * from './KMSKeyRotation';
export * from './S3CustomerManagedKey';
export * from './SNSCustomerManagedKey';
export * from './LogGroupCustomerManagedKey';
export * from './SecretCustomerManagedKey';
export * from './EBSCustomerManagedKey';
export * from './RDSCustomerManagedKey';
export * from './BackupVaultCustomerManagedKey';
