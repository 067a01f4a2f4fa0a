// ONE schema of every setting this program reads: its type and range (a zod schema), its
// default (static, or derived from the stack, environment, profile or another setting), its
// description, whether it is a secret and when it is required. From it:
//  - config.ts validates a stack's configuration (and refuses keys not listed here);
//  - `npm run docs` (tools/docs.ts) writes README.md's configuration reference and
//    Pulumi.yaml's `config:` block, and test/unit/project.test.ts checks both are current;
//  - the same command writes README.zh-CN.md's table from `descriptionZh`/`defaultTextZh`,
//    kept beside the English so that a change of one shows the other in the same diff.
// Adding a setting is adding an entry below (and reading it in config.ts).
import { z } from "zod";
import { redisMaxMemoryMiB, SENTRY_PROFILES, SentryProfile } from "./components/sizing";
import { defaultEnvironment, ENVIRONMENTS, Environment, PROJECT } from "./components/tags";
import {
    buildProxyProblem,
    cidrProblem,
    dataVolumeSizeProblem,
    duplicateCidrsProblem,
    domainNameProblem,
    emailProblem,
    gitUrlProblem,
    isDataDir,
    isIsoUtc,
    MAX_GP3_GB,
    MIN_DATA_VOLUME_GB,
    mirrorUrlProblem,
    originProblem,
    Problem,
    registryHostProblem,
    registryPrefixProblem,
    sentryVersionProblem,
    shellSafeProblem,
    sshCidrsProblem,
    sshPublicKeyProblem,
} from "./components/validation";
import { versionPolicyProblem } from "./components/versions";
import { platformProblem, RATE_WINDOWS, RateWindow, slugProblem } from "./components/sentryApi/limits";
import { SNS_TOPIC_ARN_RE } from "./components/aws/partition";

const DEFAULT_SENTRY_VERSION = "26.8.0";
export const DEFAULT_REPO_URL = "https://github.com/getsentry/self-hosted.git";
/** Let's Encrypt's production ACME directory (RFC 8555). */
export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";

/** The second /24 of an IPv4 CIDR (10.42.0.0/16 -> 10.42.1.0/24): the load balancer's second subnet. */
function secondSubnetOf(vpcCidr: string): string {
    const m = /^(\d+)\.(\d+)\.(\d+)\.\d+\/\d+$/.exec(vpcCidr);
    return m ? `${m[1]}.${m[2]}.${Number(m[3]) + 1}.0/24` : vpcCidr;
}

/** What a derived default depends on: settings read before it. */
export interface DefaultContext {
    stack: string;
    environment: Environment;
    profile: SentryProfile;
    vpcCidr: string;
    /** aws:region, when the stack is on AWS (read before the AWS settings). */
    region?: string;
}

/** Where a setting applies: every stack, or only one placement (`sentry:placement`). */
type Scope = "any" | "aws" | "existing";

/**
 * Committed placeholders a real stack must replace: the documentation address ranges
 * (RFC 5737, RFC 3849) in network lists, the documentation domains (RFC 2606) in addresses.
 */
export type Placeholder = "network" | "domain";

export interface Setting<S extends z.ZodType = z.ZodType> {
    schema: S;
    /** One line for README.md and Pulumi.yaml. */
    description: string;
    /**
     * The same line in Chinese, for README.zh-CN.md's table: written for a Chinese reader, not
     * word for word; keys, values and code as in `description`. Change it with `description`.
     */
    descriptionZh: string;
    /** A value, or a function of the settings read before it. Unset: no default. */
    default?: z.output<S> | ((ctx: DefaultContext) => z.output<S>);
    /** How README.md and Pulumi.yaml's comments show a derived or deploy-time default. */
    defaultText?: string;
    /** `defaultText` in Chinese, when it has words besides code (test/unit/readme-zh.test.ts checks both). */
    defaultTextZh?: string;
    /** The range when a shared validator (components/validation.ts) checks it, not the schema. */
    rangeText?: string;
    /** What to run or write to fix a bad value (of `field`, in an object setting). Default: set it to its default. */
    fix?: string | ((ctx: DefaultContext, field?: string) => string);
    secret?: boolean;
    /** Why a stack of this scope cannot do without it. */
    required?: string;
    scope?: Scope;
    placeholder?: Placeholder;
}

/** Adapts a components/validation.ts check to zod, so its message is the problem's. */
function check<T>(problem: (v: T) => Problem) {
    return (value: T, ctx: z.RefinementCtx) => {
        const p = problem(value);
        if (p !== undefined) {
            ctx.addIssue({ code: "custom", message: p });
        }
    };
}

const pattern = (re: RegExp, why: string) => z.string().regex(re, why);
const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** Per-profile defaults: the design card's 4 vCPU / 8 GiB host only fits errors-only. */
const BY_PROFILE: Record<SentryProfile, { instanceType: string; swapSizeGb: number; redisMaxMemory: string; dataVolumeSizeGb: number }> = {
    "errors-only": { instanceType: "c7i.xlarge", swapSizeGb: 8, redisMaxMemory: "1gb", dataVolumeSizeGb: 60 },
    "feature-complete": { instanceType: "m7i.xlarge", swapSizeGb: 16, redisMaxMemory: "2gb", dataVolumeSizeGb: 200 },
};

/**
 * AWS China (cn-north-1 Beijing, cn-northwest-1 Ningxia) gets new instance generations later than
 * the commercial regions: its defaults are the 6th generation, which both China regions offer
 * (the preview still asks EC2 whether the zone offers the type).
 */
const CHINA_INSTANCE_TYPE: Record<SentryProfile, string> = { "errors-only": "c6i.xlarge", "feature-complete": "m6i.xlarge" };

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy), 0 (never expire) aside. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

function setting<S extends z.ZodType>(s: Setting<S>): Setting<S> {
    return s;
}

