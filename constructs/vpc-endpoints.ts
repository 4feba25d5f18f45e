import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface PrivateApiEndpointsProps {
  readonly vpc: ec2.IVpc;
  /** The VPC CIDR as a plain string: the only source allowed to reach the endpoints. */
  readonly vpcCidr: string;
  /** Also create the `ssmmessages` and `ec2messages` endpoints that Session Manager uses. @default false */
  readonly sessionManager?: boolean;
  /** Where the interface endpoints' network interfaces go. @default - the private subnets with egress */
  readonly subnets?: ec2.SubnetSelection;
}

/** Interface endpoints every deployment gets: the AWS APIs the ECS hosts, the service and the bastion call. */
const CORE_INTERFACE_SERVICES: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  Sns: ec2.InterfaceVpcEndpointAwsService.SNS,
  Ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
};

const SESSION_MANAGER_SERVICES: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
  SsmMessages: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
  Ec2Messages: ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
};

/**
 * Keeps AWS API traffic inside the VPC: S3 and DynamoDB gateway endpoints on every route table, and one interface
 * endpoint per API (private DNS on), each with its own security group that admits HTTPS from the VPC CIDR only.
 */
export class PrivateApiEndpoints extends Construct {
  readonly s3: ec2.GatewayVpcEndpoint;
  readonly dynamoDb: ec2.GatewayVpcEndpoint;
  readonly interfaceEndpoints: Record<string, ec2.InterfaceVpcEndpoint> = {};

  constructor(scope: Construct, id: string, props: PrivateApiEndpointsProps) {
    super(scope, id);
    // No subnet selection: the gateway endpoint is added to every route table (ECR layers and dnf repos live in S3).
    this.s3 = new ec2.GatewayVpcEndpoint(this, 'S3', { vpc: props.vpc, service: ec2.GatewayVpcEndpointAwsService.S3 });
    // The service's conversation-key table: reached from the private subnets without NAT (gateway endpoints are free).
    this.dynamoDb = new ec2.GatewayVpcEndpoint(this, 'DynamoDb', {
      vpc: props.vpc,
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
    });

    const services = { ...CORE_INTERFACE_SERVICES, ...(props.sessionManager ? SESSION_MANAGER_SERVICES : {}) };
    for (const [name, service] of Object.entries(services)) {
      const securityGroup = new ec2.SecurityGroup(this, `${name}SecurityGroup`, {
        vpc: props.vpc,
        description: `${name} interface endpoint: HTTPS from inside the VPC only`,
        allowAllOutbound: false, // endpoints only answer; they never open connections
      });
      securityGroup.addIngressRule(ec2.Peer.ipv4(props.vpcCidr), ec2.Port.tcp(443), 'HTTPS from the VPC CIDR');
      this.interfaceEndpoints[name] = new ec2.InterfaceVpcEndpoint(this, name, {
        vpc: props.vpc,
        service,
        privateDnsEnabled: true,
        open: false, // the security group above is the only ingress rule
        securityGroups: [securityGroup],
        subnets: props.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      });
    }
  }
}
