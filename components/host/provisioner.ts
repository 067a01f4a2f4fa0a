// SentryProvisioner: from a bare Ubuntu/Debian host to a healthy, configured self-hosted
// Sentry, one remote command per step, each running a checked-in script from ./scripts.
// Used by SentryHost for the AWS VM and on its own for a server you already have.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { digest, readScript, renderCaddyfile, renderStepCommand } from "./render";
import { SentryProfile } from "../sizing";
import { emailProblem, isDataDir, originProblem, sentryVersionProblem, sshPublicKeyProblem } from "../validation";
import { HARD_STOPS, KNOWN_BAD_VERSIONS, upgradePathProblem } from "../versions";

export interface SentrySettings {
    profile: SentryProfile;
    version: string;
    /** Git URL of getsentry/self-hosted (or a mirror of it). */
    repoUrl: string;
    /** Public origin users type; undefined means "http://<connection host>:<webPort>". */
    publicUrl?: string;
    /** Further origins allowed to POST forms (CSRF_TRUSTED_ORIGINS), e.g. an internal name. */
    csrfTrustedOrigins: string[];
    /** Host port Sentry's nginx listens on (SENTRY_BIND). */
    webPort: number;
    /** SENTRY_EVENT_RETENTION_DAYS. */
    retentionDays: number;
    adminEmail: string;
    /** auth.allow-registration; open sign-up is off unless you turn it on. */
    allowRegistration: boolean;
    /**
     * Events per minute the whole install accepts (system.rate-limit); 0 means no limit. Above it
     * Relay answers 429 with Retry-After, which the SDKs honour, instead of Sentry falling over.
     */
    eventsPerMinuteLimit: number;
    /** Set when a TLS-terminating proxy sits in front (secure cookies, X-Forwarded-Proto). */
    behindTlsProxy: boolean;
    mailHost?: string;
    mailFrom?: string;
    /**
     * How HTTPS reaches Sentry (sentry:tls). `alb` and `proxy`: something in front terminates
     * TLS (behindTlsProxy); `acme`: a TLS server on the host itself, certificates from `acme`;
     * `none`: plain HTTP. Unset: behindTlsProxy alone decides (the settings before sentry:tls).
     */
    tls?: TlsMode;
    /** The name users type (sentry:domain), e.g. sentry.example.com. */
    domain?: string;
    /** With tls `acme`: the ACME CA and the account's contact address. */
    acme?: AcmeSettings;
    /** Outgoing mail (sentry:mail `ses` or `smtp`); unset: Sentry sends no mail. The password is SentryProvisionerArgs.smtpPassword. */
    mail?: MailSettings;
    /** Redis maxmemory, e.g. "2gb"; Redis is unlimited upstream and has taken hosts down. */
    redisMaxMemory: string;
    /** Swap file on the data volume; upstream recommends it on top of RAM. 0 disables. */
    swapSizeGb: number;
    /** Docker's default-address-pools base; must not overlap the host's network. */
    dockerAddressPool: string;
    /** Refuse, at preview, upgrades that skip a hard stop (needs the previous deployment's version). */
    checkUpgradePath: boolean;
}

export type TlsMode = "alb" | "acme" | "proxy" | "none";

export interface AcmeSettings {
    /** The ACME directory URL (Let's Encrypt's production directory by default). */
    caUrl: string;
    /** The contact address of the ACME account (expiry notices). */
    email: string;
    /** The TLS server's image (a Caddy 2 image); default TLS_SERVER_IMAGE. */
    image?: string;
    /** How often the TLS server looks for certificates to renew (Caddy's default 10m); for short-lived test certificates only. */
    renewInterval?: string;
}

/** The TLS server's image with tls `acme`: Caddy, a pinned release (Docker Hub's official image). */
export const TLS_SERVER_IMAGE = "caddy:2.11.9-alpine";
/** Where the TLS server sends requests: upstream's nginx on the compose network. */
export const TLS_SERVER_UPSTREAM = "nginx:80";

/** How the host sees the front door: `proxy` = TLS terminated in front (alb or your proxy). */
export function hostTlsMode(s: Pick<SentrySettings, "tls" | "behindTlsProxy">): "none" | "proxy" | "acme" {
    if (s.tls === undefined) {
        return s.behindTlsProxy ? "proxy" : "none";
    }
    return s.tls === "alb" || s.tls === "proxy" ? "proxy" : s.tls;
}

