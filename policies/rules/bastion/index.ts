export * from './EC2BastionSshdHardened';
export * from './EC2BastionIdleLogoff';
export * from './EC2KeyPairAndImdsv2';
