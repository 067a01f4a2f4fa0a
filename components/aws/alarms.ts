// Alarms: who hears that Sentry is down, its disks fill or its host dies. An SNS topic the
// stack owns (encrypted with a customer managed KMS key, see below) with the email
// subscriptions of sentry:alarmEmails, the metrics the host's heartbeat publishes every
// minute into the stack's own CloudWatch namespace, and one alarm per failure a user must
// act on. The recovery alarm of SentryHost notifies the same topics.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accountRootArn } from "./partition";

export interface AlarmSettings {
    /** Addresses subscribed to the stack's topic (each confirms by email first). */
    emails: string[];
    /** A topic of your own (chat, paging) notified beside the stack's own. */
    topicArn?: string;
    /** Sentry's /_health/ failing this many consecutive minutes raises "unhealthy". */
    unhealthyMinutes: number;
    /** No heartbeat at all for this many minutes: the host is dead or cut off. */
    heartbeatMinutes: number;
    diskWarningPercent: number;
    diskCriticalPercent: number;
    /** Memory not available (MemAvailable) at or above it for five minutes. */
    memoryPercent: number;
}

/** The stack's own CloudWatch namespace: the only one its host may put metrics into. */
export function metricsNamespace(project: string, stack: string): string {
    return `SentryDeploy/${project}-${stack}`;
}

/** One alarm the stack raises: what it watches and how it decides. */
export interface AlarmSpec {
    /** Child name suffix, e.g. "alarm-unhealthy". */
    part: string;
    metricName: string;
    statistic: "Minimum" | "Maximum" | "SampleCount";
    comparisonOperator: "LessThanThreshold" | "GreaterThanOrEqualToThreshold";
    threshold: number;
    periodSeconds: number;
    evaluationPeriods: number;
    treatMissingData: "breaching" | "notBreaching";
    /** What it means and what to do first (the alarm's description, shown in the email). */
    description: string;
}

/**
 * The alarms of a stack, a pure function of its settings (tests and README read it). Missing
 * data counts as breaching only for the heartbeat: every other metric comes with it, so a
 * silent host raises exactly one alarm, "no heartbeat", instead of five.
 */
export function alarmSpecs(stack: string, s: AlarmSettings): AlarmSpec[] {
    const disk = (which: "data" | "root", level: "warning" | "critical", percent: number): AlarmSpec => ({
        part: `alarm-${which}-disk-${level}`,
        metricName: which === "data" ? "DataDiskUsedPercent" : "RootDiskUsedPercent",
        statistic: "Maximum",
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: percent,
        periodSeconds: 300,
        evaluationPeriods: 1,
        treatMissingData: "notBreaching",
        description:
            which === "data"
                ? `Sentry ${stack}: the data volume (/data: Postgres, ClickHouse, Kafka, images) is ${percent}% full or more (${level}). First: docker system df on the host; prune old images; grow sentry:dataVolumeSizeGb (online) or lower sentry:retentionDays.`
                : `Sentry ${stack}: the root disk is ${percent}% full or more (${level}). First: journalctl --vacuum-size=200M, apt-get clean; grow sentry:rootVolumeSizeGb.`,
    });
    return [
        {
            part: "alarm-unhealthy",
            metricName: "HealthCheck",
            statistic: "Minimum",
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            periodSeconds: 60,
            evaluationPeriods: s.unhealthyMinutes,
            treatMissingData: "notBreaching",
            description: `Sentry ${stack}: /_health/ has not answered ok for ${s.unhealthyMinutes} minutes while the host is up. First: on the host, cd /data/self-hosted && docker compose --env-file .env --env-file .env.custom ps; look at web and nginx logs; check memory and disk alarms.`,
        },
        {
            part: "alarm-heartbeat",
            metricName: "Heartbeat",
            statistic: "SampleCount",
            comparisonOperator: "LessThanThreshold",
            threshold: 1,
            periodSeconds: 60,
            evaluationPeriods: s.heartbeatMinutes,
            treatMissingData: "breaching",
            description: `Sentry ${stack}: no heartbeat from the host for ${s.heartbeatMinutes} minutes: it is down, hung or cut off from CloudWatch. First: EC2 console status checks and the recover alarm; then SSM or SSH to the host: systemctl status sentry-heartbeat.timer; journalctl -u sentry-heartbeat.`,
        },
        disk("data", "warning", s.diskWarningPercent),
        disk("data", "critical", s.diskCriticalPercent),
        disk("root", "warning", s.diskWarningPercent),
        disk("root", "critical", s.diskCriticalPercent),
        {
            part: "alarm-memory",
            metricName: "MemoryUsedPercent",
            statistic: "Minimum",
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: s.memoryPercent,
            periodSeconds: 60,
            evaluationPeriods: 5,
            treatMissingData: "notBreaching",
            description: `Sentry ${stack}: memory has been ${s.memoryPercent}% used or more for 5 minutes (swap is next, then the OOM killer). First: docker stats --no-stream; check Redis against sentry:redisMaxMemory; an event flood: lower sentry:eventsPerMinuteLimit; else a bigger sentry:instanceType.`,
        },
    ];
}