/** Every `sentry:` key, in the order README.md lists them. */
export const SETTINGS = {
    placement: setting({
        schema: z.enum(["aws", "existing"]),
        default: "aws",
        description: "`aws`: a VM this program creates; `existing`: a server you already have (see examples/)",
        descriptionZh: "`aws`：由本程序创建一台虚拟机；`existing`：使用你已有的服务器（见 examples/）",
    }),
    environment: setting({
        schema: z.enum(ENVIRONMENTS),
        default: (c) => defaultEnvironment(c.stack),
        defaultText: "`production` for the stack `prod` (always), else `staging`",
        defaultTextZh: "`production`（stack `prod` 只能是它），其他 stack 为 `staging`",
        description: "`production`, `staging` or `trial`; tags every resource, and the policy pack judges the stack by it",
        descriptionZh: "`production`、`staging` 或 `trial`；会写进每个资源的标签，策略包也按它来判定这个 stack",
    }),
    protect: setting({
        schema: z.boolean(),
        default: (c) => c.environment === "production",
        defaultText: "`true` in production",
        defaultTextZh: "生产环境为 `true`",
        description: "protect instance, data volume and Elastic IP from deletion; keep the data volume on destroy; termination protection",
        descriptionZh: "为实例、数据卷和弹性 IP 开启删除保护，destroy 时保留数据卷，并开启 EC2 终止保护",
    }),
    expiresAt: setting({
        schema: z.string().superRefine(check((v: string) => (isIsoUtc(v) ? undefined : "must be an ISO 8601 UTC time"))),
        fix: "pulumi config set sentry:expiresAt 2026-12-01T00:00:00Z",
        description: "trial stacks only: when the trial reaper destroys the stack (ISO 8601 UTC)",
        descriptionZh: "仅用于试用 stack：试用清理任务（trial reaper）销毁它的时间（ISO 8601 UTC）",
    }),
    profile: setting({
        schema: z.enum(SENTRY_PROFILES as [SentryProfile, ...SentryProfile[]]),
        default: "feature-complete",
        description: "COMPOSE_PROFILES: `errors-only` (>= 2 vCPU / 8 GiB) or `feature-complete` (>= 4 vCPU / 16 GiB)",
        descriptionZh: "即 COMPOSE_PROFILES：`errors-only`（至少 2 vCPU / 8 GiB）或 `feature-complete`（至少 4 vCPU / 16 GiB）",
    }),
    sentryVersion: setting({
        schema: z.string().superRefine(check((v: string) => sentryVersionProblem(v) ?? versionPolicyProblem(v))),
        default: DEFAULT_SENTRY_VERSION,
        description: "getsentry/self-hosted release tag (calendar version; `master` is refused)",
        descriptionZh: "getsentry/self-hosted 的发布 tag（日历版本号；不接受 `master`）",
    }),
    selfHostedRepoUrl: setting({
        schema: z.string().superRefine(check(shellSafeProblem)),
        defaultText: `\`${DEFAULT_REPO_URL}\``,
        fix: (_c) => "pulumi config rm sentry:selfHostedRepoUrl; pulumi config set --path sentry:mirrors.selfHostedRepo <your mirror's git URL>",
        description: "deprecated alias of `mirrors.selfHostedRepo` (still read; the loader says how to move it)",
        descriptionZh: "`mirrors.selfHostedRepo` 的旧名，已弃用（仍会读取，加载器会提示如何迁移）",
    }),
    mirrors: setting({
        schema: z
            .object({
                selfHostedRepo: z.string().superRefine(check(gitUrlProblem)).optional(),
                ubuntuApt: z.string().superRefine(check(mirrorUrlProblem)).optional(),
                dockerApt: z.string().superRefine(check(mirrorUrlProblem)).optional(),
                dockerAptKey: z.string().superRefine(check(mirrorUrlProblem)).optional(),
                dockerHub: z.array(z.string().superRefine(check(mirrorUrlProblem))).optional(),
                buildProxy: z.string().superRefine(check(buildProxyProblem)).optional(),
                registries: z
                    .record(z.string(), z.string().superRefine(check(registryPrefixProblem)))
                    .superRefine((v, ctx) => {
                        for (const host of Object.keys(v)) {
                            const p = registryHostProblem(host);
                            if (p !== undefined) {
                                ctx.addIssue({ code: "custom", message: p, path: [host] });
                            }
                        }
                    })
                    .optional(),
            })
            .strict(),
        default: {},
        placeholder: "domain",
        defaultText: "`{}` (every download from its upstream)",
        defaultTextZh: "`{}`（全部从上游下载）",
        fix: (_c, field = "registries") =>
            `pulumi config set --path sentry:mirrors.${field} ${
                {
                    selfHostedRepo: "https://git.your-company.cn/mirrors/self-hosted.git",
                    ubuntuApt: "https://mirrors.tuna.tsinghua.edu.cn/ubuntu",
                    dockerApt: "https://mirrors.aliyun.com/docker-ce/linux",
                    dockerAptKey: "https://mirrors.aliyun.com/docker-ce/linux/ubuntu/gpg",
                    dockerHub: "'[\"https://hub-mirror.your-company.cn\"]'",
                    buildProxy: "http://proxy.your-company.cn:3128",
                    registries: "'{\"ghcr.io\": \"registry.your-company.cn/ghcr\"}'",
                }[field] ?? "<value>"
            } (see README: Mirrors)`,
        description:
            "where the host downloads from: `{selfHostedRepo, ubuntuApt, dockerApt, dockerAptKey, dockerHub: [urls], registries: {registry: prefix}, buildProxy}`, each optional; see [Mirrors](#mirrors)",
        descriptionZh: "主机的各个下载来源：`{selfHostedRepo, ubuntuApt, dockerApt, dockerAptKey, dockerHub: [urls], registries: {registry: prefix}, buildProxy}`，每项都可选；见[镜像](#镜像sentrymirrors)",
    }),
    adminEmail: setting({
        schema: z.string().superRefine(check(emailProblem)),
        required: "the first superuser needs an email address",
        fix: "pulumi config set sentry:adminEmail you@your-company.com",
        placeholder: "domain",
        description: "email of the first superuser; also `system.admin-email`",
        descriptionZh: "第一个超级用户的邮箱，同时用作 `system.admin-email`",
    }),
    adminPassword: setting({
        schema: z.string().min(1),
        secret: true,
        required: "the first superuser needs a password, stored as a secret",
        fix: "pulumi config set --secret sentry:adminPassword (it prompts; never pass it on the command line)",
        description: "password of the first superuser",
        descriptionZh: "第一个超级用户的密码",
    }),
    publicUrl: setting({
        schema: z.string().superRefine(check(originProblem)),
        defaultText: "`http://<Elastic IP>:<webPort>`",
        fix: "pulumi config set sentry:publicUrl https://sentry.your-company.com (the exact origin users type, no trailing slash)",
        placeholder: "domain",
        description: "the exact origin users type (`system.url-prefix`); set it when you put DNS or a proxy in front",
        descriptionZh: "用户在浏览器里输入的完整源地址（`system.url-prefix`）；在前面加了域名或代理时设置",
    }),
    csrfTrustedOrigins: setting({
        schema: z.array(z.string().superRefine(check(originProblem))),
        default: [],
        fix: "list bare origins such as https://sentry.internal.your-company.com",
        placeholder: "domain",
        description: "further origins allowed to submit forms (`CSRF_TRUSTED_ORIGINS`)",
        descriptionZh: "另外允许提交表单的源地址（`CSRF_TRUSTED_ORIGINS`）",
    }),
    webPort: setting({
        schema: int(1024, 65535),
        default: 9000,
        description: "Sentry's port (`SENTRY_BIND`)",
        descriptionZh: "Sentry 监听的端口（`SENTRY_BIND`）",
    }),
    retentionDays: setting({
        schema: int(1, 3650),
        default: 90,
        description: "days events are kept (`SENTRY_EVENT_RETENTION_DAYS`)",
        descriptionZh: "事件保留天数（`SENTRY_EVENT_RETENTION_DAYS`）",
    }),
    allowRegistration: setting({
        schema: z.boolean(),
        default: false,
        description: "open sign-up (`auth.allow-registration`); off unless you need it",
        descriptionZh: "开放注册（`auth.allow-registration`）；除非确有需要，保持关闭",
    }),
    eventsPerMinuteLimit: setting({
        schema: int(0, 100_000_000),
        default: 0,
        defaultText: "`0` (no limit; the stack files set 3000 and 20000)",
        defaultTextZh: "`0`（不限；仓库里的 stack 文件分别设为 3000 和 20000）",
        description: "events per minute the whole install accepts (`system.rate-limit`); above it Relay answers 429 with `Retry-After`",
        descriptionZh: "整个 Sentry 每分钟最多接收的事件数（`system.rate-limit`）；超出后 Relay 返回 429 和 `Retry-After`",
    }),
    behindTlsProxy: setting({
        schema: z.boolean(),
        default: false,
        description: "a TLS proxy of yours terminates HTTPS in front: the same as `tls: proxy` (which supersedes it; needs a domain or an `https://` publicUrl)",
        descriptionZh: "由你自己的 TLS 代理在前面终结 HTTPS，等同于 `tls: proxy`（已被它取代；需要域名或以 `https://` 开头的 publicUrl）",
    }),
    mailHost: setting({
        schema: pattern(/^[A-Za-z0-9.-]+$/, "must be a domain name (FQDN)"),
        fix: "pulumi config set sentry:mailHost your-company.com",
        placeholder: "domain",
        description: "with `mail: none`: the host name of upstream's bundled SMTP relay (`SENTRY_MAIL_HOST`); `mail: ses` or `smtp` replaces the relay",
        descriptionZh: "`mail: none` 时上游自带 SMTP 中继使用的主机名（`SENTRY_MAIL_HOST`）；`mail: ses` 或 `smtp` 会取代这个中继",
    }),
    mailFrom: setting({
        schema: z.string().superRefine(check(emailProblem)),
        fix: "pulumi config set sentry:mailFrom sentry@your-company.com",
        placeholder: "domain",
        description: "sender address (`mail.from`)",
        descriptionZh: "发件人地址（`mail.from`）",
    }),
    // The front door (HTTPS on your own domain) and mail that delivers: README "HTTPS and mail".
    domain: setting({
        schema: z.string().superRefine(check(domainNameProblem)),
        fix: "pulumi config set sentry:domain sentry.your-company.com",
        placeholder: "domain",
        description: "the name users type, e.g. `sentry.your-company.com`; publicUrl becomes `https://<domain>` and the CSRF origin follows",
        descriptionZh: "用户访问的域名，例如 `sentry.your-company.com`；publicUrl 随之变为 `https://<domain>`，CSRF 来源也随之更新",
    }),
    hostedZone: setting({
        schema: z.string().superRefine(check((v: string) => (/^Z[A-Z0-9]{4,32}$/.test(v) ? undefined : domainNameProblem(v)))),
        scope: "aws",
        fix: "pulumi config set sentry:hostedZone your-company.com (the Route 53 public hosted zone's name or id, e.g. Z0123456789ABCDEFGHIJ)",
        placeholder: "domain",
        description: "Route 53 public hosted zone (name or id) holding `domain`: every record (site, certificate validation, mail) is created there; unset, the program prints the records to create",
        descriptionZh: "`domain` 所在的 Route 53 公有托管区域（名称或 ID），所有记录（站点、证书验证、邮件）都建在这里；不设时程序会打印需要手工创建的记录",
    }),
    tls: setting({
        schema: z.enum(["alb", "acme", "proxy", "none"]),
        defaultText:
            "with a domain: `alb` in production on AWS; `acme` elsewhere (staging/trial whose webCidrs include 0.0.0.0/0, your own server), `alb` for a staging/trial reachable only from your networks; without a domain: `proxy` if behindTlsProxy, else `none`",
        defaultTextZh: "有域名时：AWS 上的生产环境为 `alb`；其他情况为 `acme`（webCidrs 含 0.0.0.0/0 的 staging/trial，以及你自己的服务器），只能从你的网络访问的 staging/trial 为 `alb`；没有域名时：设了 behindTlsProxy 为 `proxy`，否则为 `none`",
        description: "how HTTPS is terminated: `alb` (load balancer + ACM certificate), `acme` (a TLS server on the host, Let's Encrypt), `proxy` (yours), `none` (plain HTTP; refused in production)",
        descriptionZh: "HTTPS 在哪里终结：`alb`（负载均衡器 + ACM 证书）、`acme`（主机上的 TLS 服务器，证书来自 Let's Encrypt）、`proxy`（你自己的代理）、`none`（纯 HTTP；生产环境不允许）",
    }),
    allowPlainHttp: setting({
        schema: z.boolean(),
        default: false,
        description: "production only: accept `tls: none` (passwords, session cookies and DSNs cross the network in clear text)",
        descriptionZh: "只对生产环境有效：接受 `tls: none`（密码、会话 Cookie 和 DSN 以明文在网络上传输）",
    }),
    certificateArn: setting({
        schema: pattern(/^arn:aws(-cn|-us-gov)?:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, "is not an ACM certificate ARN"),
        scope: "aws",
        fix: "pulumi config set sentry:certificateArn <the ARN from `aws acm list-certificates`> (in aws:region), or pulumi config rm sentry:certificateArn to have one issued",
        description: "with `tls: alb`: an existing or imported ACM certificate (in aws:region) covering `domain`, instead of issuing one",
        descriptionZh: "`tls: alb` 时使用的已有或导入的 ACM 证书（位于 aws:region，覆盖 `domain`），设置后不再另行签发",
    }),
    albSubnetIds: setting({
        schema: z.array(pattern(/^subnet-[0-9a-f]{8,17}$/, "is not a subnet id")),
        scope: "aws",
        default: [],
        fix: 'with an existing VPC and tls alb: list two public subnets of sentry:vpcId in different availability zones, e.g. sentry:albSubnetIds: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]',
        description: "existing VPC with `tls: alb`: the load balancer's public subnets (two or more, in different AZs, of vpcId)",
        descriptionZh: "使用已有 VPC 且 `tls: alb` 时负载均衡器所在的公有子网（vpcId 中的两个或更多，分属不同可用区）",
    }),
    albSubnetCidr: setting({
        schema: z.string().superRefine(check(cidrProblem)),
        scope: "aws",
        default: (c) => secondSubnetOf(c.vpcCidr),
        defaultText: "the second `/24` of vpcCidr",
        defaultTextZh: "vpcCidr 的第二个 `/24`",
        description: "own VPC with `tls: alb`: CIDR of the second public subnet (in another AZ) the load balancer needs",
        descriptionZh: "程序自建 VPC 且 `tls: alb` 时，负载均衡器所需第二个公有子网（位于另一个可用区）的 CIDR",
    }),
    acmeCaUrl: setting({
        schema: z.string().url().superRefine(check((v: string) => (v.startsWith("https://") ? undefined : "must be an https:// ACME directory URL"))),
        default: LETS_ENCRYPT_DIRECTORY,
        description: "with `tls: acme`: the ACME CA's directory URL (Let's Encrypt's production directory by default)",
        descriptionZh: "`tls: acme` 时使用的 ACME CA directory URL（默认是 Let's Encrypt 的生产环境 directory）",
    }),
    acmeEmail: setting({
        schema: z.string().superRefine(check(emailProblem)),
        defaultText: "sentry:adminEmail",
        defaultTextZh: "同 `sentry:adminEmail`",
        fix: "pulumi config set sentry:acmeEmail ops@your-company.com",
        placeholder: "domain",
        description: "with `tls: acme`: the ACME account's contact address (expiry and policy notices)",
        descriptionZh: "`tls: acme` 时 ACME 账户的联系邮箱（接收证书到期和政策变更通知）",
    }),
    mail: setting({
        schema: z.enum(["ses", "smtp", "none"]),
        default: "none",
        description: "outgoing mail: `ses` (Amazon SES for `domain`, created here), `smtp` (any server: sentry:smtp), `none` (upstream's bundled relay as shipped, or mailHost)",
        descriptionZh: "发信方式：`ses`（由本程序为 `domain` 配置 Amazon SES）、`smtp`（任意 SMTP 服务器，见 sentry:smtp）、`none`（上游原样自带的中继，或 mailHost）",
    }),
    smtp: setting({
        schema: z
            .object({
                host: z.string().superRefine(check(domainNameProblem)),
                port: int(1, 65535).default(587),
                username: z.string().min(1).superRefine(check(shellSafeProblem)).optional(),
                security: z.enum(["starttls", "tls", "none"]).default("starttls"),
            })
            .strict(),
        fix: (_c, field = "host") =>
            `pulumi config set --path sentry:smtp.${field} ${{ host: "smtp.your-provider.com", port: "587", username: "sentry@your-company.com", security: "starttls" }[field] ?? "<value>"}`,
        placeholder: "domain",
        description: "with `mail: smtp`: `{host, port (587), username, security (starttls; tls = implicit TLS on 465; none)}`",
        descriptionZh: "`mail: smtp` 时的 SMTP 服务器：`{host, port (587), username, security (starttls; tls = implicit TLS on 465; none)}`，其中 `tls` 指 465 端口上的隐式 TLS",
    }),
    smtpPassword: setting({
        schema: z.string().min(1),
        secret: true,
        fix: "pulumi config set --secret sentry:smtpPassword (it prompts; never pass it on the command line)",
        description: "with `mail: smtp` and a username: the SMTP password (with `mail: ses` the program makes its own)",
        descriptionZh: "`mail: smtp` 且设置了 username 时的 SMTP 密码（`mail: ses` 时由程序自己生成）",
    }),
    redisMaxMemory: setting({
        schema: z.string().superRefine(check((v: string) => (redisMaxMemoryMiB(v) === undefined ? "must be a size such as 512mb or 2gb" : undefined))),
        default: (c) => BY_PROFILE[c.profile].redisMaxMemory,
        defaultText: "`1gb` errors-only, `2gb` feature-complete",
        defaultTextZh: "errors-only 为 `1gb`，feature-complete 为 `2gb`",
        description: "Redis memory cap (upstream has none); at most half the host's memory",
        descriptionZh: "Redis 内存上限（上游默认不限）；最多为主机内存的一半",
    }),
    swapSizeGb: setting({
        schema: int(0, 64),
        default: (c) => BY_PROFILE[c.profile].swapSizeGb,
        defaultText: "`8` errors-only, `16` feature-complete",
        defaultTextZh: "errors-only 为 `8`，feature-complete 为 `16`",
        description: "swap file on the data volume (which keeps 20 GB beside it for Sentry); `0` disables",
        descriptionZh: "数据卷上交换文件的大小，单位 GB（数据卷另外为 Sentry 留出 20 GB）；`0` 表示不用交换文件",
    }),
    dockerAddressPool: setting({
        schema: z.string().superRefine(check(cidrProblem)),
        default: "10.250.0.0/16",
        description: "Docker's default-address-pools base; must not overlap the VPC or your LAN",
        descriptionZh: "Docker `default-address-pools` 的基础网段；不能与 VPC 或你的内网重叠",
    }),
    checkUpgradePath: setting({
        schema: z.boolean(),
        default: true,
        description: "refuse at preview an upgrade that skips a self-hosted hard stop (reads this stack's previous `sentryVersion` output)",
        descriptionZh: "预览时拒绝跳过 self-hosted 硬性停靠版本的升级（读取本 stack 上一次的 `sentryVersion` 输出）",
    }),
    sshPublicKeys: setting({
        schema: z.array(z.string().superRefine(check(sshPublicKeyProblem))),
        default: [],
        fix: "paste the one-line content of your ~/.ssh/id_ed25519.pub",
        description: "extra OpenSSH public keys for humans",
        descriptionZh: "额外授权给运维人员的 OpenSSH 公钥",
    }),
    instanceType: setting({
        schema: pattern(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "is not an EC2 instance type name"),
        scope: "aws",
        default: (c) => (c.region?.startsWith("cn-") ? CHINA_INSTANCE_TYPE[c.profile] : BY_PROFILE[c.profile].instanceType),
        defaultText: "`c7i.xlarge` (4 vCPU / 8 GiB) errors-only, `m7i.xlarge` (4 vCPU / 16 GiB) feature-complete; in AWS China `c6i.xlarge` and `m6i.xlarge`",
        defaultTextZh: "errors-only 为 `c7i.xlarge`（4 vCPU / 8 GiB），feature-complete 为 `m7i.xlarge`（4 vCPU / 16 GiB）；AWS 中国区为 `c6i.xlarge` 和 `m6i.xlarge`",
        description: "EC2 instance type; checked against the profile with AWS at preview",
        descriptionZh: "EC2 实例类型；预览时会向 AWS 核实它满足 profile 的要求",
    }),
    amiId: setting({
        schema: pattern(/^ami-[0-9a-f]{8,17}$/, "is not an AMI id"),
        scope: "aws",
        defaultText: "newest Ubuntu 24.04 LTS at first deploy",
        defaultTextZh: "首次部署时最新的 Ubuntu 24.04 LTS",
        fix: "pulumi config rm sentry:amiId to use the current Ubuntu 24.04 image",
        description: "pin an AMI; unset, a newer upstream AMI never replaces the host",
        descriptionZh: "固定使用某个 AMI；不设时，上游发布更新的 AMI 也不会替换主机",
    }),
    rootVolumeSizeGb: setting({
        schema: int(12, 200),
        scope: "aws",
        default: 20,
        description: "OS disk in GB (encrypted gp3; Sentry's data is on the data volume)",
        descriptionZh: "系统盘大小，单位 GB（加密 gp3；Sentry 的数据在数据卷上）",
    }),
    dataVolumeSizeGb: setting({
        schema: z.number().int().superRefine(check(dataVolumeSizeProblem)),
        scope: "aws",
        rangeText: `${MIN_DATA_VOLUME_GB}-${MAX_GP3_GB}`,
        default: (c) => BY_PROFILE[c.profile].dataVolumeSizeGb,
        defaultText: "`60` errors-only, `200` feature-complete",
        defaultTextZh: "errors-only 为 `60`，feature-complete 为 `200`",
        description: "data disk in GB (encrypted gp3)",
        descriptionZh: "数据卷大小，单位 GB（加密 gp3）",
    }),
    dataVolumeIops: setting({
        schema: z.number().int(),
        scope: "aws",
        rangeText: "3000-16000, <= 500 per GB",
        default: 3000,
        fix: "leave dataVolumeIops at 3000 and dataVolumeThroughput at 125 (gp3's included baseline) unless you measured a need",
        description: "gp3 IOPS (3000 is included in the price)",
        descriptionZh: "gp3 的 IOPS（3000 已含在价格内）",
    }),
    dataVolumeThroughput: setting({
        schema: z.number().int(),
        scope: "aws",
        rangeText: "125-1000 MB/s, <= IOPS / 4",
        default: 125,
        fix: "leave dataVolumeIops at 3000 and dataVolumeThroughput at 125 (gp3's included baseline) unless you measured a need",
        description: "gp3 throughput in MB/s (125 is included in the price)",
        descriptionZh: "gp3 的吞吐量，单位 MB/s（125 已含在价格内）",
    }),
    webCidrs: setting({
        schema: z.array(z.string().superRefine(check(cidrProblem))).superRefine(check(duplicateCidrsProblem)),
        scope: "aws",
        required: "nobody could reach Sentry's web port",
        fix: 'list the networks your users and applications send from, e.g. sentry:webCidrs: ["<your office>/24"] (0.0.0.0/0 only if Sentry must be public)',
        placeholder: "network",
        description: "who may reach the web port (users and the applications that send events); `0.0.0.0/0` only if Sentry must be public",
        descriptionZh: "允许访问 Web 端口的网段（用户，以及发送事件的应用）；只有 Sentry 必须对公网开放时才用 `0.0.0.0/0`",
    }),
    adminSshCidrs: setting({
        schema: z.array(z.string()).superRefine(check((cidrs: string[]) => sshCidrsProblem(cidrs) ?? duplicateCidrsProblem(cidrs))),
        scope: "aws",
        required: "Pulumi provisions the host over SSH, so the machine running `pulumi up` must be allowed",
        fix: 'list your public IP (curl -s https://checkip.amazonaws.com), e.g. sentry:adminSshCidrs: ["<your IP>/32"]',
        placeholder: "network",
        description: "who may SSH (must include where `pulumi up` runs); never `0.0.0.0/0` or `::/0`",
        descriptionZh: "允许 SSH 的网段（必须包含运行 `pulumi up` 的机器）；不允许 `0.0.0.0/0` 或 `::/0`",
    }),
    vpcId: setting({
        schema: pattern(/^vpc-[0-9a-f]{8,17}$/, "is not a VPC id"),
        scope: "aws",
        fix: "pulumi config set sentry:vpcId vpc-0123456789abcdef0",
        description: "use this existing VPC (with subnetId) instead of creating one",
        descriptionZh: "使用这个已有的 VPC（同时设置 subnetId），而不是新建",
    }),
    subnetId: setting({
        schema: pattern(/^subnet-[0-9a-f]{8,17}$/, "is not a subnet id"),
        scope: "aws",
        fix: "pulumi config set sentry:subnetId subnet-0123456789abcdef0",
        description: "public subnet of vpcId to place the host in",
        descriptionZh: "vpcId 中放置主机的公有子网",
    }),
    vpcCidr: setting({
        schema: z.string().superRefine(check((v: string) => cidrProblem(v) ?? (v.includes(":") ? "must be IPv4" : undefined))),
        scope: "aws",
        default: "10.42.0.0/16",
        description: "CIDR of the VPC this program creates",
        descriptionZh: "程序新建的 VPC 的 CIDR",
    }),
    subnetCidr: setting({
        schema: z.string().superRefine(check(cidrProblem)),
        scope: "aws",
        default: (c) => c.vpcCidr.replace(/\/\d+$/, "/24"),
        defaultText: "the first `/24` of vpcCidr",
        defaultTextZh: "vpcCidr 的第一个 `/24`",
        description: "CIDR of the public subnet the host is in",
        descriptionZh: "主机所在公有子网的 CIDR",
    }),
    availabilityZone: setting({
        schema: pattern(/^[a-z]{2}(-[a-z]+)+-\d[a-z0-9-]*[a-z]$/, "is not an availability zone name"),
        scope: "aws",
        defaultText: "the region's first available AZ",
        defaultTextZh: "该区域第一个可用的可用区",
        description: "AZ of the host and its data volume (in `aws:region`)",
        descriptionZh: "主机和数据卷所在的可用区（在 `aws:region` 内）",
    }),
    snapshotRetentionDays: setting({
        schema: int(0, 365),
        scope: "aws",
        default: 7,
        description: "daily data-volume snapshots kept (Data Lifecycle Manager); `0` disables",
        descriptionZh: "数据卷每日快照的保留份数（Data Lifecycle Manager）；`0` 表示不做每日快照",
    }),
    icpFiled: setting({
        schema: z.boolean(),
        scope: "aws",
        default: false,
        description: "AWS China only: the domain has an ICP filing (备案), so AWS opens ports 80, 443 and 8080, which stay closed until then",
        descriptionZh: "域名已完成 ICP 备案（只对 AWS 中国区有效）；AWS 中国区在备案前一直关闭 80、443 和 8080 端口",
    }),
    flowLogRetentionDays: setting({
        schema: z.literal(LOG_RETENTION_DAYS),
        scope: "aws",
        default: 30,
        description: "VPC flow log retention in days (the values CloudWatch Logs accepts)",
        descriptionZh: "VPC 流日志的保留天数（只能取 CloudWatch Logs 接受的值）",
    }),
    // Day two: who hears about trouble, the heartbeat, pre-upgrade snapshots, restores, reboots.
    alarmEmails: setting({
        schema: z.array(z.string().superRefine(check(emailProblem))),
        scope: "aws",
        default: [],
        fix: 'list the on-call addresses, e.g. sentry:alarmEmails: ["oncall@your-company.com"]; each confirms the subscription email from AWS first',
        placeholder: "domain",
        description: "addresses the stack's alarm topic (SNS, KMS-encrypted) emails; each must confirm AWS's subscription email first",
        descriptionZh: "订阅本 stack 告警主题（SNS，KMS 加密）的邮箱；每个地址都要先确认 AWS 发来的订阅邮件",
    }),
    alarmTopicArn: setting({
        schema: pattern(SNS_TOPIC_ARN_RE, "is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)"),
        scope: "aws",
        fix: "pulumi config set sentry:alarmTopicArn arn:aws:sns:eu-central-1:123456789012:oncall (a topic of your own: chat, paging)",
        description: "a topic of your own (chat, paging) every alarm notifies too, beside the stack's own",
        descriptionZh: "你自己的 SNS 主题（聊天工具、值班呼叫），除本 stack 自己的主题外，每个告警也会通知它",
    }),
    alarmUnhealthyMinutes: setting({
        schema: int(1, 60),
        default: 5,
        description: "minutes of failing `/_health/` (host up) before the unhealthy alarm",
        descriptionZh: "`/_health/` 连续失败（主机仍在线）多少分钟后触发 unhealthy 告警",
    }),
    alarmHeartbeatMinutes: setting({
        schema: int(2, 60),
        default: 5,
        description: "minutes without any heartbeat (host dead or cut off) before the no-heartbeat alarm",
        descriptionZh: "收不到任何心跳（主机宕机或断网）多少分钟后触发心跳告警",
    }),
    alarmDiskWarningPercent: setting({
        schema: int(50, 98),
        default: 80,
        description: "data or root disk use (%) that raises the warning alarm",
        descriptionZh: "数据卷或系统盘使用率（%）达到多少时触发警告级告警",
    }),
    alarmDiskCriticalPercent: setting({
        schema: int(51, 99),
        default: 90,
        description: "data or root disk use (%) that raises the critical alarm (and withholds the heartbeat ping); above the warning",
        descriptionZh: "数据卷或系统盘使用率（%）达到多少时触发严重级告警（同时停发心跳 ping）；须高于警告阈值",
    }),
    alarmMemoryPercent: setting({
        schema: int(50, 100),
        default: 95,
        description: "memory in use (%, of MemAvailable) for 5 minutes that raises the memory alarm (and withholds the ping)",
        descriptionZh: "内存使用率（%，按 MemAvailable 计算）持续 5 分钟达到多少时触发内存告警（同时停发心跳 ping）",
    }),
    heartbeatUrl: setting({
        schema: pattern(/^https?:\/\/[^\s'"]+$/, "must be an http(s) URL"),
        secret: true,
        fix: "pulumi config set --secret sentry:heartbeatUrl (it prompts; the URL of your dead-man's-switch check, e.g. https://hc-ping.com/<uuid>)",
        description: "a dead-man's-switch URL the host GETs every minute while Sentry is healthy (healthchecks.io, Cronitor, Uptime Kuma push); your own server's alarms",
        descriptionZh: "死人开关（dead man's switch）的 URL，Sentry 健康时主机每分钟 GET 一次（healthchecks.io、Cronitor、Uptime Kuma 的 push 监控）；自有服务器靠它告警",
    }),
    preUpgradeSnapshots: setting({
        schema: z.boolean(),
        scope: "aws",
        default: true,
        description: "a version change stops Sentry, snapshots the data volume, then upgrades (see [Upgrades and rollback](#upgrades-and-rollback))",
        descriptionZh: "版本变更时先停止 Sentry、给数据卷打快照，然后再升级（见[升级](#升级)）",
    }),
    preUpgradeSnapshotsKept: setting({
        schema: int(1, 50),
        scope: "aws",
        default: 3,
        description: "pre-upgrade snapshots kept (the newest; older ones are deleted after an upgrade's health check passed)",
        descriptionZh: "保留的升级前快照份数（只留最新的；升级通过健康检查后删除较旧的）",
    }),
    dataSnapshotId: setting({
        schema: pattern(/^snap-([0-9a-f]{8}|[0-9a-f]{17})$/, "is not an EBS snapshot id"),
        scope: "aws",
        fix: "pulumi config set sentry:dataSnapshotId snap-0123456789abcdef0 (aws ec2 describe-snapshots --owner-ids self --filters Name=tag:SentryPreUpgrade,Values=<stack>)",
        description: "create the data volume from this snapshot (a restore, a rollback, a trial on real data); changing it replaces the volume",
        descriptionZh: "从这个快照创建数据卷（恢复、回退、用真实数据做试用）；修改它会替换数据卷",
    }),
    rebootWindow: setting({
        schema: pattern(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, "must be a time HH:MM (24 h, the host's clock: UTC on AWS)"),
        fix: "pulumi config set sentry:rebootWindow 04:30, or pulumi config rm sentry:rebootWindow for no automatic reboot",
        description: "HH:MM at which unattended upgrades may reboot the host (a new kernel); unset, never automatically",
        descriptionZh: "无人值守升级（装了新内核时）可以重启主机的时间 HH:MM；不设则从不自动重启",
    }),
    existingHost: setting({
        schema: z
            .object({
                address: pattern(/^[A-Za-z0-9.:-]+$/, "must be the server's address or DNS name"),
                port: int(1, 65535).default(22),
                user: pattern(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a Unix user name").default("ubuntu"),
                dataDir: z
                    .string()
                    .superRefine(check((v: string) => (isDataDir(v) ? undefined : "must be an absolute directory other than /")))
                    .default("/data"),
                dataDevice: pattern(/^\/dev\/[A-Za-z0-9/_.-]+$/, "must be a block device path under /dev").optional(),
            })
            .strict(),
        scope: "existing",
        required: "the server's address is required",
        placeholder: "domain",
        fix: (_c, field = "address") =>
            `pulumi config set --path sentry:existingHost.${field} ${{ address: "sentry.internal.your-company.com", port: "22", user: "ubuntu", dataDir: "/data", dataDevice: "/dev/disk/by-id/<your-disk>" }[field] ?? "<value>"}`,
        description: "`{address, port (22), user (ubuntu), dataDir (/data), dataDevice}` of [your own server](#your-own-server)",
        descriptionZh: "[你自己的服务器](#部署到自己的服务器)的连接信息：`{address, port (22), user (ubuntu), dataDir (/data), dataDevice}`",
    }),
    existingHostPrivateKey: setting({
        schema: z.string().min(1),
        scope: "existing",
        secret: true,
        required: "the SSH private key for the server is required, as a secret",
        fix: "pulumi config set --secret sentry:existingHostPrivateKey < ~/.ssh/id_ed25519",
        description: "SSH private key for existingHost.user",
        descriptionZh: "existingHost.user 的 SSH 私钥",
    }),
    // --- Projects, keys and limits as code; the edge Relay (issue 12) ---
    organization: setting({
        schema: z.string().superRefine(check(slugProblem)),
        default: "sentry",
        description: "slug of the organization `projects` are made in (self-hosted's installer creates `sentry`)",
        descriptionZh: "`projects` 所在组织的 slug（self-hosted 的安装脚本会创建 `sentry`）",
    }),
    projects: setting({
        schema: z.array(
            z
                .object({
                    name: z.string().superRefine(check(slugProblem)),
                    team: z.string().superRefine(check(slugProblem)),
                    platform: z.string().superRefine(check(platformProblem)),
                    rateLimit: z
                        .object({ count: int(1, 100_000_000), window: z.enum(RATE_WINDOWS as [RateWindow, ...RateWindow[]]) })
                        .strict()
                        .optional(),
                })
                .strict(),
        ),
        default: [],
        fix: 'list {name, team, platform, rateLimit: {count, window: minute|hour}} entries, e.g. sentry:projects: [{"name": "checkout-api", "team": "backend", "platform": "node", "rateLimit": {"count": 600, "window": "minute"}}]',
        description:
            "teams, projects and one rate-limited DSN key each, made through Sentry's API once it is healthy; unset `rateLimit`: a fair share (see [Surviving an error flood](#surviving-an-error-flood)); DSNs are the secret output `projectDsns`",
        descriptionZh: "团队、项目，以及每个项目一个带限流的 DSN key，在 Sentry 健康后通过它的 API 创建；不设 `rateLimit` 的项目平分剩余额度（见[应对错误洪峰](#应对错误洪峰)）；DSN 在加密输出 `projectDsns` 里",
    }),
    apiTokenRotation: setting({
        schema: int(0, 1_000_000),
        default: 0,
        description: "with `projects`: raise it by one to replace the API token the program made on the host for Sentry's API",
        descriptionZh: "配合 `projects` 使用：加一即可替换程序在主机上为 Sentry API 生成的 API token",
    }),
    edgeRelay: setting({
        schema: z
            .object({
                dockerHost: pattern(/^(unix:\/\/\/|ssh:\/\/|tcp:\/\/)\S+$/, "must be a Docker host: unix:///var/run/docker.sock, ssh://user@host or tcp://host:2376"),
                address: pattern(/^[A-Za-z0-9.:-]+$/, "must be the host name or address applications reach the edge Relay at"),
                port: int(1024, 65535).default(3000),
                spoolMaxDiskMb: int(0, 1_000_000).default(500),
                memoryLimitMb: int(128, 1_000_000).default(512),
            })
            .strict(),
        fix: (_c, field = "dockerHost") =>
            `pulumi config set --path sentry:edgeRelay.${field} ${{ dockerHost: "ssh://deploy@app-host.internal", address: "app-host.internal", port: "3000", spoolMaxDiskMb: "500", memoryLimitMb: "512" }[field] ?? "<value>"}`,
        description:
            "`{dockerHost, address, port (3000), spoolMaxDiskMb (500), memoryLimitMb (512)}`: run a [Relay next to the applications](#the-edge-relay) that buffers boundedly and drops when full; its DSNs are the secret output `edgeRelayDsns`",
        descriptionZh: "`{dockerHost, address, port (3000), spoolMaxDiskMb (500), memoryLimitMb (512)}`：在应用旁边运行一个[边缘 Relay](#应对错误洪峰)，缓冲有上限，满了就丢弃；它的 DSN 在加密输出 `edgeRelayDsns` 里",
    }),
} satisfies Record<string, Setting>;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = z.output<(typeof SETTINGS)[K]["schema"]>;

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/**
 * Keys of @pulumiverse/sentry's default provider, which reads `sentry:*` like this program.
 * The program never uses that default provider (components/sentryApi/projects.ts passes an
 * explicit one its token and URL), so these keys would be ignored: the loader says why.
 */
export const SENTRY_PROVIDER_KEYS: Record<string, { why: string; fix: string }> = {
    token: {
        why: "is the setting of @pulumiverse/sentry's default provider, which shares this program's `sentry:` namespace; this program never uses that provider: for sentry:projects it makes an API token on the host itself and hands it to an explicit provider",
        fix: "pulumi config rm sentry:token (to replace the program's token: raise sentry:apiTokenRotation)",
    },
    baseUrl: {
        why: "is the setting of @pulumiverse/sentry's default provider, which shares this program's `sentry:` namespace; this program points its own provider at sentry:publicUrl (or the host's address)",
        fix: "pulumi config rm sentry:baseUrl (set sentry:publicUrl if users reach Sentry at another origin)",
    },
};

/** `sentry:<key>`. */
export const fullKey = (k: string): string => `${PROJECT}:${k}`;

/** The one setting outside the project's namespace: the AWS provider's region. */
export const AWS_REGION_KEY = "aws:region";
export const AWS_REGION_DESCRIPTION = "AWS region: one of @pulumi/aws's `Region` values (China `cn-*` and GovCloud `us-gov-*` included)";
export const AWS_REGION_DESCRIPTION_ZH = "AWS 区域：@pulumi/aws 的 `Region` 取值之一（含中国区 `cn-*` 和 GovCloud `us-gov-*`）";

/** The parts of zod's JSON Schema output this program reads. */
export interface JsonSchema {
    type?: string;
    minimum?: number;
    maximum?: number;
    enum?: unknown[];
    properties?: Record<string, JsonSchema>;
    items?: JsonSchema;
}

/** The JSON Schema view of a setting's type (what its raw value is decoded as, and its range). */
export function jsonSchemaOf(s: Setting): JsonSchema {
    return z.toJSONSchema(s.schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

/** A setting's default for this context, or undefined when it has none. */
export function defaultOf<K extends SettingKey>(k: K, ctx: DefaultContext): SettingValue<K> | undefined {
    const d = (SETTINGS[k] as Setting).default;
    return (typeof d === "function" ? (d as (c: DefaultContext) => unknown)(ctx) : d) as SettingValue<K> | undefined;
}

/** The fix shown for a bad value of `k` (or of its `field`). */
export function fixOf(k: SettingKey, ctx: DefaultContext, field?: string): string {
    const s = SETTINGS[k] as Setting;
    if (typeof s.fix === "function") {
        return s.fix(ctx, field);
    }
    if (s.fix !== undefined) {
        return s.fix;
    }
    const d = defaultOf(k, ctx);
    return `pulumi config set ${fullKey(k)} ${typeof d === "string" ? d : JSON.stringify(d)}`;
}
