import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CIS_ALARM_PERIOD_MINUTES } from './defaults';

export interface LogPatternAlarmProps {
  readonly logGroup: logs.ILogGroup;
  /** A CloudWatch Logs filter pattern; every matching event counts 1. */
  readonly pattern: string;
  readonly metricNamespace: string;
  readonly metricName: string;
  readonly alarmDescription: string;
  readonly action: cloudwatch.IAlarmAction;
}

/** A metric filter on a log group and an alarm on any single match in the CIS evaluation period. */
export class LogPatternAlarm extends Construct {
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: LogPatternAlarmProps) {
    super(scope, id);
    const filter = new logs.MetricFilter(this, 'Filter', {
      logGroup: props.logGroup,
      filterPattern: logs.FilterPattern.literal(props.pattern),
      metricNamespace: props.metricNamespace,
      metricName: props.metricName,
      metricValue: '1',
    });
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmDescription: props.alarmDescription,
      metric: filter.metric({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(CIS_ALARM_PERIOD_MINUTES) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm.addAlarmAction(props.action);
  }
}
