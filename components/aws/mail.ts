// Mail that delivers, through Amazon SES (sentry:mail ses): a domain identity for the stack's
// domain with Easy DKIM (three CNAME records), a custom MAIL FROM subdomain (MX and SPF), the
// admin address verified (so the first mails arrive while the account is in the SES sandbox),
// and SMTP credentials of a dedicated IAM user that may only send as that identity. Without a
// hosted zone every record is printed (and returned) for you to create, and `pulumi up` waits
// for the identity's verification within the validation timeout.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DnsRecord } from "./frontDoor";
import { SesSpec } from "./frontDoorSpec";
import { childName, resourceTags, StackIdentity } from "../tags";

/** The subdomain SES uses as the envelope sender (MAIL FROM), so SPF aligns with the domain. */
export const MAIL_FROM_LABEL = "bounce";

export interface SesMailArgs {
    spec: SesSpec;
    identity: StackIdentity;
    region: string;
    /** The sender address (mail.from); the IAM user may send as this address only. */
    from: string;
    /** The hosted zone's id (looked up by the caller), or undefined to print the records. */
    zoneId?: pulumi.Output<string>;
    validationTimeout: string;
}

export interface SesMail {
    /** SMTP username: the IAM access key id. */
    smtpUsername: pulumi.Output<string>;
    /** SMTP password derived by AWS from the secret access key for this region (secret). */
    smtpPassword: pulumi.Output<string>;
    /** Records to create by hand; empty with a hosted zone. */
    dnsRecords: pulumi.Output<DnsRecord[]>;
    /** What the provisioner waits for before Sentry's first mail: the verified identity and the user's permission. */
    ready: pulumi.Resource[];
}

/** The IAM policy of the SMTP user: send raw mail (what SES's SMTP interface does) as `from` of the identity, nothing else. */
export function sendOnlyPolicy(identityArn: string, from: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "SendAsSentryOnly",
                Effect: "Allow",
                Action: "ses:SendRawEmail",
                Resource: identityArn,
                Condition: { StringEquals: { "ses:FromAddress": from } },
            },
        ],
    });
}

export function createSesMail(name: string, args: SesMailArgs, parent: pulumi.Resource): SesMail {
    const opts = { parent };
    const n = (part: string) => childName(name, part);
    const tags = (part: string) => resourceTags(args.identity, n(part));
    const domain = args.spec.domain;
    const mailFrom = `${MAIL_FROM_LABEL}.${domain}`;
    const manual: pulumi.Output<DnsRecord>[] = [];
    const record = (part: string, r: { name: pulumi.Input<string>; type: DnsRecord["type"]; value: pulumi.Input<string>; purpose: string }) => {
        if (args.zoneId !== undefined) {
            return new aws.route53.Record(n(part), { zoneId: args.zoneId, name: r.name, type: r.type, ttl: 600, records: [r.value], allowOverwrite: false }, opts);
        }
        manual.push(pulumi.all([r.name, r.value]).apply(([recordName, value]): DnsRecord => ({ name: recordName, type: r.type, value, purpose: r.purpose })));
        return undefined;
    };

    const sesIdentity = new aws.ses.DomainIdentity(n("ses-domain"), { domain }, opts);
    const verification = record("ses-verification", { name: `_amazonses.${domain}`, type: "TXT", value: sesIdentity.verificationToken, purpose: "SES verifies it owns the domain" });
    const dkim = new aws.ses.DomainDkim(n("ses-dkim"), { domain: sesIdentity.domain }, opts);
    // Easy DKIM always hands out three tokens, each a CNAME to SES's signing key.
    for (const i of [0, 1, 2]) {
        const token = dkim.dkimTokens.apply((t) => t[i]);
        record(`ses-dkim-${i}`, { name: pulumi.interpolate`${token}._domainkey.${domain}`, type: "CNAME", value: pulumi.interpolate`${token}.dkim.amazonses.com`, purpose: "DKIM: SES signs mail for the domain" });
    }
    new aws.ses.MailFrom(n("ses-mail-from"), { domain: sesIdentity.domain, mailFromDomain: mailFrom, behaviorOnMxFailure: "UseDefaultValue" }, opts);
    record("ses-mail-from-mx", { name: mailFrom, type: "MX", value: `10 feedback-smtp.${args.region}.amazonses.com`, purpose: "MAIL FROM: bounces return to SES" });
    record("ses-mail-from-spf", { name: mailFrom, type: "TXT", value: "v=spf1 include:amazonses.com ~all", purpose: "SPF: SES may send for the MAIL FROM domain" });
    const verified = new aws.ses.DomainIdentityVerification(
        n("ses-verified"),
        { domain: sesIdentity.domain },
        { ...opts, customTimeouts: { create: args.validationTimeout }, dependsOn: verification ? [verification] : [] },
    );

    // In the SES sandbox mail reaches verified addresses only: SES mails each a link to click.
    args.spec.verifyAddresses.forEach((email, i) => new aws.ses.EmailIdentity(n(`ses-verify-${i}`), { email }, opts));

    const user = new aws.iam.User(n("ses-user"), { name: `${name}-ses-smtp`, path: "/sentry/", tags: tags("ses-user") }, opts);
    const policy = new aws.iam.UserPolicy(n("ses-send"), { user: user.name, policy: sesIdentity.arn.apply((arn) => sendOnlyPolicy(arn, args.from)) }, opts);
    const key = new aws.iam.AccessKey(n("ses-key"), { user: user.name }, { ...opts, additionalSecretOutputs: ["secret", "sesSmtpPasswordV4"] });

    const records = pulumi.all(manual);
    records.apply((list) => {
        if (list.length > 0) {
            pulumi.log.info(`No sentry:hostedZone: create these mail records for ${domain} (also in the stack output dnsRecords); pulumi up waits for SES to verify the domain:\n${list.map((r) => `  ${r.name} ${r.type} ${r.value}   (${r.purpose})`).join("\n")}`, parent);
        }
        return list;
    });
    return { smtpUsername: key.id, smtpPassword: pulumi.secret(key.sesSmtpPasswordV4), dnsRecords: records, ready: [verified, policy] };
}
