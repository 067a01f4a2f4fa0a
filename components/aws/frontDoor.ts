// The front door of a SentryHost: how HTTPS on the stack's own domain reaches Sentry.
//  - tls alb: an Application Load Balancer in two availability zones with an ACM certificate
//    (DNS-validated, renewed by AWS), HTTPS with a current TLS policy, HTTP only redirecting,
//    invalid header fields dropped, the host's web port open to the load balancer alone, and
//    an alias record for the domain;
//  - tls acme: the host answers HTTPS itself (components/host/ runs the TLS server): ports 80
//    and 443 open to webCidrs, an A record for the domain pointing at the Elastic IP;
//  - tls proxy / none: nothing here; the web port stays open to webCidrs as before.
// Without a hosted zone every record is printed (and returned as `dnsRecords`) for you to
// create, and the certificate's validation waits for it within FrontDoorSpec.validationTimeout.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FrontDoorSpec, HostedZoneRef } from "./frontDoorSpec";
import { cidrIngressRules } from "./network";
import { childName, resourceTags, StackIdentity } from "../tags";

/**
 * The HTTPS listener's security policy: TLS 1.3 preferred, TLS 1.2 the minimum, only forward-
 * secret AEAD ciphers (the "Res" variant of the policy the ELB console picks by default;
 * Elastic Load Balancing's "Security policies for your Application Load Balancer").
 */
export const ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06";

/** What Route 53 should hold for the stack: created in the zone, or printed for you to create. */
export interface DnsRecord {
    name: string;
    type: "A" | "CNAME" | "TXT" | "MX" | "ALIAS";
    value: string;
    /** Why the record exists, for the list printed without a hosted zone. */
    purpose: string;
}

export interface FrontDoorArgs {
    spec: FrontDoorSpec;
    identity: StackIdentity;
    /** Production: deletion protection on the load balancer, and Pulumi's protect. */
    protect: boolean;
    vpcId: pulumi.Output<string>;
    /** The host's subnet (its zone is the load balancer's first). */
    hostSubnetId: pulumi.Output<string>;
    hostAvailabilityZone: pulumi.Output<string>;
    /** Own VPC: its public route table, for the load balancer's second subnet. */
    publicRouteTableId?: pulumi.Output<string>;
    hostSecurityGroupId: pulumi.Output<string>;
    instanceId: pulumi.Output<string>;
    publicIp: pulumi.Output<string>;
    webPort: number;
    webCidrs: string[];
    /** The hosted zone's id (hostedZoneId), or undefined to print the records instead. */
    zoneId?: pulumi.Output<string>;
}

export interface FrontDoor {
    /** The records the stack needs in DNS; empty when the program created them in the hosted zone. */
    dnsRecords: pulumi.Output<DnsRecord[]>;
    /** What the provisioner should wait for (the domain's record, with acme: the CA resolves it). */
    ready: pulumi.Resource[];
    loadBalancerDnsName?: pulumi.Output<string>;
}

/** The hosted zone's id, looked up by name (a public zone) or checked by id. */
export function hostedZoneId(ref: HostedZoneRef, domain: string, parent: pulumi.Resource): pulumi.Output<string> {
    const zone = aws.route53.getZoneOutput("id" in ref ? { zoneId: ref.id } : { name: ref.name, privateZone: false }, { parent });
    return pulumi.all([zone.zoneId, zone.name, zone.privateZone]).apply(([id, zoneName, isPrivate]) => {
        const z = zoneName.replace(/\.$/, "");
        if (isPrivate) {
            throw new pulumi.ResourceError(`sentry:hostedZone = ${"id" in ref ? ref.id : ref.name}: ${z} is a private zone; browsers and certificate authorities resolve names in public zones. Fix: set sentry:hostedZone to the public zone of ${domain}`, parent);
        }
        if (domain !== z && !domain.endsWith(`.${z}`)) {
            throw new pulumi.ResourceError(`sentry:hostedZone = ${"id" in ref ? ref.id : ref.name}: the zone is ${z}, which does not hold sentry:domain ${domain}. Fix: set sentry:hostedZone to the zone of ${domain}`, parent);
        }
        return id;
    }) as pulumi.Output<string>;
}

/** Logs each record a person has to create, once the values are known. */
function announce(records: pulumi.Output<DnsRecord[]>, parent: pulumi.Resource): void {
    records.apply((list) => {
        if (list.length > 0) {
            pulumi.log.info(
                `No sentry:hostedZone: create these records in the DNS of your domain (they are also the stack output dnsRecords); pulumi up waits for the validation records:\n${list
                    .map((r) => `  ${r.name} ${r.type} ${r.value}   (${r.purpose})`)
                    .join("\n")}`,
                parent,
            );
        }
        return list;
    });
}

