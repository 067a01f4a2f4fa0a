// What the loader hands the AWS side for the front door (HTTPS on your own domain) and for
// mail through Amazon SES: plain data, no Pulumi resources, so config.ts, tests and the
// components share one shape.
import { TlsMode } from "../host/provisioner";

/** A Route 53 public hosted zone, by id (Z...) or by name. */
export type HostedZoneRef = { id: string } | { name: string };

export interface FrontDoorSpec {
    tls: TlsMode;
    /** The name users type; set whenever tls is alb or acme. */
    domain?: string;
    /** Where the program writes the records; unset: it prints them for you to create. */
    hostedZone?: HostedZoneRef;
    /** tls alb: a certificate you bring (existing or imported into ACM) instead of one issued here. */
    certificateArn?: string;
    /**
     * tls alb: the load balancer's second availability zone. Own VPC: the CIDR of the public
     * subnet added beside the host's; existing VPC: the public subnets you name (two or more).
     */
    albSubnets?: { kind: "new"; cidr: string } | { kind: "existing"; subnetIds: string[] };
    /** How long `pulumi up` waits for the certificate's DNS validation records (Go duration). */
    validationTimeout: string;
}

export interface SesSpec {
    /** The SES domain identity: sentry:domain. */
    domain: string;
    hostedZone?: HostedZoneRef;
    /** Addresses verified as SES email identities, so the first mails arrive in the sandbox. */
    verifyAddresses: string[];
}

/** How long `pulumi up` waits for DNS-validation records created by hand. */
export const DEFAULT_VALIDATION_TIMEOUT = "45m";

/** SES's SMTP interface in a region (SES's endpoints and quotas page: email-smtp.<region>.amazonaws.com, STARTTLS on 587). */
export function sesSmtpEndpoint(region: string): string {
    return `email-smtp.${region}.amazonaws.com`;
}
