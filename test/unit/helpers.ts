// Helpers shared by the unit tests.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { onTestFinished } from "vitest";
import { Plan, PlanResource } from "../../tools/planner";

/** The plan's resource with this name; throws when there is none. */
export function byName(plan: Plan, name: string): PlanResource {
    const r = plan.resources.find((x) => x.name === name);
    if (!r) {
        throw new Error(`no resource ${name} in plan for ${plan.stack}`);
    }
    return r;
}

export interface ProcessResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

/**
 * Runs a command to its end without blocking the test worker (spawnSync would keep vitest's
 * worker from answering its runner for the whole run of a slow CLI test file).
 */
export function runProcess(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ProcessResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], timeout: options.timeoutMs ?? 90_000 });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

export interface FrontDoorShape {
    tls: "alb" | "acme" | "proxy" | "none";
    /** A hosted zone: the program creates the records. */
    zone: boolean;
    /** The stack's own VPC (the load balancer's second subnet is created), not an existing one. */
    ownVpc?: boolean;
    /** sentry:certificateArn: no certificate is issued. */
    broughtCertificate?: boolean;
    /** How many webCidrs. */
    webCidrs?: number;
    /** mail ses, with how many verified addresses. */
    ses?: { verify: number };
}

/**
 * The exact children the front door and SES mail add to a SentryHost `p` (components/aws/
 * frontDoor.ts, mail.ts), and the host web rules they replace: "web-<i>" for proxy/none,
 * "https-<i>"/"http-<i>" (443/80) for acme, none for alb (the load balancer alone reaches it).
 */
export function frontDoorInventory(p: string, o: FrontDoorShape): { add: string[]; hostWebRules: string[] } {
    const cidrs = [...Array(o.webCidrs ?? 1).keys()];
    const rule = (part: string) => cidrs.map((i) => `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule ${p}-${part}-${i}`);
    const record = (part: string) => `aws:route53/record:Record ${p}-${part}`;
    const add: string[] = [];
    let hostWebRules: string[] = rule("web");
    if (o.tls === "acme") {
        hostWebRules = [...rule("https"), ...rule("http")];
        if (o.zone) {
            add.push(record("dns"));
        }
    }
    if (o.tls === "alb") {
        hostWebRules = [];
        if (!o.broughtCertificate) {
            add.push(`aws:acm/certificate:Certificate ${p}-cert`, `aws:acm/certificateValidation:CertificateValidation ${p}-cert-validated`);
            if (o.zone) {
                add.push(record("cert-validation"));
            }
        }
        if (o.ownVpc ?? true) {
            add.push(`aws:ec2/subnet:Subnet ${p}-alb-subnet`, `aws:ec2/routeTableAssociation:RouteTableAssociation ${p}-alb-rta`);
        }
        add.push(
            `aws:ec2/securityGroup:SecurityGroup ${p}-alb-sg`,
            ...rule("alb-https"),
            ...rule("alb-http"),
            `aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule ${p}-alb-to-host`,
            `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule ${p}-web-from-alb`,
            `aws:lb/loadBalancer:LoadBalancer ${p}-alb`,
            `aws:lb/targetGroup:TargetGroup ${p}-tg`,
            `aws:lb/targetGroupAttachment:TargetGroupAttachment ${p}-tg-host`,
            `aws:lb/listener:Listener ${p}-https`,
            `aws:lb/listener:Listener ${p}-http`,
            ...(o.zone ? [record("dns")] : []),
        );
    }
    if (o.ses) {
        add.push(
            `aws:ses/domainIdentity:DomainIdentity ${p}-ses-domain`,
            `aws:ses/domainDkim:DomainDkim ${p}-ses-dkim`,
            `aws:ses/mailFrom:MailFrom ${p}-ses-mail-from`,
            `aws:ses/domainIdentityVerification:DomainIdentityVerification ${p}-ses-verified`,
            ...[...Array(o.ses.verify).keys()].map((i) => `aws:ses/emailIdentity:EmailIdentity ${p}-ses-verify-${i}`),
            `aws:iam/user:User ${p}-ses-user`,
            `aws:iam/userPolicy:UserPolicy ${p}-ses-send`,
            `aws:iam/accessKey:AccessKey ${p}-ses-key`,
            ...(o.zone ? ["ses-verification", "ses-dkim-0", "ses-dkim-1", "ses-dkim-2", "ses-mail-from-mx", "ses-mail-from-spf"].map(record) : []),
        );
    }
    return { add, hostWebRules };
}

/** A new temporary folder under the system's, removed with everything in it when the current test ends. */
export function testTempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
}