export interface MailSettings {
    host: string;
    port: number;
    username?: string;
    /** `starttls` (submission, 587), `tls` (implicit TLS, 465) or `none`. */
    security: "starttls" | "tls" | "none";
    /** The sender address (mail.from). */
    from: string;
}

export interface HostConnection {
    host: pulumi.Input<string>;
    port: number;
    user: string;
    privateKey: pulumi.Input<string>;
}

export interface DataStorage {
    /** Mount point (or plain directory) holding Docker's data root and the checkout. */
    dataDir: string;
    /** AWS: the EBS volume to find by its id (NVMe device names differ from the API's). */
    volumeId?: pulumi.Input<string>;
    /** AWS: the volume's provisioned size; a resize re-runs the step, which grows the filesystem. */
    volumeSizeGb?: number;
    /** Own server: a block device to format (only if blank) and mount. */
    device?: string;
}

export interface SentryProvisionerArgs {
    connection: HostConnection;
    storage: DataStorage;
    sentry: SentrySettings;
    adminPassword: pulumi.Input<string>;
    /** The SMTP password of `sentry.mail` (a secret; travels like the admin password, on stdin only). */
    smtpPassword?: pulumi.Input<string>;
    /** Extra public keys for humans, kept in a managed block of the SSH user's authorized_keys. */
    sshPublicKeys: string[];
    /** The version the previous deployment reported, for the preview-time upgrade check. */
    deployedVersion?: pulumi.Input<string | undefined>;
    /**
     * What identifies the machine behind the address (the EC2 instance id). The address can stay
     * the same when the machine is replaced (an Elastic IP): every step then runs again on it.
     */
    hostId?: pulumi.Input<string>;
    /** Resources the first step must wait for (e.g. the EIP association and volume attachment). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The steps, in order; each name is also its script's file name and its child's suffix. */
export const STEPS = [
    "wait-for-host",
    "authorize-ssh-keys",
    "prepare-data",
    "install-docker",
    "checkout-self-hosted",
    "configure-sentry",
    "install-sentry",
    "start-sentry",
    "create-admin",
    "check-health",
    "test-mail",
] as const;
export type StepName = (typeof STEPS)[number];

/** Host layout below the data directory. */
export function hostLayout(dataDir: string) {
    return {
        dockerDataRoot: `${dataDir}/docker`,
        containerdRoot: `${dataDir}/containerd`,
        sentryDir: `${dataDir}/self-hosted`,
        stateDir: `${dataDir}/sentry-deploy`,
        /** The TLS server's certificates, keys and ACME account (tls `acme`): on the data volume. */
        tlsDir: `${dataDir}/tls`,
    };
}

interface StepInputs {
    storage: { dataDir: string; volumeId?: string; volumeSizeGb?: number; device?: string };
    sentry: SentrySettings;
    publicUrl: string;
    sshUser: string;
    sshPublicKeys: string[];
    /** Whether an SMTP password travels on configure-sentry's stdin (its value never comes here). */
    smtpPassword?: boolean;
}

/** Every step's script inputs: a pure function of the settings, so tests can read them. */
export function stepEnvironments(i: StepInputs): Record<StepName, Record<string, string>> {
    const layout = hostLayout(i.storage.dataDir);
    const s = i.sentry;
    const sentryDir = { SENTRY_DIR: layout.sentryDir, SENTRY_STATE_DIR: layout.stateDir };
    const tls = hostTlsMode(s);
    const mailFrom = s.mail?.from ?? s.mailFrom;
    return {
        "wait-for-host": { CLOUD_INIT_TIMEOUT_SECONDS: "900" },
        "authorize-ssh-keys": { SSH_USER: i.sshUser, SSH_PUBLIC_KEYS: i.sshPublicKeys.join("\n") },
        "prepare-data": {
            DATA_DIR: i.storage.dataDir,
            ...(i.storage.volumeId ? { DATA_VOLUME_ID: i.storage.volumeId } : {}),
            ...(i.storage.volumeSizeGb ? { DATA_VOLUME_SIZE_GB: String(i.storage.volumeSizeGb) } : {}),
            ...(i.storage.device ? { DATA_DEVICE: i.storage.device } : {}),
            SWAP_SIZE_GB: String(s.swapSizeGb),
        },
        "install-docker": {
            DOCKER_DATA_ROOT: layout.dockerDataRoot,
            CONTAINERD_ROOT: layout.containerdRoot,
            DOCKER_ADDRESS_POOL_BASE: s.dockerAddressPool,
            DOCKER_ADDRESS_POOL_SIZE: "24",
        },
        "checkout-self-hosted": {
            ...sentryDir,
            SENTRY_VERSION: s.version,
            SENTRY_REPO_URL: s.repoUrl,
            SENTRY_HARD_STOPS: HARD_STOPS.join(" "),
            SENTRY_KNOWN_BAD_VERSIONS: KNOWN_BAD_VERSIONS.join(" "),
        },
        "configure-sentry": {
            SENTRY_DIR: layout.sentryDir,
            SENTRY_URL: i.publicUrl,
            SENTRY_CSRF_TRUSTED_ORIGINS: s.csrfTrustedOrigins.join(" "),
            SENTRY_PROFILE: s.profile,
            // Behind the TLS server on the host, nginx answers on loopback only.
            SENTRY_BIND: tls === "acme" ? `127.0.0.1:${s.webPort}` : String(s.webPort),
            SENTRY_RETENTION_DAYS: String(s.retentionDays),
            SENTRY_ADMIN_EMAIL: s.adminEmail,
            SENTRY_ALLOW_REGISTRATION: String(s.allowRegistration),
            SENTRY_TLS: tls,
            SENTRY_SYSTEM_RATE_LIMIT: String(s.eventsPerMinuteLimit),
            SENTRY_REDIS_MAXMEMORY: s.redisMaxMemory,
            ...(s.mailHost ? { SENTRY_MAIL_HOST: s.mailHost } : {}),
            ...(mailFrom ? { SENTRY_MAIL_FROM: mailFrom } : {}),
            ...(tls === "acme" ? acmeEnvironment(s, layout.tlsDir) : {}),
            ...smtpEnvironment(s.mail),
            ...(s.mail !== undefined ? { SENTRY_SMTP_PASSWORD_STDIN: String(i.smtpPassword === true) } : {}),
        },
        "install-sentry": { ...sentryDir, SENTRY_VERSION: s.version, SENTRY_PROFILE: s.profile },
        "start-sentry": { ...sentryDir },
        "create-admin": { SENTRY_DIR: layout.sentryDir, SENTRY_ADMIN_EMAIL: s.adminEmail },
        "check-health": { SENTRY_DIR: layout.sentryDir, HEALTH_URL: `http://127.0.0.1:${s.webPort}/_health/` },
        // Without mail there is nothing to send (the step says so), and nothing here changes.
        "test-mail": {
            SENTRY_DIR: layout.sentryDir,
            ...(s.mail !== undefined ? { SENTRY_ADMIN_EMAIL: s.adminEmail, ...smtpEnvironment(s.mail), SENTRY_MAIL_FROM: s.mail.from } : {}),
        },
    };
}

/** configure-sentry's inputs for the TLS server on the host (tls `acme`). */
function acmeEnvironment(s: SentrySettings, tlsDir: string): Record<string, string> {
    if (s.domain === undefined || s.acme === undefined) {
        throw new Error("tls acme needs a domain (sentry:domain) and the ACME CA settings");
    }
    return {
        SENTRY_DOMAIN: s.domain,
        SENTRY_TLS_IMAGE: s.acme.image ?? TLS_SERVER_IMAGE,
        SENTRY_TLS_DATA_DIR: tlsDir,
        SENTRY_CADDYFILE: renderCaddyfile({ domain: s.domain, caUrl: s.acme.caUrl, email: s.acme.email, upstream: TLS_SERVER_UPSTREAM, renewInterval: s.acme.renewInterval }),
    };
}

/** The SMTP settings (never the password), as configure-sentry.sh and test-mail.sh read them. */
function smtpEnvironment(m: MailSettings | undefined): Record<string, string> {
    if (m === undefined) {
        return {};
    }
    return {
        SENTRY_SMTP_HOST: m.host,
        SENTRY_SMTP_PORT: String(m.port),
        SENTRY_SMTP_SECURITY: m.security,
        ...(m.username !== undefined && m.username !== "" ? { SENTRY_SMTP_USERNAME: m.username } : {}),
    };
}

/**
 * Which earlier steps make a step run again when they ran again. Anything not listed
 * re-runs only when its own inputs change (or the host does): a config change re-runs
 * configure, start and health, never the installer; a version change re-runs checkout,
 * configure (everything it writes is derived from the checked-out tree too: the compose
 * override repeats the tree's Redis command, the nginx.conf behind a TLS proxy is the
 * tree's own with one directive replaced), install (which so runs with the new
 * override), start and health. test-mail re-runs only when its own inputs (the SMTP
 * settings, sender and admin address) or the SMTP password change.
 */
export const RERUN_AFTER: Partial<Record<StepName, StepName[]>> = {
    "configure-sentry": ["checkout-self-hosted"],
    "start-sentry": ["configure-sentry", "install-sentry"],
    "check-health": ["start-sentry"],
};

function validateProvisionerArgs(args: SentryProvisionerArgs): string[] {
    const s = args.sentry;
    const problems = [
        sentryVersionProblem(s.version),
        emailProblem(s.adminEmail),
        s.publicUrl === undefined ? undefined : originProblem(s.publicUrl),
        ...s.csrfTrustedOrigins.map(originProblem),
        ...args.sshPublicKeys.map(sshPublicKeyProblem),
        isDataDir(args.storage.dataDir) ? undefined : `dataDir "${args.storage.dataDir}" must be an absolute directory other than /`,
        args.storage.volumeId !== undefined && args.storage.device !== undefined ? "give either a volume id or a device, not both" : undefined,
        ...frontDoorProblems(args),
    ];
    return problems.filter((p): p is string => p !== undefined);
}

/** The tls `acme` and mail settings the host side needs, checked before anything is rendered. */
function frontDoorProblems(args: SentryProvisionerArgs): (string | undefined)[] {
    const s = args.sentry;
    const problems: (string | undefined)[] = [];
    if (s.tls === "acme") {
        if (s.domain === undefined || s.acme === undefined) {
            problems.push(`tls "acme" needs a domain and the ACME CA settings (got domain ${s.domain ?? "unset"}, acme ${s.acme === undefined ? "unset" : "set"})`);
        } else {
            try {
                renderCaddyfile({ domain: s.domain, caUrl: s.acme.caUrl, email: s.acme.email, upstream: TLS_SERVER_UPSTREAM, renewInterval: s.acme.renewInterval });
            } catch (e) {
                problems.push(`tls "acme": ${(e as Error).message}`);
            }
            if (s.acme.image !== undefined && !/^[a-z0-9][a-z0-9._/:@-]*$/.test(s.acme.image)) {
                problems.push(`TLS server image "${s.acme.image}" is not an image reference like ${TLS_SERVER_IMAGE}`);
            }
            if (s.publicUrl !== undefined && s.publicUrl !== `https://${s.domain}`) {
                problems.push(`with tls "acme" users reach https://${s.domain}, but publicUrl is ${s.publicUrl}; leave publicUrl unset or set it to https://${s.domain}`);
            }
        }
    }
    const m = s.mail;
    if (m !== undefined) {
        if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(m.host)) {
            problems.push(`mail host "${m.host}" is not a host name or address like email-smtp.us-east-1.amazonaws.com`);
        }
        if (!Number.isInteger(m.port) || m.port < 1 || m.port > 65535) {
            problems.push(`mail port ${m.port} is not a port (587 for starttls, 465 for tls)`);
        }
        problems.push(emailProblem(m.from.replace(/^.*<([^<>]+)>$/, "$1")));
        if (m.username !== undefined && m.username !== "" && args.smtpPassword === undefined) {
            problems.push(`mail username "${m.username}" is set but no SMTP password was given; set the password (a secret) or leave the username empty`);
        }
    } else if (args.smtpPassword !== undefined) {
        problems.push("an SMTP password was given but no mail server (sentry:mail smtp or ses)");
    }
    return problems;
}