export interface AlarmTopicArgs {
    stack: string;
    settings: AlarmSettings;
    partition: pulumi.Input<string>;
    accountId: pulumi.Input<string>;
    /** cloudwatch.amazonaws.com as the provider names it in this partition. */
    cloudwatchPrincipal: pulumi.Input<string>;
    /** Production: the longest key deletion window. */
    protect: boolean;
}

export interface AlarmTopic {
    topic: aws.sns.Topic;
    /** Every topic an alarm notifies (the stack's, and sentry:alarmTopicArn). */
    actions: pulumi.Output<string>[];
    subscriptions: aws.sns.TopicSubscription[];
}

/**
 * The stack's alarm topic, its key and the email subscriptions. `n` and `tags` name and tag
 * children as the calling component does; `opts` parents them to it.
 */
export function createAlarmTopic(n: (part: string) => string, tags: (part: string) => Record<string, string>, args: AlarmTopicArgs, opts: pulumi.CustomResourceOptions): AlarmTopic {
    // CloudWatch cannot publish to a topic encrypted with the AWS managed key alias/aws/sns:
    // that key's policy does not let cloudwatch.amazonaws.com use it, and it cannot be edited
    // (the alarm's history then says it is not authorized to use the topic's key, and nobody
    // is told). A customer managed key with CloudWatch in its policy works; it costs about
    // 1 USD a month.
    const key = new aws.kms.Key(
        n("alarms-key"),
        {
            description: `Sentry ${args.stack}: encrypts the alarm topic`,
            enableKeyRotation: true,
            deletionWindowInDays: args.protect ? 30 : 7,
            policy: pulumi.all([args.partition, args.accountId, args.cloudwatchPrincipal]).apply(([partition, account, cloudwatch]) =>
                JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        { Sid: "AccountAdministers", Effect: "Allow", Principal: { AWS: accountRootArn(partition, account) }, Action: "kms:*", Resource: "*" },
                        {
                            Sid: "CloudWatchAlarmsPublish",
                            Effect: "Allow",
                            Principal: { Service: cloudwatch },
                            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                            Resource: "*",
                            Condition: { StringEquals: { "aws:SourceAccount": account } },
                        },
                    ],
                }),
            ),
            tags: tags("alarms-key"),
        },
        opts,
    );
    const topic = new aws.sns.Topic(n("alarms"), { namePrefix: `${n("alarms")}-`, displayName: `Sentry ${args.stack}`, kmsMasterKeyId: key.arn, tags: tags("alarms") }, opts);
    new aws.sns.TopicPolicy(
        n("alarms-policy"),
        {
            arn: topic.arn,
            policy: pulumi.all([topic.arn, args.accountId, args.cloudwatchPrincipal]).apply(([arn, account, cloudwatch]) =>
                JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: "CloudWatchAlarmsOfThisAccount",
                            Effect: "Allow",
                            Principal: { Service: cloudwatch },
                            Action: "sns:Publish",
                            Resource: arn,
                            Condition: { StringEquals: { "aws:SourceAccount": account } },
                        },
                    ],
                }),
            ),
        },
        opts,
    );
    const subscriptions = args.settings.emails.map(
        (email, i) => new aws.sns.TopicSubscription(n(`alarms-email-${i}`), { topic: topic.arn, protocol: "email", endpoint: email }, opts),
    );
    const actions = [topic.arn, ...(args.settings.topicArn ? [pulumi.output(args.settings.topicArn)] : [])];
    return { topic, actions, subscriptions };
}

export interface MetricAlarmsArgs {
    stack: string;
    namespace: string;
    settings: AlarmSettings;
    actions: pulumi.Input<string>[];
    /** The heartbeat alarm is created once the heartbeat runs (else it would alarm during the first install). */
    heartbeatInstalled?: pulumi.Resource;
}

/** One CloudWatch alarm per alarmSpecs entry, notifying `actions` on alarm and on recovery. */
export function createMetricAlarms(n: (part: string) => string, tags: (part: string) => Record<string, string>, args: MetricAlarmsArgs, opts: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm[] {
    return alarmSpecs(args.stack, args.settings).map(
        (spec) =>
            new aws.cloudwatch.MetricAlarm(
                n(spec.part),
                {
                    alarmDescription: spec.description,
                    namespace: args.namespace,
                    metricName: spec.metricName,
                    statistic: spec.statistic,
                    period: spec.periodSeconds,
                    evaluationPeriods: spec.evaluationPeriods,
                    threshold: spec.threshold,
                    comparisonOperator: spec.comparisonOperator,
                    treatMissingData: spec.treatMissingData,
                    alarmActions: args.actions,
                    okActions: args.actions,
                    tags: tags(spec.part),
                },
                { ...opts, ...(spec.part === "alarm-heartbeat" && args.heartbeatInstalled ? { dependsOn: [args.heartbeatInstalled] } : {}) },
            ),
    );
}

/** The host role's permission to publish its heartbeat: PutMetricData into its own namespace only. */
export function putMetricsPolicy(namespace: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "HeartbeatIntoOwnNamespace",
                Effect: "Allow",
                Action: "cloudwatch:PutMetricData",
                // PutMetricData has no resource type: the namespace condition is what limits it.
                Resource: "*",
                Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
            },
        ],
    });
}
