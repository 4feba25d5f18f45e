import { Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { acknowledgeProtectionAfterCreate, ProtectedResource } from './deletion-protection-after-create';

/** Where the ALB's TLS certificate comes from: an existing ACM certificate, or a DNS-validated one for a domain. */
export type LoadBalancerCertificate =
  | { readonly certificateArn: string }
  | {
      readonly domainName: string;
      /** Route 53 public hosted zone that validates the certificate and holds the alias record. */
      readonly hostedZoneId: string;
      readonly hostedZoneName: string;
    };

export interface SecureLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  readonly certificate: LoadBalancerCertificate;
  /** SSE-S3 bucket for access logs (ALB access logs cannot use SSE-KMS). */
  readonly accessLogsBucket: s3.IBucket;
  /** Key prefix of the access logs. @default 'alb' */
  readonly accessLogsPrefix?: string;
  /** Where the load balancer runs. @default - public subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * The internet-facing entry point: an ALB that serves HTTPS only (ACM certificate, TLS 1.3/1.2 policy), answers
 * port 80 with a redirect and nothing else, drops invalid headers, mitigates desync strictly, fails closed when
 * WAF is unavailable, cannot be deleted by accident and writes access logs.
 * Targets are added to `httpsListener`; the security group's only egress is what those targets open.
 */
export class SecureLoadBalancer extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** How DeletionProtectionAfterCreate turns on the ALB's deletion protection. */
  readonly protection: ProtectedResource;
  readonly httpsListener: elbv2.ApplicationListener;
  readonly securityGroup: ec2.SecurityGroup;
  readonly certificate: acm.ICertificate;
  /** The DNS name clients use: the configured domain, or the ALB's own name. */
  readonly endpointName: string;

  constructor(scope: Construct, id: string, props: SecureLoadBalancerProps) {
    super(scope, id);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Internet-facing ALB: HTTPS 443, and 80 for the redirect only',
      allowAllOutbound: false,
    });
    // CDK drops its "no traffic" placeholder once an egress rule is added, and SG-to-SG rules (the only ones here:
    // to the service) are separate resources, so the inline list would be empty and EC2 would allow all egress.
    (this.securityGroup.node.defaultChild as ec2.CfnSecurityGroup).addPropertyOverride('SecurityGroupEgress', [
      {
        CidrIp: '255.255.255.255/32',
        Description: 'Disallow all traffic',
        IpProtocol: 'icmp',
        FromPort: 252,
        ToPort: 86,
      },
    ]);
    this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from clients');
    this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP, answered with a redirect to HTTPS');
    acknowledge(
      this.securityGroup.node.defaultChild!,
      'AwsSolutions::AwsSolutions-EC23',
      'Design decision: the ALB is the public entry point for mobile clients, so 80/443 are open to 0.0.0.0/0 ' +
        '(pillar P12). Compensating controls: WAF (managed rules, IP reputation, rate limit), TLS 1.2+ policy, ' +
        'port 80 only redirects, and the SG egress reaches only the service port.',
    );

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Resource', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PUBLIC },
      internetFacing: true,
      securityGroup: this.securityGroup,
      dropInvalidHeaderFields: true,
      desyncMitigationMode: elbv2.DesyncMitigationMode.STRICTEST,
      // Deletion protection comes after the stack's create (DeletionProtectionAfterCreate): set here, a failed first
      // deploy could not delete the ALB and the stack would end in ROLLBACK_FAILED.
      wafFailOpen: false,
      http2Enabled: true,
      // Pinned because the service is tuned to it: the event stream pings every socket every 25 s
      // (EVENTS_PING_SECONDS) so a quiet WebSocket is never cut, and keep-alive (75 s) outlasts it.
      idleTimeout: Duration.seconds(60),
    });
    this.loadBalancer.logAccessLogs(props.accessLogsBucket, props.accessLogsPrefix ?? 'alb');
    // Not even `false`: an absent attribute is never re-applied by a later stack update.
    this.loadBalancer.removeAttribute('deletion_protection.enabled');
    acknowledgeProtectionAfterCreate(this.loadBalancer.node.defaultChild!, [
      'HIPAA.Security::HIPAA.Security-ELBDeletionProtectionEnabled',
      'NIST.800.53.R5::NIST.800.53.R5-ELBDeletionProtectionEnabled',
    ]);
    this.protection = {
      id: 'LoadBalancer',
      resource: this.loadBalancer,
      call: {
        service: 'ElasticLoadBalancingV2',
        action: 'ModifyLoadBalancerAttributes',
        parameters: {
          LoadBalancerArn: this.loadBalancer.loadBalancerArn,
          Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }],
        },
        physicalResourceId: cr.PhysicalResourceId.of('deletion-protection:load-balancer'),
      },
      permission: new iam.PolicyStatement({
        sid: 'ProtectLoadBalancer',
        actions: ['elasticloadbalancing:ModifyLoadBalancerAttributes'],
        resources: [this.loadBalancer.loadBalancerArn],
      }),
    };

    const cert = props.certificate;
    if ('certificateArn' in cert) {
      this.certificate = acm.Certificate.fromCertificateArn(this, 'Certificate', cert.certificateArn);
      this.endpointName = this.loadBalancer.loadBalancerDnsName;
    } else {
      // No lookup: the zone is given by id and name, so synth stays offline.
      const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'HostedZone', {
        hostedZoneId: cert.hostedZoneId,
        zoneName: cert.hostedZoneName,
      });
      this.certificate = new acm.Certificate(this, 'Certificate', {
        domainName: cert.domainName,
        validation: acm.CertificateValidation.fromDns(zone),
      });
      new route53.ARecord(this, 'AliasRecord', {
        zone,
        recordName: cert.domainName,
        target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer)),
      });
      this.endpointName = cert.domainName;
    }

    this.httpsListener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [this.certificate],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
    });

    const redirect = this.loadBalancer.addListener('HttpRedirect', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    for (const pack of ['HIPAA.Security', 'NIST.800.53.R5'] as const) {
      acknowledge(
        redirect,
        `${pack}::${pack}-ELBv2ACMCertificateRequired`,
        'The port-80 listener serves no content: its only action is a permanent redirect to the HTTPS listener, ' +
          'which uses the ACM certificate (known cdk-nag false positive).',
      );
    }
  }
}
