'use strict';
/* global require, module -- plain CommonJS, run by the Lambda Node.js runtime without bundling */
/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * onEvent handler (CDK Provider framework) for Custom::SnsPlatformApplication: one SNS mobile-push platform
 * application whose credentials are read from Secrets Manager at run time.
 *
 * Plain CommonJS with no bundling: it uses only the AWS SDK v3 that the Lambda Node.js runtime ships.
 * The credentials never leave this function: they are not logged, not put in error messages and not returned in
 * `Data` (CloudFormation would show them). The physical id is the platform application ARN.
 *
 * Resource properties (names only, never secrets):
 *   Name            platform application name
 *   Platform        APNS | APNS_SANDBOX | GCM
 *   SecretName      Secrets Manager secret (APNs: {signingKey,keyId,teamId,bundleId}; FCM: service-account JSON)
 *   EventTopicArn   SNS topic for endpoint created/deleted/updated and delivery-failure events
 */

const PLATFORMS = ['APNS', 'APNS_SANDBOX', 'GCM'];
const EVENT_ATTRIBUTES = [
  'EventEndpointCreated',
  'EventEndpointDeleted',
  'EventEndpointUpdated',
  'EventDeliveryFailure',
];

/** A failure whose message is safe to show in CloudFormation events (it never quotes the secret). */
class PushCredentialError extends Error {
  constructor(message) {
    super(message);
    this.name = 'PushCredentialError';
  }
}