/** The first available zone other than the host's: where the load balancer's second subnet goes. */
function secondZone(hostZone: pulumi.Output<string>, parent: pulumi.Resource): pulumi.Output<string> {
    const names = aws.getAvailabilityZonesOutput({ state: "available" }, { parent }).names;
    return pulumi.all([names, hostZone]).apply(([all, host]) => {
        const other = all.find((z) => z !== host);
        if (other === undefined) {
            throw new pulumi.ResourceError(`the region offers only the availability zone ${host}, and a load balancer needs two. Fix: pick another aws:region, or sentry:tls acme`, parent);
        }
        return other;
    });
}

/** The existing subnets the load balancer uses, checked: all of sentry:vpcId, in two zones or more. */
function existingAlbSubnets(subnetIds: string[], vpcId: pulumi.Output<string>, parent: pulumi.Resource): pulumi.Output<string[]> {
    const subnets = subnetIds.map((id) => aws.ec2.getSubnetOutput({ id }, { parent }));
    const described = pulumi.all(subnets.map((s) => pulumi.all([s.id, s.vpcId, s.availabilityZone])));
    return pulumi.all([vpcId, described]).apply(([vpc, facts]) => {
        const foreign = facts.filter(([, v]) => v !== vpc).map(([id, v]) => `${id} (in ${v})`);
        if (foreign.length > 0) {
            throw new pulumi.ResourceError(`sentry:albSubnetIds: ${foreign.join(", ")} not in sentry:vpcId ${vpc}. Fix: list public subnets of ${vpc}`, parent);
        }
        const zones = new Set(facts.map(([, , z]) => z));
        if (zones.size < 2) {
            throw new pulumi.ResourceError(
                `sentry:albSubnetIds = ${JSON.stringify(subnetIds)}: all in ${[...zones].join(", ")}, and a load balancer needs subnets in two availability zones. Fix: add a public subnet of another zone`,
                parent,
            );
        }
        return facts.map(([id]) => id);
    });
}

/**
 * Creates the front door for `args.spec.tls`, parented to `parent`, every child named
 * `<name>-<part>`. The host security group's web rules are the caller's: this adds only
 * what the mode needs beyond them.
 */