export class SentryProvisioner extends pulumi.ComponentResource {
    /** Each step's command resource, in order. */
    readonly steps: Record<StepName, command.remote.Command>;
    readonly url: pulumi.Output<string>;

    constructor(name: string, args: SentryProvisionerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sentry:host:SentryProvisioner", name, {}, opts);
        const problems = validateProvisionerArgs(args);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`SentryProvisioner ${name}: ${problems.join("; ")}`, this);
        }

        const connection: command.types.input.remote.ConnectionArgs = {
            host: args.connection.host,
            port: args.connection.port,
            user: args.connection.user,
            privateKey: pulumi.secret(args.connection.privateKey),
        };
        // A new VM takes minutes to answer SSH: the first step dials patiently; later steps
        // run on a host already known to answer.
        const firstConnection = { ...connection, dialErrorLimit: 120, perDialTimeout: 15 };
        // The origin users type (system.url-prefix); by default https://<domain>, else the
        // address we connect to.
        const publicUrl =
            args.sentry.publicUrl !== undefined
                ? pulumi.output(args.sentry.publicUrl)
                : args.sentry.domain !== undefined && hostTlsMode(args.sentry) !== "none"
                  ? pulumi.output(`https://${args.sentry.domain}`)
                  : pulumi.interpolate`http://${args.connection.host}:${args.sentry.webPort}`;
        // The SMTP password travels like the admin password: on stdin (configure-sentry's, which
        // writes it to a root-only file), never in a command line, an env file or plain state. Its
        // digest (secret) makes the steps that depend on it run again when it changes.
        const smtpPassword = args.sentry.mail !== undefined && args.smtpPassword !== undefined ? pulumi.secret(args.smtpPassword) : undefined;
        const smtpPasswordRevision = smtpPassword?.apply((p) => digest("smtp-password", p));

        const envs = pulumi
            .all([publicUrl, pulumi.output(args.storage.volumeId)])
            .apply(([publicUrl, volumeId]) =>
                stepEnvironments({
                    storage: { dataDir: args.storage.dataDir, volumeId, volumeSizeGb: args.storage.volumeSizeGb, device: args.storage.device },
                    sentry: args.sentry,
                    publicUrl,
                    sshUser: args.connection.user,
                    sshPublicKeys: args.sshPublicKeys,
                    smtpPassword: smtpPassword !== undefined,
                }),
            );

        const steps: Partial<Record<StepName, command.remote.Command>> = {};
        const revision: Partial<Record<StepName, pulumi.Output<string>>> = {};
        let previous: command.remote.Command | undefined;
        const lib = readScript("lib.sh");
        for (const step of STEPS) {
            let create = envs.apply((e) => renderStepCommand(step, readScript(`${step}.sh`), e[step], lib));
            if (step === "checkout-self-hosted" && args.sentry.checkUpgradePath && args.deployedVersion !== undefined) {
                // Refuse a bad upgrade at preview, before any command touches the host. The
                // script checks again on the host, where the installed version is certain.
                create = pulumi.all([create, pulumi.output(args.deployedVersion)]).apply(([text, deployed]) => {
                    const problem = deployed ? upgradePathProblem(deployed, args.sentry.version) : undefined;
                    if (problem) {
                        throw new pulumi.ResourceError(`sentry:sentryVersion = ${args.sentry.version}: ${problem}`, this);
                    }
                    return text;
                });
            }
            const after = (RERUN_AFTER[step] ?? []).map((s) => revision[s] as pulumi.Output<string>);
            // A new SMTP password changes what configure-sentry writes (so start-sentry recreates
            // what mounts it) and is worth a new test message.
            const secretInputs = (step === "configure-sentry" || step === "test-mail") && smtpPasswordRevision !== undefined ? [smtpPasswordRevision] : [];
            revision[step] = pulumi.all([create, ...after, ...secretInputs]).apply((parts) => digest(...parts));
            const triggers = [...(args.hostId !== undefined ? [pulumi.output(args.hostId)] : []), ...after, ...secretInputs];
            steps[step] = new command.remote.Command(
                `${name}-${step}`,
                {
                    connection: step === "wait-for-host" ? firstConnection : connection,
                    create,
                    // Secrets travel on stdin only: the admin password to create-admin, the SMTP
                    // password to configure-sentry.
                    ...(step === "create-admin" ? { stdin: pulumi.secret(args.adminPassword) } : {}),
                    ...(step === "configure-sentry" && smtpPassword !== undefined ? { stdin: smtpPassword } : {}),
                    triggers: triggers.length > 0 ? triggers : undefined,
                    // Inputs go through the env file; SSH env requests would be dropped by sshd.
                    addPreviousOutputInEnv: false,
                    logging: step === "create-admin" ? "none" : "stdoutAndStderr",
                },
                {
                    parent: this,
                    dependsOn: previous ? [previous] : args.dependsOn,
                    additionalSecretOutputs: step === "create-admin" ? ["stdout", "stderr"] : undefined,
                },
            );
            previous = steps[step];
        }
        this.steps = steps as Record<StepName, command.remote.Command>;
        // The URL is only worth handing out once the health check has passed.
        this.url = pulumi.all([publicUrl, this.steps["check-health"].stdout]).apply(([u]) => u);
        this.registerOutputs({ url: this.url });
    }
}
