export * from './VPCDedicatedTenancy';
export * from './SecurityGroupIngressAllowList';
export * from './NetworkAclIngressAllowList';
export * from './DedicatedVpcCompatibleServices';
