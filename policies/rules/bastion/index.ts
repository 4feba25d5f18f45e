export * from './EC2BastionSshdHardened';
export * from './EC2BastionIdleLogoff';
export * from './EC2KeyPairAndImdsv2';
export * from './EC2BastionNamedLogins';
export * from './EC2BastionSessionRecording';
export * from './SSMSessionLogging';
