// Which inputs of a resource force AWS (or the provider) to REPLACE it, i.e. delete it and
// create a new one, instead of updating it in place. The offline plan has no provider to ask
// (`pulumi preview` asks the provider's Diff), so the review diff reads this table.
//
// Source: the AWS provider that pulumi-aws bridges, hashicorp/terraform-provider-aws, whose
// resource schemas mark these arguments `ForceNew: true` (SDKv2 resources, e.g.
// internal/service/ec2/ec2_instance.go, ebs_volume.go, vpc_subnet.go, vpc_flow_log.go,
// internal/service/iam/role.go) or `RequiresReplace()` (framework resources, e.g.
// internal/service/ec2/vpc_security_group_ingress_rule.go); and pulumi-command's schema,
// whose remote Command declares `triggers` as replaceOnChanges. pulumi-aws's own schema.json
// (provider/cmd/pulumi-resource-aws/schema.json) does not carry ForceNew, which is why the
// table is kept here by hand. Checked against provider v7 (@pulumi/aws 7.48.0) on 2026-12-02.
//
// Extending it: add the Pulumi type token (as `npm run plan -- --json` prints it) and the input
// paths in Pulumi's camelCase, dotted for nested blocks ("rootBlockDevice.encrypted"). A path
// also covers everything below it ("ebsBlockDevices" covers "ebsBlockDevices[0].volumeSize").
// A type missing here is reported as "replacement unknown", never silently as an update.

export const REPLACE_ON_CHANGE: Record<string, readonly string[]> = {
    "aws:ec2/vpc:Vpc": ["cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"],
    "aws:ec2/subnet:Subnet": ["vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "outpostArn"],
    "aws:ec2/internetGateway:InternetGateway": [],
    "aws:ec2/routeTable:RouteTable": ["vpcId"],
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ["subnetId", "gatewayId"],
    "aws:ec2/route:Route": ["routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId"],
    "aws:ec2/securityGroup:SecurityGroup": ["name", "namePrefix", "description", "vpcId"],
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ["vpcId"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["securityGroupId"],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ["securityGroupId"],
    "aws:ec2/securityGroupRule:SecurityGroupRule": [
        "type",
        "fromPort",
        "toPort",
        "protocol",
        "cidrBlocks",
        "ipv6CidrBlocks",
        "prefixListIds",
        "securityGroupId",
        "self",
        "sourceSecurityGroupId",
    ],
    "aws:ec2/instance:Instance": [
        "ami",
        "availabilityZone",
        "subnetId",
        "keyName",
        "privateIp",
        "secondaryPrivateIps",
        "placementGroup",
        "associatePublicIpAddress",
        "ebsBlockDevices",
        "ephemeralBlockDevices",
        "networkInterfaces",
        "ipv6AddressCount",
        "ipv6Addresses",
        "securityGroups",
        "cpuOptions",
        "hibernation",
        "enclaveOptions",
        "rootBlockDevice.encrypted",
        "rootBlockDevice.kmsKeyId",
    ],
    "aws:ec2/eip:Eip": ["domain", "address", "publicIpv4Pool", "networkBorderGroup", "customerOwnedIpv4Pool", "ipamPoolId"],
    "aws:ec2/eipAssociation:EipAssociation": ["allocationId", "instanceId", "networkInterfaceId", "privateIpAddress", "publicIp", "allowReassociation"],
    "aws:ebs/volume:Volume": ["availabilityZone", "encrypted", "kmsKeyId", "snapshotId", "outpostArn"],
    "aws:ec2/volumeAttachment:VolumeAttachment": ["deviceName", "instanceId", "volumeId"],
    "aws:ec2/keyPair:KeyPair": ["keyName", "keyNamePrefix", "publicKey"],
    "aws:ec2/flowLog:FlowLog": [
        "vpcId",
        "subnetId",
        "eniId",
        "transitGatewayId",
        "trafficType",
        "logDestination",
        "logDestinationType",
        "iamRoleArn",
        "logFormat",
        "maxAggregationInterval",
        "destinationOptions",
        "deliverCrossAccountRole",
    ],
    "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix", "logGroupClass"],
    "aws:cloudwatch/metricAlarm:MetricAlarm": ["name"],
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": [],
    "aws:iam/role:Role": ["name", "namePrefix", "path"],
    "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["role", "policyArn"],
    "aws:iam/instanceProfile:InstanceProfile": ["name", "namePrefix", "path"],
    "aws:iam/policy:Policy": ["name", "namePrefix", "path"],
    "aws:iam/user:User": [],
    "aws:iam/accessKey:AccessKey": ["user", "pgpKey"],
    "aws:lb/loadBalancer:LoadBalancer": ["name", "namePrefix", "internal", "loadBalancerType", "customerOwnedIpv4Pool"],
    "aws:lb/targetGroup:TargetGroup": ["name", "namePrefix", "port", "protocol", "protocolVersion", "vpcId", "targetType", "ipAddressType"],
    "aws:lb/listener:Listener": ["loadBalancerArn"],
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": ["targetGroupArn", "targetId", "port", "availabilityZone"],
    "aws:acm/certificate:Certificate": ["domainName", "subjectAlternativeNames", "keyAlgorithm", "privateKey", "certificateBody", "certificateChain"],
    "aws:acm/certificateValidation:CertificateValidation": ["certificateArn", "validationRecordFqdns"],
    "aws:ses/domainIdentity:DomainIdentity": ["domain"],
    "aws:ses/domainDkim:DomainDkim": ["domain"],
    "aws:sesv2/emailIdentity:EmailIdentity": ["emailIdentity"],
    "aws:sns/topic:Topic": ["name", "namePrefix", "fifoTopic"],
    "aws:sns/topicSubscription:TopicSubscription": ["topicArn", "protocol", "endpoint"],
    "aws:ec2/vpcEndpoint:VpcEndpoint": ["vpcId", "serviceName", "vpcEndpointType"],
    "aws:ecr/repository:Repository": ["name"],
    "tls:index/privateKey:PrivateKey": ["algorithm", "ecdsaCurve", "rsaBits"],
    "command:remote:Command": ["triggers"],
    "command:local:Command": ["triggers"],
};

/** Whether changing `path` of a `type` resource replaces it: true, false, or undefined when the table does not know the type. */
export function forcesReplacement(type: string, path: string): boolean | undefined {
    const paths = REPLACE_ON_CHANGE[type];
    if (!paths) {
        return undefined;
    }
    return paths.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
}
