// AWS partitions: the same program deploys to the commercial regions (aws), AWS China
// (aws-cn: cn-north-1, cn-northwest-1) and GovCloud (aws-us-gov). ARNs and the publisher of the
// Ubuntu images differ per partition; the components take the partition from the provider
// (aws.getPartition) and service principals from aws.getServicePrincipal, and build every ARN
// with the functions below, so no `arn:aws:` literal is left to break a China deployment.

/**
 * Canonical's AWS account per partition, the publisher of the official Ubuntu images
 * (Ubuntu's "Find Ubuntu images on AWS" documentation; the China and GovCloud images are
 * published from accounts of their own).
 */
export const CANONICAL_OWNER_BY_PARTITION: Readonly<Record<string, string>> = {
    aws: "099720109477",
    "aws-cn": "837727238323",
    "aws-us-gov": "513442679011",
};

/** The partition a region belongs to, from its name (what aws.getPartition answers for it). */
export function partitionOfRegion(region: string): string {
    if (region.startsWith("cn-")) {
        return "aws-cn";
    }
    if (region.startsWith("us-gov-")) {
        return "aws-us-gov";
    }
    return "aws";
}

/** An AWS managed IAM policy, e.g. managedPolicyArn("aws-cn", "AmazonSSMManagedInstanceCore"). */
export function managedPolicyArn(partition: string, name: string): string {
    return `arn:${partition}:iam::aws:policy/${name}`;
}

/** The CloudWatch alarm action that recovers an EC2 instance onto healthy hardware. */
export function recoverActionArn(partition: string, region: string): string {
    return `arn:${partition}:automate:${region}:ec2:recover`;
}

/** Canonical's account for a partition, or a message saying there is none to use. */
export function canonicalOwnerProblem(partition: string): string | undefined {
    return CANONICAL_OWNER_BY_PARTITION[partition]
        ? undefined
        : `no Canonical Ubuntu image publisher is known for the AWS partition ${partition}; set sentry:amiId to an Ubuntu 24.04 image of your own`;
}

/** The account's root principal (key policies grant the account, then IAM decides). */
export function accountRootArn(partition: string, accountId: string): string {
    return `arn:${partition}:iam::${accountId}:root`;
}

/** An SNS topic's ARN, e.g. to check that sentry:alarmTopicArn lies in the stack's partition and region. */
export const SNS_TOPIC_ARN_RE = /^arn:(aws|aws-cn|aws-us-gov):sns:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):([A-Za-z0-9_-]{1,256})$/;

/** Every EBS snapshot of a region (snapshots have no account in their ARN). */
export function snapshotsArn(partition: string, region: string): string {
    return `arn:${partition}:ec2:${region}::snapshot/*`;
}