function parseSecretJson(secretString, secretName) {
  if (typeof secretString !== 'string' || secretString.length === 0) {
    throw new PushCredentialError(`secret ${secretName} has no SecretString; store the credential as a JSON string`);
  }
  try {
    const value = JSON.parse(secretString);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch {
    // JSON.parse messages quote the input, so they must not reach the logs or CloudFormation.
    throw new PushCredentialError(`secret ${secretName} is not a JSON object`);
  }
}

function requireString(obj, field, secretName, pattern) {
  const v = obj[field];
  if (typeof v !== 'string' || v.trim() === '' || (pattern && !pattern.test(v.trim()))) {
    throw new PushCredentialError(`secret ${secretName}: field "${field}" is missing or malformed`);
  }
  return v.trim();
}

/**
 * Maps a platform and its secret to SNS platform-application credential attributes.
 * APNs uses token-based authentication (.p8 signing key); FCM uses the HTTP v1 service-account JSON.
 */
function credentialAttributes(platform, secretString, secretName) {
  const secret = parseSecretJson(secretString, secretName);
  if (platform === 'APNS' || platform === 'APNS_SANDBOX') {
    const signingKey = requireString(secret, 'signingKey', secretName, /-----BEGIN PRIVATE KEY-----/);
    return {
      PlatformCredential: signingKey,
      PlatformPrincipal: requireString(secret, 'keyId', secretName, /^[A-Z0-9]{10}$/),
      ApplePlatformTeamID: requireString(secret, 'teamId', secretName, /^[A-Z0-9]{10}$/),
      ApplePlatformBundleID: requireString(secret, 'bundleId', secretName, /^[A-Za-z0-9.-]+$/),
    };
  }
  if (platform === 'GCM') {
    if (secret.type !== 'service_account') {
      throw new PushCredentialError(`secret ${secretName}: expected an FCM HTTP v1 service-account JSON`);
    }
    requireString(secret, 'project_id', secretName);
    requireString(secret, 'client_email', secretName);
    requireString(secret, 'private_key', secretName, /-----BEGIN PRIVATE KEY-----/);
    return { PlatformCredential: secretString };
  }
  throw new PushCredentialError(`Platform must be one of ${PLATFORMS.join(', ')}`);
}

function eventAttributes(topicArn) {
  const attrs = {};
  for (const name of EVENT_ATTRIBUTES) attrs[name] = topicArn;
  return attrs;
}

function checkProperties(props) {
  if (!props || typeof props.Name !== 'string' || !/^[A-Za-z0-9_.-]{1,256}$/.test(props.Name)) {
    throw new PushCredentialError('Name must be 1-256 letters, digits, hyphens, underscores or periods');
  }
  if (!PLATFORMS.includes(props.Platform)) {
    throw new PushCredentialError(`Platform must be one of ${PLATFORMS.join(', ')}`);
  }
  if (typeof props.SecretName !== 'string' || props.SecretName === '') {
    throw new PushCredentialError('SecretName is required');
  }
  if (typeof props.EventTopicArn !== 'string' || !props.EventTopicArn.startsWith('arn:')) {
    throw new PushCredentialError('EventTopicArn must be an SNS topic ARN');
  }
}

async function attributesFor(api, props) {
  const secretString = await api.getSecretString(props.SecretName);
  return {
    ...credentialAttributes(props.Platform, secretString, props.SecretName),
    ...eventAttributes(props.EventTopicArn),
  };
}

function result(arn) {
  return { PhysicalResourceId: arn, Data: { PlatformApplicationArn: arn } };
}

/** The handler logic against an injected API (the real one talks to Secrets Manager and SNS). */
function makeHandler(api) {
  return async function handler(event) {
    const props = event.ResourceProperties;
    switch (event.RequestType) {
      case 'Create': {
        checkProperties(props);
        const arn = await api.createPlatformApplication(props.Name, props.Platform, await attributesFor(api, props));
        return result(arn);
      }
      case 'Update': {
        checkProperties(props);
        const old = event.OldResourceProperties || {};
        const attributes = await attributesFor(api, props);
        if (old.Name !== props.Name || old.Platform !== props.Platform || !isArn(event.PhysicalResourceId)) {
          // A new name or platform is a new application; CloudFormation then deletes the old one.
          return result(await api.createPlatformApplication(props.Name, props.Platform, attributes));
        }
        await api.setPlatformApplicationAttributes(event.PhysicalResourceId, attributes);
        return result(event.PhysicalResourceId);
      }
      case 'Delete': {
        // A failed Create leaves a non-ARN physical id: there is nothing to delete then.
        if (isArn(event.PhysicalResourceId)) await api.deletePlatformApplication(event.PhysicalResourceId);
        return { PhysicalResourceId: event.PhysicalResourceId };
      }
      default:
        throw new PushCredentialError(`unknown RequestType ${event.RequestType}`);
    }
  };
}

function isArn(id) {
  return typeof id === 'string' && /^arn:aws[a-z-]*:sns:/.test(id);
}

/** The real API, built lazily so unit tests need no AWS SDK. */
function awsApi() {
  const sns = require('@aws-sdk/client-sns');
  const sm = require('@aws-sdk/client-secrets-manager');
  const snsClient = new sns.SNSClient({});
  const smClient = new sm.SecretsManagerClient({});
  return {
    async getSecretString(secretId) {
      const out = await smClient.send(new sm.GetSecretValueCommand({ SecretId: secretId }));
      return out.SecretString;
    },
    async createPlatformApplication(name, platform, attributes) {
      const out = await snsClient.send(
        new sns.CreatePlatformApplicationCommand({ Name: name, Platform: platform, Attributes: attributes }),
      );
      return out.PlatformApplicationArn;
    },
    async setPlatformApplicationAttributes(arn, attributes) {
      await snsClient.send(
        new sns.SetPlatformApplicationAttributesCommand({ PlatformApplicationArn: arn, Attributes: attributes }),
      );
    },
    async deletePlatformApplication(arn) {
      await snsClient.send(new sns.DeletePlatformApplicationCommand({ PlatformApplicationArn: arn }));
    },
  };
}

let real;
async function handler(event) {
  real = real || makeHandler(awsApi());
  return real(event);
}

module.exports = { handler, makeHandler, credentialAttributes, eventAttributes, PushCredentialError };
