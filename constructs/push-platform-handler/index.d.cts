/** Types of the push platform-application handler (index.cjs), for tests and readers. */

export type Platform = 'APNS' | 'APNS_SANDBOX' | 'GCM';

export interface PlatformApplicationProperties {
  readonly Name: string;
  readonly Platform: Platform;
  readonly SecretName: string;
  readonly EventTopicArn: string;
}

export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceProperties: PlatformApplicationProperties;
  readonly OldResourceProperties?: PlatformApplicationProperties;
  readonly PhysicalResourceId?: string;
}

export interface HandlerResult {
  readonly PhysicalResourceId?: string;
  readonly Data?: { readonly PlatformApplicationArn: string };
}

/** What the handler needs from AWS; the real one wraps Secrets Manager and SNS clients. */
export interface PushPlatformApi {
  getSecretString(secretId: string): Promise<string | undefined>;
  createPlatformApplication(name: string, platform: Platform, attributes: Record<string, string>): Promise<string>;
  setPlatformApplicationAttributes(arn: string, attributes: Record<string, string>): Promise<void>;
  deletePlatformApplication(arn: string): Promise<void>;
}

export declare class PushCredentialError extends Error {}
export declare function handler(event: CustomResourceEvent): Promise<HandlerResult>;
export declare function makeHandler(api: PushPlatformApi): (event: CustomResourceEvent) => Promise<HandlerResult>;
export declare function credentialAttributes(
  platform: Platform,
  secretString: string | undefined,
  secretName: string,
): Record<string, string>;
export declare function eventAttributes(topicArn: string): Record<string, string>;
