import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { MessagingService, MessagingServiceProps } from '../constructs/messaging-service';
import { findTenancyProblems } from '../lib/tenancy-guard';
import { buildTestKit, templateOf, testConfig } from './support/kit';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const IMAGE_URI = '123456789012.dkr.ecr.us-east-1.amazonaws.com/msg:1.4.0';
const PUSH = { push: { apnsSecretName: 'kit/apns', fcmSecretName: 'kit/fcm' } };
const DOMAIN = {
  certificateArn: null,
  domainName: 'chat.example.org',
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  hostedZoneName: 'example.org',
};

function only(template: Template, type: string): Json {
  const resources = Object.values(template.findResources(type));
  expect(resources).toHaveLength(1);
  return resources[0];
}

function container(template: Template): Json {
  return only(template, 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions[0];
}

function environmentOf(template: Template): Record<string, Json> {
  return Object.fromEntries(container(template).Environment.map((e: Json) => [e.Name, e.Value]));
}

function statementsOf(template: Template): Json[] {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap(
    (p: Json) => p.Properties.PolicyDocument.Statement,
  );
}

const asList = (v: Json): Json[] => (Array.isArray(v) ? v : [v]);

describe('ServiceStack', () => {
  const template = templateOf('service');

  describe('ECS cluster on EC2', () => {
    test('enhanced Container Insights, and no Fargate capacity anywhere', () => {
      template.hasResourceProperties('AWS::ECS::Cluster', {
        ClusterName: 'hipaa-kit-example-cluster',
        ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
      });
      const association = only(template, 'AWS::ECS::ClusterCapacityProviderAssociations');
      expect(JSON.stringify(association.Properties)).not.toMatch(/FARGATE/);
      const kit = buildTestKit();
      expect(findTenancyProblems(kit.service)).toEqual([]);
    });

    test('launch template: AL2023 ECS AMI, IMDSv2 only with hop limit 1, detailed monitoring, CMK-encrypted EBS', () => {
      const data = only(template, 'AWS::EC2::LaunchTemplate').Properties.LaunchTemplateData;
      expect(data.InstanceType).toBe('m6i.large');
      expect(data.MetadataOptions).toEqual({
        HttpTokens: 'required',
        HttpPutResponseHopLimit: 1,
        InstanceMetadataTags: 'disabled',
      });
      expect(data.Monitoring).toEqual({ Enabled: true });
      expect(data.BlockDeviceMappings).toEqual([
        {
          DeviceName: '/dev/xvda',
          Ebs: expect.objectContaining({
            Encrypted: true,
            VolumeType: 'gp3',
            DeleteOnTermination: true,
            VolumeSize: 30,
          }),
        },
      ]);
      expect(JSON.stringify(data.BlockDeviceMappings[0].Ebs.KmsKeyId)).toMatch(/DataKey/);
      const amiParameter = Object.entries(template.toJSON().Parameters).find(([id]) => data.ImageId.Ref === id);
      expect((amiParameter![1] as Json).Default).toBe(
        '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
      );
    });

    test('ECS agent blocks container access to instance metadata and privileged containers', () => {
      const userData = JSON.stringify(
        only(template, 'AWS::EC2::LaunchTemplate').Properties.LaunchTemplateData.UserData,
      );
      expect(userData).toContain('ECS_AWSVPC_BLOCK_IMDS=true');
      expect(userData).toContain('ECS_DISABLE_PRIVILEGED=true');
      expect(userData).toContain('ECS_CLUSTER=');
    });

    test('Graviton hosts get the ARM AMI', () => {
      const arm = templateOf('service', { service: { instanceType: 'm7g.large', imageUri: IMAGE_URI } });
      const ami = Object.values(arm.toJSON().Parameters as Json).map((p: Json) => p.Default);
      expect(ami).toContain('/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id');
    });

    test('Auto Scaling group in the private subnets, notifying the ops topic of every launch and termination', () => {
      const asg = only(template, 'AWS::AutoScaling::AutoScalingGroup').Properties;
      expect(asg.MinSize).toBe('2');
      expect(asg.MaxSize).toBe('8'); // maxCount 6 + desiredCount 2
      expect(JSON.stringify(asg.VPCZoneIdentifier)).toMatch(/PrivateSubnet/);
      expect(JSON.stringify(asg.VPCZoneIdentifier)).not.toMatch(/PublicSubnet/);
      expect(asg.NotificationConfigurations[0].NotificationTypes).toEqual([
        'autoscaling:EC2_INSTANCE_LAUNCH',
        'autoscaling:EC2_INSTANCE_LAUNCH_ERROR',
        'autoscaling:EC2_INSTANCE_TERMINATE',
        'autoscaling:EC2_INSTANCE_TERMINATE_ERROR',
      ]);
      expect(JSON.stringify(asg.NotificationConfigurations[0].TopicARN)).toMatch(/OpsTopic/);
    });

    test('capacity provider: managed scaling and draining on, managed termination protection off', () => {
      template.hasResourceProperties('AWS::ECS::CapacityProvider', {
        AutoScalingGroupProvider: {
          ManagedScaling: { Status: 'ENABLED', TargetCapacity: 100 },
          ManagedTerminationProtection: 'DISABLED',
          ManagedDraining: 'ENABLED',
        },
      });
      const asg = only(template, 'AWS::AutoScaling::AutoScalingGroup').Properties;
      expect(asg.NewInstancesProtectedFromScaleIn).toBeUndefined();
    });

    test("managed draining replaces CDK's drain hook: no Lambda, no unencrypted topic", () => {
      // The one function is the deploy-time deletion-protection handler, not a drain hook.
      const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Json[];
      expect(functions).toHaveLength(1);
      expect(functions[0].Properties.Role['Fn::GetAtt'][0]).toMatch(/^DeletionProtectionHandlerRole/);
      template.resourceCountIs('AWS::SNS::Topic', 0);
      template.resourceCountIs('AWS::AutoScaling::LifecycleHook', 0);
    });

    test('hosts accept no inbound traffic and reach out on 443 only', () => {
      const hostSg = Object.values(template.findResources('AWS::EC2::SecurityGroup')).find((sg: Json) =>
        sg.Properties.GroupDescription.startsWith('ECS container hosts'),
      ) as Json;
      expect(hostSg.Properties.SecurityGroupIngress).toBeUndefined();
      expect(hostSg.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }),
      ]);
    });
  });

  describe('IAM', () => {
    test('no inline policies: every permission is a customer-managed policy', () => {
      template.resourceCountIs('AWS::IAM::Policy', 0);
      for (const role of Object.values(template.findResources('AWS::IAM::Role')) as Json[]) {
        expect(role.Properties.Policies).toBeUndefined();
        // No AWS managed policies either: only the kit's own, referenced from this template.
        for (const arn of role.Properties.ManagedPolicyArns ?? []) expect(arn).toEqual({ Ref: expect.any(String) });
      }
    });

    test('the task role trusts only ECS tasks of this account and region', () => {
      const roles = Object.values(template.findResources('AWS::IAM::Role')) as Json[];
      const trusts = roles
        .map((r) => r.Properties.AssumeRolePolicyDocument.Statement[0])
        .filter((s) => s.Principal.Service === 'ecs-tasks.amazonaws.com');
      expect(trusts).toHaveLength(2); // task role and execution role
      expect(trusts.map((s) => s.Condition).filter(Boolean)).toEqual([
        {
          ArnLike: { 'aws:SourceArn': 'arn:aws:ecs:us-east-1:123456789012:*' },
          StringEquals: { 'aws:SourceAccount': '123456789012' },
        },
      ]);
      const taskRoleRef = only(template, 'AWS::ECS::TaskDefinition').Properties.TaskRoleArn['Fn::GetAtt'][0];
      expect(
        template.toJSON().Resources[taskRoleRef].Properties.AssumeRolePolicyDocument.Statement[0].Condition,
      ).toBeDefined();
    });

    test('no "*" action; "*" resource only for actions without resource-level permissions', () => {
      for (const s of statementsOf(template)) {
        const actions = asList(s.Action);
        expect(actions.some((a: string) => a === '*' || a.endsWith(':*'))).toBe(false);
        if (asList(s.Resource).includes('*')) {
          expect(actions).toEqual([expect.stringMatching(/^(ecs:DiscoverPollEndpoint|ecr:GetAuthorizationToken)$/)]);
        }
      }
    });

    test('the host role has no ECR or CloudWatch Logs permissions (the execution role pulls and logs)', () => {
      const agent = statementsOf(template).filter((s) =>
        /^(RegisterWithTheCluster|AgentSessions|DiscoverPoll)/.test(s.Sid),
      );
      expect(agent).toHaveLength(3);
      const actions = agent.flatMap((s) => asList(s.Action));
      expect(actions.filter((a: string) => /^(ecr|logs):/.test(a))).toEqual([]);
    });

    test('the task policy: exactly these statements, each on exactly its resource (least privilege, P07)', () => {
      const policies = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).filter(([id]) =>
        id.startsWith('MessagingServiceTaskPolicy'),
      );
      expect(policies).toHaveLength(1);
      const statements = (policies[0][1] as Json).Properties.PolicyDocument.Statement as Json[];
      const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
      expect(Object.keys(bySid).sort()).toEqual([
        'ConnectAsServiceLogin',
        'ConversationKeyStore',
        'ListAttachmentVersions',
        'PublishBreakGlassNotices',
        'ReadWriteAttachments',
        'UseDataKey',
      ]); // no push configured: no RegisterDevices / PushToRegisteredDevices
      for (const st of statements) expect(st.Effect).toBe('Allow');

      // The data key, unconditioned: envelope encryption calls KMS directly; S3, DynamoDB and SNS use the same key.
      expect(asList(bySid.UseDataKey.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect(JSON.stringify(bySid.UseDataKey.Resource)).toMatch(/^\{"Fn::GetStackOutput":.*KeysDataKey.*Arn/);
      expect(bySid.UseDataKey.Condition).toBeUndefined();

      expect(bySid.ConversationKeyStore).toEqual({
        Sid: 'ConversationKeyStore',
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/hipaa-kit-example-conversation-keys',
      });
      const bucket = 'arn:aws:s3:::hipaa-kit-example-phi-123456789012-us-east-1';
      expect(bySid.ReadWriteAttachments).toEqual({
        Sid: 'ReadWriteAttachments',
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObject', 's3:PutObject'],
        Resource: `${bucket}/attachments/*`,
      });
      expect(bySid.ListAttachmentVersions).toEqual({
        Sid: 'ListAttachmentVersions',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:ListBucketVersions'],
        Resource: bucket,
        Condition: { StringLike: { 's3:prefix': 'attachments/*' } },
      });
      expect(bySid.PublishBreakGlassNotices.Action).toBe('sns:Publish');
      expect(JSON.stringify(bySid.PublishBreakGlassNotices.Resource)).toMatch(
        /^\{"Fn::GetStackOutput":.*"StackName":"HipaaKit-Example-Audit".*RefOpsTopic/,
      );

      // Nothing else of S3, DynamoDB or SNS anywhere in the stack's policies.
      const scoped = statementsOf(template).filter((st) =>
        asList(st.Action).some((a: string) => /^(s3|dynamodb|sns):/.test(a)),
      );
      expect(scoped.map((st) => st.Sid).sort()).toEqual([
        'ConversationKeyStore',
        'ListAttachmentVersions',
        'PublishBreakGlassNotices',
        'ReadWriteAttachments',
      ]);
    });

    test('the attachments wildcard is acknowledged on the task policy alone, with its reason', () => {
      const kit = buildTestKit();
      const policy = kit.service.messagingService.node.findChild('TaskPolicy');
      const acks = policy.node.metadata.map((m) => JSON.stringify(m.data)).filter((d) => d.includes('IAM5'));
      expect(acks).toEqual([
        expect.stringContaining(
          'AwsSolutions-IAM5[Resource::arn:aws:s3:::hipaa-kit-example-phi-123456789012-us-east-1/attachments/*]',
        ),
      ]);
      expect(acks[0]).toMatch(/attachments\/ prefix of the one PHI bucket/);
    });

    test('the execution role reads exactly the DB secret, decrypting only through Secrets Manager', () => {
      const bySid = Object.fromEntries(statementsOf(template).map((s) => [s.Sid, s]));
      expect(bySid.ReadDatabaseSecret.Action).toBe('secretsmanager:GetSecretValue');
      expect(JSON.stringify(bySid.ReadDatabaseSecret.Resource)).toMatch(/MasterUserSecret/);
      expect(bySid.DecryptDatabaseSecret.Condition).toEqual({
        StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
      });
    });

    test('with push, the task may manage and publish to its own platform endpoints only', () => {
      const push = templateOf('service', PUSH);
      const bySid = Object.fromEntries(statementsOf(push).map((s) => [s.Sid, s]));
      expect(bySid.RegisterDevices.Resource).toEqual([
        'arn:aws:sns:us-east-1:123456789012:app/APNS/hipaa-kit-example-apns',
        'arn:aws:sns:us-east-1:123456789012:app/GCM/hipaa-kit-example-fcm',
      ]);
      expect(bySid.PushToRegisteredDevices.Resource).toEqual([
        'arn:aws:sns:us-east-1:123456789012:endpoint/APNS/hipaa-kit-example-apns/*',
        'arn:aws:sns:us-east-1:123456789012:endpoint/GCM/hipaa-kit-example-fcm/*',
      ]);
      const env = environmentOf(push);
      expect(env.PUSH_MODE).toBe('sns');
      expect(env.SNS_APNS_PLATFORM_APPLICATION_ARN).toBe(
        'arn:aws:sns:us-east-1:123456789012:app/APNS/hipaa-kit-example-apns',
      );
      expect(env.SNS_FCM_PLATFORM_APPLICATION_ARN).toBe(
        'arn:aws:sns:us-east-1:123456789012:app/GCM/hipaa-kit-example-fcm',
      );
    });
  });

  describe('attachments against the PHI bucket policy', () => {
    // A concrete stand-in for the data key's ARN: the bucket policy and the container environment both carry the
    // Keys stack's ARN output, and only a value identical to that output is replaced by it.
    const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
    const kit = buildTestKit();
    const env = environmentOf(Template.fromStack(kit.service));
    const concrete = (v: Json) => (JSON.stringify(v) === JSON.stringify(env.ATTACHMENTS_KMS_KEY_ID) ? KEY_ARN : v);
    const bucketPolicy = only(Template.fromStack(kit.data), 'AWS::S3::BucketPolicy');
    const denies = (bucketPolicy.Properties.PolicyDocument.Statement as Json[]).filter((st) => st.Effect === 'Deny');

    /** The Deny statements that refuse a PutObject with this request context (the operators the policy uses). */
    function deniedBy(context: Record<string, string | number | undefined>): string[] {
      return denies
        .filter((st) => asList(st.Action).some((a: string) => a === 's3:*' || a === 's3:PutObject'))
        .filter((st) =>
          Object.entries(st.Condition as Record<string, Record<string, Json>>).every(([operator, tests]) =>
            Object.entries(tests).every(([key, raw]) => {
              const expected = concrete(raw);
              const actual = context[key];
              switch (operator) {
                case 'Bool':
                  return String(actual) === expected;
                case 'NumericLessThan':
                  return Number(actual) < Number(expected);
                case 'StringNotEqualsIfExists':
                  return actual !== undefined && actual !== expected;
                default:
                  throw new Error(`the test does not model condition operator ${operator}; extend it`);
              }
            }),
          ),
        )
        .map((st) => st.Sid ?? JSON.stringify(st.Condition));
    }

    // What service/src/attachments/s3.ts presigns and hands the client: SSE-KMS with ATTACHMENTS_KMS_KEY_ID, both
    // headers signed (it refuses a URL whose X-Amz-SignedHeaders lacks them). Presigned URLs are HTTPS.
    const presignedPut = {
      'aws:SecureTransport': 'true',
      's3:TlsVersion': 1.3,
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': concrete(env.ATTACHMENTS_KMS_KEY_ID),
    };

    test('the environment names the key by the same ARN output the bucket policy requires', () => {
      expect(presignedPut['s3:x-amz-server-side-encryption-aws-kms-key-id']).toBe(KEY_ARN);
      expect(denies.map((st) => st.Sid).filter(Boolean)).toEqual(['DenyNonKmsEncryption', 'DenyOtherKmsKeys']);
    });

    test("a presigned PUT signing aws:kms and the kit key's ARN passes every Deny", () => {
      expect(deniedBy(presignedPut)).toEqual([]);
    });

    test('an upload asking for other encryption, another key, or plain HTTP is still refused', () => {
      expect(deniedBy({ ...presignedPut, 's3:x-amz-server-side-encryption': 'AES256' })).toEqual([
        'DenyNonKmsEncryption',
      ]);
      const otherKey = 'arn:aws:kms:us-east-1:123456789012:key/99999999-2222-3333-4444-555555555555';
      expect(deniedBy({ ...presignedPut, 's3:x-amz-server-side-encryption-aws-kms-key-id': otherKey })).toEqual([
        'DenyOtherKmsKeys',
      ]);
      // A key id or alias instead of the full ARN is refused too: the service must be given the ARN.
      expect(
        deniedBy({ ...presignedPut, 's3:x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN.split('/')[1] }),
      ).toEqual(['DenyOtherKmsKeys']);
      expect(deniedBy({ ...presignedPut, 'aws:SecureTransport': 'false' })).toHaveLength(1);
    });
  });

  describe('task definition', () => {
    test('EC2 compatibility with awsvpc networking', () => {
      const td = only(template, 'AWS::ECS::TaskDefinition').Properties;
      expect(td.RequiresCompatibilities).toEqual(['EC2']);
      expect(td.NetworkMode).toBe('awsvpc');
    });

    test('read-only root filesystem, non-root user, no privileges, all capabilities dropped, tmpfs /tmp', () => {
      const c = container(template);
      expect(c.ReadonlyRootFilesystem).toBe(true);
      expect(c.User).toBe('1000:1000');
      expect(c.Privileged).toBe(false);
      expect(c.LinuxParameters.Capabilities).toEqual({ Drop: ['ALL'] });
      expect(c.LinuxParameters.Tmpfs).toEqual([
        { ContainerPath: '/tmp', Size: 64, MountOptions: ['noexec', 'nosuid', 'nodev'] },
      ]);
    });

    test('the image is built from service/ as a Docker image asset (never a placeholder)', () => {
      const image = JSON.stringify(container(template).Image);
      expect(image).toMatch(/cdk-hnb659fds-container-assets-123456789012-us-east-1/);
    });

    test('an image URI from the config replaces the asset', () => {
      const byUri = templateOf('service', { service: { imageUri: IMAGE_URI } });
      expect(JSON.stringify(container(byUri).Image)).toMatch(/123456789012\.dkr\.ecr\.us-east-1\..*\/msg:1\.4\.0/);
      const pull = statementsOf(byUri).find((s) => s.Sid === 'PullServiceImage');
      expect(pull.Resource).toBe('arn:aws:ecr:us-east-1:123456789012:repository/msg');
    });

    test('DB credentials come from the RDS-managed secret; no secret in the environment', () => {
      const c = container(template);
      expect(c.Secrets.map((s: Json) => s.Name).sort()).toEqual(['DB_PASSWORD', 'DB_USERNAME']);
      for (const s of c.Secrets) expect(JSON.stringify(s.ValueFrom)).toMatch(/MasterUserSecret/);
      expect(JSON.stringify(c.Secrets.find((s: Json) => s.Name === 'DB_PASSWORD').ValueFrom)).toMatch(/:password::/);
      const names = Object.keys(environmentOf(template));
      expect(names.filter((n) => /PASSWORD|SECRET|TOKEN|PRIVATE/.test(n))).toEqual([]);
    });

    test('environment: production mode, KMS key, Cognito issuer, trusted proxy and DB endpoint', () => {
      const env = environmentOf(template);
      expect(env.NODE_ENV).toBe('production');
      expect(env.PORT).toBe('8080');
      expect(env.DIRECTORY_MODE).toBe('enterprise');
      expect(env.TRUST_PROXY).toBe('10.40.0.0/16');
      expect(env.IDLE_TIMEOUT_SECONDS).toBe('900');
      expect(env.DB_PORT).toBe('5532');
      expect(env.DB_NAME).toBe('messaging');
      expect(env.DB_SSL).toBe('verify-full');
      expect(env.BANNER_TEXT).toMatch(/^WARNING: This system contains protected health information/);
      expect(JSON.stringify(env.KMS_KEY_ID)).toMatch(/DataKey/);
      expect(JSON.stringify(env.AUTH_ISSUER)).toMatch(/UserPool.*ProviderURL/);
      expect(JSON.stringify(env.AUTH_JWKS_URI)).toContain('/.well-known/jwks.json');
      expect(JSON.stringify(env.AUTH_AUDIENCE)).toMatch(/AppClient/);
      expect(JSON.stringify(env.DB_HOST)).toMatch(/EndpointAddress/);
      expect(env.PUSH_MODE).toBe('disabled');
    });

    test('the service serves as hmk_service with IAM database auth: env and an rds-db:connect statement', () => {
      const env = environmentOf(template);
      expect(env.DB_SERVICE_USER).toBe('hmk_service');
      expect(env.DB_IAM_AUTH).toBe('true');
      expect(env.AWS_REGION).toBe('us-east-1');
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        Roles: [{ Ref: Match.stringLikeRegexp('TaskRole') }],
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([
            {
              Sid: 'ConnectAsServiceLogin',
              Effect: 'Allow',
              Action: 'rds-db:connect',
              Resource: {
                'Fn::Join': [
                  '',
                  [
                    'arn:aws:rds-db:us-east-1:123456789012:dbuser:',
                    Match.anyValue(), // the Data stack's DbiResourceId (cross-stack reference)
                    '/hmk_service',
                  ],
                ],
              },
            },
          ]),
        }),
      });
      const connect = statementsOf(template).find((st) => st.Sid === 'ConnectAsServiceLogin');
      expect(JSON.stringify(connect.Resource)).toMatch(/DbiResourceId/);
      // Only the customer-managed policy grants it: no inline policy on the task role.
      expect(Object.keys(template.findResources('AWS::IAM::Policy'))).toEqual([]);
    });

    test('environment: DynamoDB key store, S3 attachments under the PHI key, ops-topic notices, messaging policy', () => {
      const env = environmentOf(template);
      expect(env).toMatchObject({
        KEY_STORE: 'dynamodb',
        KEY_STORE_TABLE: 'hipaa-kit-example-conversation-keys',
        ATTACHMENTS_MODE: 's3',
        ATTACHMENTS_BUCKET: 'hipaa-kit-example-phi-123456789012-us-east-1',
        NOTIFY_MODE: 'sns',
        RETENTION_DAYS: '0',
        MEMBERS_CLINICIANS_ONLY: 'false',
        BREAK_GLASS_MINUTES: '60',
      });
      // The full key ARN (the service signs it into every upload), the same value as KMS_KEY_ID.
      expect(env.ATTACHMENTS_KMS_KEY_ID).toEqual(env.KMS_KEY_ID);
      expect(JSON.stringify(env.ATTACHMENTS_KMS_KEY_ID)).toMatch(/KeysDataKey8F3FE3A4Arn/);
      expect(JSON.stringify(env.OPS_TOPIC_ARN)).toMatch(/RefOpsTopic/);
      // The names are the ones the Data stack gives its table and bucket.
      const data = buildTestKit().data;
      const dataTemplate = Template.fromStack(data).toJSON().Resources as Record<string, Json>;
      const named = Object.values(dataTemplate).map((r) => r.Properties?.TableName ?? r.Properties?.BucketName);
      expect(named).toEqual(expect.arrayContaining([env.KEY_STORE_TABLE, env.ATTACHMENTS_BUCKET]));
    });

    test('refuses an ops topic under another key than the data key (the task may use no other key)', () => {
      const kit = buildTestKit({ service: { imageUri: IMAGE_URI } });
      const stack = kit.service;
      const { dataKey, logsKey } = kit.keys.keys;
      const props = (opsTopic: sns.ITopic): MessagingServiceProps => ({
        capacity: {
          cluster: stack.containerCluster.cluster,
          capacityProviderName: 'cp',
          cpuUnits: 512,
          memoryMiB: 1024,
          desiredCount: 2,
          maxCount: 2,
        },
        image: { sourceDirectory: '.', imageUri: IMAGE_URI },
        network: { vpc: kit.network.vpc, trustedProxyCidr: '10.40.0.0/16' },
        dataKey,
        logs: { key: logsKey, retentionDays: 731 },
        database: {
          instance: kit.data.database,
          resourceId: 'db-ABC',
          secret: kit.data.databaseSecret,
          name: 'messaging',
          port: 5532,
        },
        auth: { issuer: 'https://issuer.example', jwksUri: 'https://issuer.example/jwks', audience: 'app' },
        messaging: {
          retentionDays: 0,
          membersCliniciansOnly: false,
          breakGlassMinutes: 60,
          directoryMode: 'enterprise',
          bannerText: 'banner',
        },
        stores: { attachmentsBucketName: 'bucket', keyStoreTableName: 'table' },
        notifications: { opsTopic },
      });
      const otherKey = new sns.Topic(stack, 'OtherKeyTopic', { masterKey: logsKey });
      const plain = new sns.Topic(stack, 'PlainTopic');
      expect(() => new MessagingService(stack, 'OtherKey', props(otherKey))).toThrow(
        /^notifications\.opsTopic: must be encrypted with dataKey/,
      );
      expect(() => new MessagingService(stack, 'Plain', props(plain))).toThrow(/^notifications\.opsTopic: /);
      expect(() => new MessagingService(stack, 'Same', props(kit.audit.opsTopic))).not.toThrow();
    });

    test('messaging settings from the config reach the service', () => {
      const env = environmentOf(
        templateOf('service', {
          messaging: {
            retentionDays: 2555,
            membersCliniciansOnly: true,
            breakGlassMinutes: 30,
            repeatPush: { afterMinutes: 10, maxRepeats: 3 },
          },
        }),
      );
      expect([
        env.RETENTION_DAYS,
        env.MEMBERS_CLINICIANS_ONLY,
        env.BREAK_GLASS_MINUTES,
        env.REPEAT_PUSH_AFTER_MINUTES,
        env.REPEAT_PUSH_MAX,
      ]).toEqual(['2555', 'true', '30', '10', '3']);
    });

    test("the bastion operators' names reach the service, which keeps their database logins (issue 16)", () => {
      const names = testConfig().bastion.operators.map((op) => op.name);
      expect(names.length).toBeGreaterThan(0);
      expect(environmentOf(template).BASTION_OPERATORS).toBe(names.join(','));
      // Without a bastion nobody reaches the database that way: an empty list disables every operator login.
      const noBastion = environmentOf(templateOf('service', { bastion: { enabled: false } }));
      expect(noBastion.BASTION_OPERATORS).toBe('');
    });

    test('public directory mode reaches the service', () => {
      expect(environmentOf(templateOf('service', { directoryMode: 'public' })).DIRECTORY_MODE).toBe('public');
    });

    test('awslogs into a CMK-encrypted, retained log group with the configured retention', () => {
      const c = container(template);
      expect(c.LogConfiguration.LogDriver).toBe('awslogs');
      const groupId = c.LogConfiguration.Options['awslogs-group'].Ref;
      const group = template.toJSON().Resources[groupId];
      expect(group.Properties.RetentionInDays).toBe(731);
      expect(JSON.stringify(group.Properties.KmsKeyId)).toMatch(/LogsKey/);
      expect(group.DeletionPolicy).toBe('Retain');
    });

    test('container health check probes /health', () => {
      expect(container(template).HealthCheck.Command.join(' ')).toContain('http://127.0.0.1:8080/health');
    });
  });

  describe('ECS service', () => {
    test('desired count from config, EC2 capacity provider, spread over AZs, rollback circuit breaker', () => {
      template.hasResourceProperties('AWS::ECS::Service', {
        DesiredCount: 2,
        CapacityProviderStrategy: [
          { CapacityProvider: { Ref: Match.stringLikeRegexp('CapacityProvider') }, Weight: 1 },
        ],
        PlacementStrategies: [
          { Type: 'spread', Field: 'attribute:ecs.availability-zone' },
          { Type: 'spread', Field: 'instanceId' },
        ],
        DeploymentConfiguration: Match.objectLike({
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
          MinimumHealthyPercent: 100,
        }),
        EnableExecuteCommand: false,
        NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
      });
      const svc = only(template, 'AWS::ECS::Service').Properties;
      expect(svc.LaunchType).toBeUndefined();
    });

    test('the service waits for the capacity provider to be associated with the cluster', () => {
      const resources = template.toJSON().Resources as Record<string, Json>;
      const association = Object.keys(resources).find(
        (id) => resources[id].Type === 'AWS::ECS::ClusterCapacityProviderAssociations',
      );
      expect(only(template, 'AWS::ECS::Service').DependsOn).toContain(association);
    });

    test('CPU autoscaling between desiredCount and maxCount', () => {
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        MinCapacity: 2,
        MaxCapacity: 6,
        ScalableDimension: 'ecs:service:DesiredCount',
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        }),
      });
    });

    test('tasks accept the container port only from the ALB, and reach only the DB port and 443', () => {
      const resources = template.toJSON().Resources as Record<string, Json>;
      const serviceSgId = Object.keys(resources).find(
        (id) =>
          resources[id].Type === 'AWS::EC2::SecurityGroup' &&
          resources[id].Properties.GroupDescription.startsWith('Messaging service tasks'),
      )!;
      const serviceSg = resources[serviceSgId].Properties;
      expect(serviceSg.SecurityGroupIngress).toBeUndefined();
      expect(serviceSg.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 }),
      ]);
      const rulesOf = (type: string, key: string) =>
        Object.values(resources).filter(
          (r) =>
            r.Type === type &&
            JSON.stringify(r.Properties[key]) === JSON.stringify({ 'Fn::GetAtt': [serviceSgId, 'GroupId'] }),
        );
      const ingress = rulesOf('AWS::EC2::SecurityGroupIngress', 'GroupId');
      expect(ingress).toHaveLength(1);
      expect(ingress[0].Properties).toEqual(
        expect.objectContaining({ FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: expect.anything() }),
      );
      expect(JSON.stringify(ingress[0].Properties.SourceSecurityGroupId)).toMatch(/LoadBalancerSecurityGroup/);
      const egress = rulesOf('AWS::EC2::SecurityGroupEgress', 'GroupId');
      expect(egress.map((r) => r.Properties.FromPort)).toEqual([5532]);
      expect(JSON.stringify(egress[0].Properties.DestinationSecurityGroupId)).toMatch(/DatabaseSecurityGroup/);
      // ...and the database's security group admits the tasks on its port (rule kept in this stack, no cycle).
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        FromPort: 5532,
        ToPort: 5532,
        SourceSecurityGroupId: { 'Fn::GetAtt': [serviceSgId, 'GroupId'] },
      });
    });
  });

  describe('load balancer', () => {
    test('internet-facing in public subnets; drops invalid headers, access logs', () => {
      const alb = only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties;
      expect(alb.Scheme).toBe('internet-facing');
      expect(JSON.stringify(alb.Subnets)).toMatch(/PublicSubnet/);
      const attrs = Object.fromEntries(alb.LoadBalancerAttributes.map((a: Json) => [a.Key, a.Value]));
      expect(attrs['routing.http.drop_invalid_header_fields.enabled']).toBe('true');
      // Not in the template: DeletionProtectionAfterCreate turns it on once the stack exists (see below).
      expect(attrs['deletion_protection.enabled']).toBeUndefined();
      expect(attrs['routing.http.desync_mitigation_mode']).toBe('strictest');
      expect(attrs['access_logs.s3.enabled']).toBe('true');
      expect(attrs['access_logs.s3.prefix']).toBe('alb/hipaa-kit-example');
      expect(JSON.stringify(attrs['access_logs.s3.bucket'])).toMatch(/AccessLogsBucket/);
    });

    test('WebSockets (the event stream): a 60 s idle timeout the service outpings, no stickiness needed', () => {
      const alb = only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties;
      const attrs = Object.fromEntries(alb.LoadBalancerAttributes.map((a: Json) => [a.Key, a.Value]));
      const idle = Number(attrs['idle_timeout.timeout_seconds']);
      expect(idle).toBe(60);
      // The service's own numbers (service/src): it pings each socket more often than the ALB would cut a quiet one,
      // and keeps HTTP connections alive longer than the ALB does.
      const serviceConfig = readFileSync(join(__dirname, '../service/src/config.ts'), 'utf8');
      const serverSource = readFileSync(join(__dirname, '../service/src/server.ts'), 'utf8');
      const ping = Number(/int\(env, 'EVENTS_PING_SECONDS', (\d+), \d+, (\d+)\)/.exec(serviceConfig)?.[2]);
      expect(ping).toBeLessThan(idle);
      expect(Number(/keepAliveTimeout: ([\d_]+)/.exec(serverSource)?.[1].replace('_', '')) / 1000).toBeGreaterThan(
        idle,
      );
      // Tickets live in the database and events reach every task through LISTEN/NOTIFY: any task serves any socket.
      const group = only(template, 'AWS::ElasticLoadBalancingV2::TargetGroup').Properties;
      const groupAttrs = Object.fromEntries((group.TargetGroupAttributes ?? []).map((a: Json) => [a.Key, a.Value]));
      expect(groupAttrs['stickiness.enabled']).not.toBe('true');
      expect(group.ProtocolVersion ?? 'HTTP1').toBe('HTTP1'); // the WebSocket upgrade is HTTP/1.1
    });

    test('deletion protection is turned on last, so a failed first create can still delete the ALB', () => {
      const protections = Object.values(template.findResources('Custom::DeletionProtectionAfterCreate')) as Json[];
      expect(protections).toHaveLength(1);
      const call = JSON.stringify(protections[0].Properties.Create);
      expect(call).toContain('ModifyLoadBalancerAttributes');
      expect(call).toContain('deletion_protection.enabled');
      expect(protections[0].Properties.Update).toEqual(protections[0].Properties.Create);
      const albId = Object.keys(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'))[0];
      const serviceId = Object.keys(template.findResources('AWS::ECS::Service'))[0];
      const aclId = Object.keys(template.findResources('AWS::WAFv2::WebACLAssociation'))[0];
      expect(protections[0].DependsOn).toEqual(expect.arrayContaining([albId, serviceId, aclId]));
    });

    test('HTTPS 443 with the configured certificate and the recommended TLS policy', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        Protocol: 'HTTPS',
        SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        Certificates: [
          { CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000' },
        ],
      });
    });

    test('port 80 only redirects to HTTPS', () => {
      const listeners = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::Listener')) as Json[];
      expect(listeners.map((l) => l.Properties.Port).sort()).toEqual([443, 80]);
      const http = listeners.find((l) => l.Properties.Port === 80)!.Properties;
      expect(http.DefaultActions).toEqual([
        { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
      ]);
      template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    });

    test('Container Insights writes to a pre-created CMK log group with retention, made before the cluster', () => {
      const groups = template.findResources('AWS::Logs::LogGroup', {
        Properties: { LogGroupName: '/aws/ecs/containerinsights/hipaa-kit-example-cluster/performance' },
      });
      const [id, group] = Object.entries(groups)[0] as [string, Json];
      expect(group.Properties.KmsKeyId).toBeDefined();
      expect(group.Properties.RetentionInDays).toBe(731);
      const cluster = Object.values(template.findResources('AWS::ECS::Cluster'))[0] as Json;
      expect(cluster.DependsOn).toContain(id);
    });

    test('ALB security group: inbound 80/443 only, outbound only to the service port', () => {
      const albSg = Object.values(template.findResources('AWS::EC2::SecurityGroup')).find((sg: Json) =>
        sg.Properties.GroupDescription.startsWith('Internet-facing ALB'),
      ) as Json;
      expect(albSg.Properties.SecurityGroupIngress.map((r: Json) => [r.CidrIp, r.FromPort, r.ToPort])).toEqual([
        ['0.0.0.0/0', 443, 443],
        ['0.0.0.0/0', 80, 80],
      ]);
      // Inline egress is only the no-traffic placeholder: an empty list would make EC2 allow all egress.
      expect(albSg.Properties.SecurityGroupEgress).toEqual([
        {
          CidrIp: '255.255.255.255/32',
          Description: 'Disallow all traffic',
          IpProtocol: 'icmp',
          FromPort: 252,
          ToPort: 86,
        },
      ]);
      const resources = template.toJSON().Resources as Record<string, Json>;
      const albSgId = Object.keys(resources).find((id) => resources[id] === albSg)!;
      const egress = Object.values(resources).filter(
        (r) =>
          r.Type === 'AWS::EC2::SecurityGroupEgress' &&
          JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [albSgId, 'GroupId'] }),
      );
      expect(egress.map((r) => [r.Properties.FromPort, r.Properties.ToPort])).toEqual([[8080, 8080]]);
      expect(JSON.stringify(egress[0].Properties.DestinationSecurityGroupId)).toMatch(/MessagingServiceSecurityGroup/);
    });

    test('target group health check on /health', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        TargetType: 'ip',
        Port: 8080,
        HealthCheckPath: '/health',
        Matcher: { HttpCode: '200' },
      });
    });

    test('with a domain instead of a certificate ARN: DNS-validated certificate and alias record', () => {
      const domain = templateOf('service', DOMAIN);
      domain.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: 'chat.example.org',
        ValidationMethod: 'DNS',
        DomainValidationOptions: [{ DomainName: 'chat.example.org', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
      });
      domain.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'chat.example.org.',
        Type: 'A',
        HostedZoneId: 'Z0123456789ABCDEFGHIJ',
        AliasTarget: Match.anyValue(),
      });
      expect(JSON.stringify(domain.findOutputs('ServiceUrl'))).toContain('https://chat.example.org');
    });
  });

  describe('WAF', () => {
    test('regional web ACL: rate limit plus the managed common, known-bad-inputs and IP-reputation groups', () => {
      const acl = only(template, 'AWS::WAFv2::WebACL').Properties;
      expect(acl.Scope).toBe('REGIONAL');
      expect(acl.DefaultAction).toEqual({ Allow: {} });
      const rate = acl.Rules.find((r: Json) => r.Statement.RateBasedStatement);
      expect(rate.Statement.RateBasedStatement).toEqual({ Limit: 2000, AggregateKeyType: 'IP' });
      expect(rate.Action).toEqual({ Block: {} });
      const groups = acl.Rules.filter((r: Json) => r.Statement.ManagedRuleGroupStatement).map(
        (r: Json) => r.Statement.ManagedRuleGroupStatement.Name,
      );
      expect(groups.sort()).toEqual([
        'AWSManagedRulesAmazonIpReputationList',
        'AWSManagedRulesCommonRuleSet',
        'AWSManagedRulesKnownBadInputsRuleSet',
      ]);
      for (const rule of acl.Rules) {
        expect(rule.VisibilityConfig).toEqual(
          expect.objectContaining({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true }),
        );
        if (rule.Statement.ManagedRuleGroupStatement) expect(rule.OverrideAction).toEqual({ None: {} });
      }
    });

    test('the rate limit follows the config', () => {
      const acl = only(templateOf('service', { service: { wafRateLimitPer5Min: 300 } }), 'AWS::WAFv2::WebACL');
      expect(JSON.stringify(acl.Properties.Rules)).toContain('"Limit":300');
    });

    test('associated with the ALB', () => {
      template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        ResourceArn: { Ref: Match.stringLikeRegexp('^LoadBalancer') },
        WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebAcl'), 'Arn'] },
      });
    });

    test('logs to a CMK-encrypted aws-waf-logs-* group, with Authorization and Cookie redacted', () => {
      template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
        LogDestinationConfigs: ['arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-hipaa-kit-example-alb'],
        RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }],
      });
      template.hasResource('AWS::Logs::LogGroup', {
        Properties: {
          LogGroupName: 'aws-waf-logs-hipaa-kit-example-alb',
          RetentionInDays: 731,
          KmsKeyId: Match.anyValue(),
        },
        DeletionPolicy: 'RetainExceptOnCreate', // fixed name: a retried create must not clash
      });
    });
  });

  test('every log group in the stack is CMK-encrypted, has a retention and is retained', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')) as Json[];
    expect(groups.length).toBe(4); // service, WAF, Container Insights, deletion-protection handler
    for (const g of groups) {
      expect(g.Properties.KmsKeyId).toBeDefined();
      expect(g.Properties.RetentionInDays).toBe(731);
      // Named groups are removed only when their own create rolls back, so a retried deploy does not clash.
      expect(g.DeletionPolicy).toBe(g.Properties.LogGroupName ? 'RetainExceptOnCreate' : 'Retain');
    }
  });
});
