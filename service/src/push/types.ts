export type Platform = 'apns' | 'fcm';

/** The endpoint is disabled or gone (uninstalled app, expired token): prune it. */
export class EndpointDisabledError extends Error {
  constructor() {
    super('push endpoint disabled');
    this.name = 'EndpointDisabledError';
  }
}

/** Server-side push: SNS mobile push in AWS, a recording sink locally. */
export interface PushGateway {
  /** Creates or refreshes the platform endpoint for a device token; returns its ARN (kept server side). */
  registerEndpoint(platform: Platform, token: string): Promise<string>;
  /** Publishes the generic notification; throws EndpointDisabledError when the endpoint is dead. */
  publish(endpointArn: string, conversationId: string): Promise<void>;
}

/** Generic text only: APNs and FCM are outside the BAA, so no PHI and no sender name (P16). */
export const PUSH_TEXT = 'You have a new secure message';

/** The SNS message structure for every platform; carries the conversation id and nothing else. */
export function pushMessage(conversationId: string): string {
  const apns = JSON.stringify({ aps: { alert: PUSH_TEXT, sound: 'default' }, conversationId });
  const fcm = JSON.stringify({
    fcmV1Message: { message: { notification: { title: PUSH_TEXT }, data: { conversationId } } },
  });
  return JSON.stringify({ default: PUSH_TEXT, APNS: apns, APNS_SANDBOX: apns, GCM: fcm });
}

/** The platform refused the device token itself: the client's fault, so a 400. */
export class InvalidDeviceTokenError extends Error {
  constructor() {
    super('token is not a valid device token for this platform');
    this.name = 'InvalidDeviceTokenError';
  }
}

/** This deployment has no push application for the platform (or push is off): the device cannot be registered. */
export class PlatformNotConfiguredError extends Error {
  constructor(platform: Platform) {
    super(`push to ${platform} is not configured on this server`);
    this.name = 'PlatformNotConfiguredError';
  }
}

/** Push switched off (no platform credentials deployed): device registration is refused with a 409. */
export class DisabledPushGateway implements PushGateway {
  async registerEndpoint(platform: Platform): Promise<string> {
    throw new PlatformNotConfiguredError(platform);
  }

  async publish(): Promise<void> {
    throw new Error('push is disabled; no endpoint can exist to publish to');
  }
}
