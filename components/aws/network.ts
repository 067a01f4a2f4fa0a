// The network a SentryHost lives in: by default a VPC of its own per stack (the isolation
// between staging and prod is the point), or an existing VPC and public subnet.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicyFor, iamNamePrefix } from "./iam";
import { childName, resourceTags, StackIdentity } from "../tags";
import { isOpenToWorld } from "../validation";

export type NetworkSpec =
    | { kind: "new"; vpcCidr: string; subnetCidr: string; availabilityZone?: string; flowLogRetentionDays: number }
    | { kind: "existing"; vpcId: string; subnetId: string };

export interface Network {
    vpcId: pulumi.Output<string>;
    subnetId: pulumi.Output<string>;
    availabilityZone: pulumi.Output<string>;
    vpcCidr: pulumi.Output<string>;
    /** The own VPC's public route table (to the internet gateway), for further public subnets; unset for an existing VPC. */
    publicRouteTableId?: pulumi.Output<string>;
}

/**
 * `offeredIn`: the availability zones that offer the host's instance type (EC2's instance type
 * offerings). Without sentry:availabilityZone the new network goes to the first available zone
 * among them, so a type missing from some zones of a region still lands where it runs.
 */
export function createNetwork(name: string, spec: NetworkSpec, identity: StackIdentity, parent: pulumi.Resource, offeredIn: pulumi.Input<string[]>): Network {
    const opts = { parent };
    const tags = (part: string) => resourceTags(identity, childName(name, part));
    if (spec.kind === "existing") {
        const subnet = aws.ec2.getSubnetOutput({ id: spec.subnetId }, opts);
        const vpc = aws.ec2.getVpcOutput({ id: spec.vpcId }, opts);
        const subnetId = pulumi.all([subnet.vpcId, subnet.id]).apply(([subnetVpc, id]) => {
            if (subnetVpc !== spec.vpcId) {
                throw new pulumi.ResourceError(`sentry:subnetId = ${spec.subnetId} belongs to ${subnetVpc}, not sentry:vpcId ${spec.vpcId}: pick a public subnet of that VPC`, parent);
            }
            return id;
        });
        return { vpcId: vpc.id, subnetId, availabilityZone: subnet.availabilityZone, vpcCidr: vpc.cidrBlock };
    }

    const availabilityZone = spec.availabilityZone
        ? pulumi.output(spec.availabilityZone)
        : pulumi.all([aws.getAvailabilityZonesOutput({ state: "available" }, opts).names, offeredIn]).apply(([names, offered]) => names.find((z) => offered.includes(z)) ?? names[0]);
    const vpc = new aws.ec2.Vpc(childName(name, "vpc"), { cidrBlock: spec.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") }, opts);
    // The default security group of a new VPC allows all traffic between its members; lock it down (EC2.2).
    new aws.ec2.DefaultSecurityGroup(childName(name, "default-sg"), { vpcId: vpc.id, tags: tags("default-sg") }, opts);
    const igw = new aws.ec2.InternetGateway(childName(name, "igw"), { vpcId: vpc.id, tags: tags("igw") }, opts);
    const subnet = new aws.ec2.Subnet(
        childName(name, "subnet"),
        { vpcId: vpc.id, cidrBlock: spec.subnetCidr, availabilityZone, mapPublicIpOnLaunch: false, tags: tags("subnet") },
        opts,
    );
    const routes = new aws.ec2.RouteTable(
        childName(name, "rt"),
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tags("rt") },
        opts,
    );
    new aws.ec2.RouteTableAssociation(childName(name, "rta"), { subnetId: subnet.id, routeTableId: routes.id }, opts);

    // VPC flow logs (Security Hub EC2.6): rejected and accepted traffic, kept for a bounded time.
    const logGroup = new aws.cloudwatch.LogGroup(
        childName(name, "flow-logs"),
        { namePrefix: `/sentry/${identity.stack}/vpc-flow-logs-`, retentionInDays: spec.flowLogRetentionDays, tags: tags("flow-logs") },
        opts,
    );
    const flowRole = new aws.iam.Role(
        childName(name, "flow-logs-role"),
        {
            namePrefix: iamNamePrefix(`sentry-${identity.stack}-flow`),
            assumeRolePolicy: aws.getServicePrincipalOutput({ serviceName: "vpc-flow-logs" }, opts).name.apply(assumeRolePolicyFor),
            tags: tags("flow-logs-role"),
        },
        opts,
    );
    new aws.iam.RolePolicy(
        childName(name, "flow-logs-policy"),
        {
            role: flowRole.id,
            policy: logGroup.arn.apply((arn) =>
                JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                            Resource: [arn, `${arn}:*`],
                        },
                    ],
                }),
            ),
        },
        opts,
    );
    new aws.ec2.FlowLog(
        childName(name, "flow-log"),
        { vpcId: vpc.id, trafficType: "ALL", logDestinationType: "cloud-watch-logs", logDestination: logGroup.arn, iamRoleArn: flowRole.arn, tags: tags("flow-log") },
        opts,
    );
    return { vpcId: vpc.id, subnetId: subnet.id, availabilityZone, vpcCidr: vpc.cidrBlock, publicRouteTableId: routes.id };
}

/**
 * One TCP ingress rule on `port` per CIDR (IPv4 or IPv6), named `<part>-<i>` by `n`, its
 * description marked "(public)" when the CIDR is open to the world: the host's and the load
 * balancer's security groups build their rules from networks with it.
 */
export function cidrIngressRules(
    n: (part: string) => string,
    tags: (part: string) => Record<string, string>,
    securityGroupId: pulumi.Input<string>,
    rule: { part: string; cidrs: readonly string[]; port: number; what: string },
    opts: pulumi.CustomResourceOptions,
): aws.vpc.SecurityGroupIngressRule[] {
    return rule.cidrs.map(
        (cidr, i) =>
            new aws.vpc.SecurityGroupIngressRule(
                n(`${rule.part}-${i}`),
                {
                    securityGroupId,
                    ipProtocol: "tcp",
                    fromPort: rule.port,
                    toPort: rule.port,
                    ...(cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr }),
                    description: `${rule.what}${isOpenToWorld(cidr) ? " (public)" : ""}`,
                    tags: tags(`${rule.part}-${i}`),
                },
                opts,
            ),
    );
}