export function createFrontDoor(name: string, args: FrontDoorArgs, parent: pulumi.Resource): FrontDoor {
    const spec = args.spec;
    const opts = { parent };
    const n = (part: string) => childName(name, part);
    const tags = (part: string) => resourceTags(args.identity, n(part));
    const domain = spec.domain;
    if (spec.tls !== "alb" && spec.tls !== "acme") {
        return { dnsRecords: pulumi.output([]), ready: [] };
    }
    if (domain === undefined) {
        throw new pulumi.ResourceError(`sentry:tls ${spec.tls} needs sentry:domain`, parent);
    }
    const zoneId = args.zoneId;

    if (spec.tls === "acme") {
        if (zoneId === undefined) {
            const records = args.publicIp.apply((ip): DnsRecord[] => [{ name: domain, type: "A", value: ip, purpose: "the site; the ACME CA resolves it to check the HTTP-01 challenge" }]);
            announce(records, parent);
            return { dnsRecords: records, ready: [] };
        }
        const record = new aws.route53.Record(n("dns"), { zoneId, name: domain, type: "A", ttl: 300, records: [args.publicIp], allowOverwrite: false }, opts);
        return { dnsRecords: pulumi.output([]), ready: [record] };
    }

    // ---- tls alb ----
    const keep: pulumi.CustomResourceOptions = args.protect ? { protect: true } : {};
    const manual: pulumi.Output<DnsRecord>[] = [];

    // The certificate: brought, or issued by ACM and validated through DNS.
    let certificateArn: pulumi.Output<string>;
    if (spec.certificateArn !== undefined) {
        certificateArn = pulumi.output(spec.certificateArn);
    } else {
        const cert = new aws.acm.Certificate(n("cert"), { domainName: domain, validationMethod: "DNS", tags: tags("cert") }, opts);
        const option = cert.domainValidationOptions.apply((o) => {
            const first = o.find((d) => d.domainName === domain) ?? o[0];
            return { name: first?.resourceRecordName ?? "", type: first?.resourceRecordType ?? "CNAME", value: first?.resourceRecordValue ?? "" };
        });
        const timeouts = { customTimeouts: { create: spec.validationTimeout } };
        let validation: aws.acm.CertificateValidation;
        if (zoneId !== undefined) {
            const record = new aws.route53.Record(
                n("cert-validation"),
                { zoneId, name: option.name, type: option.type, ttl: 300, records: [option.value], allowOverwrite: true },
                opts,
            );
            validation = new aws.acm.CertificateValidation(n("cert-validated"), { certificateArn: cert.arn, validationRecordFqdns: [record.fqdn] }, { ...opts, ...timeouts });
        } else {
            manual.push(option.apply((o): DnsRecord => ({ name: o.name.replace(/\.$/, ""), type: "CNAME", value: o.value.replace(/\.$/, ""), purpose: `ACM's DNS validation of ${domain}; keep it, AWS renews through it` })));
            validation = new aws.acm.CertificateValidation(n("cert-validated"), { certificateArn: cert.arn }, { ...opts, ...timeouts });
        }
        certificateArn = validation.certificateArn;
    }

    // The load balancer's two zones: the host's subnet and a second public one.
    let subnets: pulumi.Input<string>[] | pulumi.Output<string[]>;
    if (spec.albSubnets?.kind === "existing") {
        subnets = existingAlbSubnets(spec.albSubnets.subnetIds, args.vpcId, parent);
    } else {
        if (spec.albSubnets === undefined || args.publicRouteTableId === undefined) {
            throw new pulumi.ResourceError("tls alb in the stack's own VPC needs the second subnet's CIDR and the VPC's public route table", parent);
        }
        const second = new aws.ec2.Subnet(
            n("alb-subnet"),
            { vpcId: args.vpcId, cidrBlock: spec.albSubnets.cidr, availabilityZone: secondZone(args.hostAvailabilityZone, parent), mapPublicIpOnLaunch: false, tags: tags("alb-subnet") },
            opts,
        );
        new aws.ec2.RouteTableAssociation(n("alb-rta"), { subnetId: second.id, routeTableId: args.publicRouteTableId }, opts);
        subnets = [args.hostSubnetId, second.id];
    }

    // webCidrs reach the load balancer on 443 (and 80, which only redirects); the load balancer
    // alone reaches the host's web port.
    const albSg = new aws.ec2.SecurityGroup(
        n("alb-sg"),
        { vpcId: args.vpcId, description: `Sentry ${args.identity.stack} load balancer: HTTPS (and the redirect from HTTP) from webCidrs`, tags: tags("alb-sg") },
        opts,
    );
    for (const [part, port, what] of [
        ["alb-https", 443, "HTTPS to Sentry"],
        ["alb-http", 80, "HTTP, redirected to HTTPS"],
    ] as const) {
        cidrIngressRules(n, tags, albSg.id, { part, cidrs: args.webCidrs, port, what }, opts);
    }
    new aws.vpc.SecurityGroupEgressRule(
        n("alb-to-host"),
        { securityGroupId: albSg.id, ipProtocol: "tcp", fromPort: args.webPort, toPort: args.webPort, referencedSecurityGroupId: args.hostSecurityGroupId, description: "to Sentry's web port on the host", tags: tags("alb-to-host") },
        opts,
    );
    new aws.vpc.SecurityGroupIngressRule(
        n("web-from-alb"),
        { securityGroupId: args.hostSecurityGroupId, ipProtocol: "tcp", fromPort: args.webPort, toPort: args.webPort, referencedSecurityGroupId: albSg.id, description: "Sentry web from the load balancer only", tags: tags("web-from-alb") },
        opts,
    );

    const lb = new aws.lb.LoadBalancer(
        n("alb"),
        {
            loadBalancerType: "application",
            internal: false,
            ipAddressType: "ipv4",
            securityGroups: [albSg.id],
            subnets,
            // Requests with header names that are not valid HTTP are dropped, not passed to Sentry.
            dropInvalidHeaderFields: true,
            desyncMitigationMode: "strictest",
            enableDeletionProtection: args.protect,
            // Source map and debug file uploads take longer than the 60 s default.
            idleTimeout: 300,
            tags: tags("alb"),
        },
        { ...opts, ...keep },
    );
    const targets = new aws.lb.TargetGroup(
        n("tg"),
        {
            port: args.webPort,
            protocol: "HTTP",
            targetType: "instance",
            vpcId: args.vpcId,
            deregistrationDelay: 30,
            healthCheck: { path: "/_health/", protocol: "HTTP", port: "traffic-port", matcher: "200", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
            tags: tags("tg"),
        },
        opts,
    );
    new aws.lb.TargetGroupAttachment(n("tg-host"), { targetGroupArn: targets.arn, targetId: args.instanceId, port: args.webPort }, opts);
    new aws.lb.Listener(
        n("https"),
        { loadBalancerArn: lb.arn, port: 443, protocol: "HTTPS", sslPolicy: ALB_TLS_POLICY, certificateArn, defaultActions: [{ type: "forward", targetGroupArn: targets.arn }], tags: tags("https") },
        opts,
    );
    new aws.lb.Listener(
        n("http"),
        { loadBalancerArn: lb.arn, port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }], tags: tags("http") },
        opts,
    );

    const ready: pulumi.Resource[] = [];
    if (zoneId !== undefined) {
        ready.push(new aws.route53.Record(n("dns"), { zoneId, name: domain, type: "A", aliases: [{ name: lb.dnsName, zoneId: lb.zoneId, evaluateTargetHealth: true }] }, opts));
    } else {
        manual.push(lb.dnsName.apply((dns): DnsRecord => ({ name: domain, type: "CNAME", value: dns, purpose: "the site (at a zone apex, an ALIAS/ANAME to the load balancer)" })));
    }
    const records = pulumi.all(manual);
    announce(records, parent);
    return { dnsRecords: records, ready, loadBalancerDnsName: lb.dnsName };
}
