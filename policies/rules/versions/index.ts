export * from './RDSSupportedEngineVersion';
export * from './LambdaSupportedRuntime';
export * from './EC2SupportedAmi';
