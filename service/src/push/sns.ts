// SNS mobile push: platform endpoints per device, published to by the server only.
import {
  CreatePlatformEndpointCommand,
  GetEndpointAttributesCommand,
  PublishCommand,
  SetEndpointAttributesCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import {
  EndpointDisabledError,
  InvalidDeviceTokenError,
  PlatformNotConfiguredError,
  pushMessage,
  type Platform,
  type PushGateway,
} from './types.js';

export type SnsSender = Pick<SNSClient, 'send'>;

export class SnsPushGateway implements PushGateway {
  constructor(
    private readonly client: SnsSender,
    private readonly platformApps: Partial<Record<Platform, string>>,
  ) {}

  async registerEndpoint(platform: Platform, token: string): Promise<string> {
    const app = this.platformApps[platform];
    if (!app) throw new PlatformNotConfiguredError(platform);
    let arn: string;
    try {
      const out = await this.client.send(
        new CreatePlatformEndpointCommand({ PlatformApplicationArn: app, Token: token }),
      );
      if (!out.EndpointArn) throw new Error('SNS returned no endpoint');
      arn = out.EndpointArn;
    } catch (err) {
      // SNS refuses a duplicate token with different attributes and names the existing endpoint.
      const existing = /Endpoint (arn:aws[^ ]+) already exists/.exec((err as Error).message ?? '');
      if (!existing) throw (err as Error).name === 'InvalidParameterException' ? new InvalidDeviceTokenError() : err;
      arn = existing[1];
    }
    // Re-enable and re-point an endpoint that SNS disabled or that holds a stale token (AWS's recommended flow).
    const attrs = await this.client.send(new GetEndpointAttributesCommand({ EndpointArn: arn }));
    if (attrs.Attributes?.Enabled !== 'true' || attrs.Attributes?.Token !== token) {
      await this.client.send(
        new SetEndpointAttributesCommand({ EndpointArn: arn, Attributes: { Token: token, Enabled: 'true' } }),
      );
    }
    return arn;
  }

  async publish(endpointArn: string, conversationId: string): Promise<void> {
    try {
      await this.client.send(
        new PublishCommand({
          TargetArn: endpointArn,
          MessageStructure: 'json',
          Message: pushMessage(conversationId),
        }),
      );
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'EndpointDisabledException' || name === 'EndpointDisabled' || name === 'NotFoundException') {
        throw new EndpointDisabledError();
      }
      throw err;
    }
  }
}
