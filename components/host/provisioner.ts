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
    /** Where the host downloads from instead of the upstream sites (sentry:mirrors); repoUrl is the git one. */
    mirrors?: HostMirrors;
    /** HH:MM: unattended-upgrades may reboot the host then (a new kernel); unset, never automatically. */
    rebootWindow?: string;
}

/** Mirrors of what the install downloads (each unset: the upstream site). */
export interface HostMirrors {
    /** Base URL of an Ubuntu archive mirror (replaces archive/security/ports.ubuntu.com in apt sources). */
    ubuntuApt?: string;
    /** Base URL of a Docker CE apt repository mirror (the `linux` folder: <url>/ubuntu, <url>/debian). */
    dockerApt?: string;
    /** URL of that repository's GPG key; default <dockerApt>/<os>/gpg. */
    dockerAptKey?: string;
    /** Docker Hub mirrors (daemon.json registry-mirrors). */
    dockerHub?: string[];
    /** Registry host -> image prefix that mirrors it (ghcr.io -> mirror.example.cn/ghcr). */
    registries?: Record<string, string>;
    /** HTTP(S) proxy for the downloads of install.sh's image builds that no mirror reaches (pip from GitHub/PyPI, Debian apt). */
    buildProxy?: string;
}

/** The env text of registry mirrors: space-separated REGISTRY=PREFIX pairs, sorted (stable). */
export function imageMirrorsEnv(registries: Record<string, string> | undefined): string {
    return Object.keys(registries ?? {})
        .sort()
        .map((r) => `${r}=${registries![r]}`)
        .join(" ");
}

/** What the heartbeat (a systemd timer, every minute) reports and where to. */
export interface HostMonitoring {
    /** CloudWatch namespace the host's role may put metrics into; unset: no CloudWatch. */
    metricsNamespace?: string;
    /** The region of that namespace (with metricsNamespace). */
    region?: string;
    /** A dead-man's-switch URL pinged while all is well (a secret: it is a credential). */
    heartbeatUrl?: pulumi.Input<string>;
    /** A disk at or above it withholds the ping (the critical alarm threshold). */
    diskCriticalPercent: number;
    /** Memory at or above it withholds the ping. */
    memoryCriticalPercent: number;
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
    /** The SMTP username when it exists only at deploy time (SES: the access key id); replaces `sentry.mail.username`. */
    smtpUsername?: pulumi.Input<string>;
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
    /**
     * Make an API token for the first superuser after the health check (create-api-token.sh),
     * for the provider of Sentry's API. Only stacks that declare projects ask for one.
     */
    apiToken?: ApiTokenRequest;
    /** The heartbeat's targets; unset, the timer still runs and logs to the journal only. */
    monitoring?: HostMonitoring;
    /**
     * Called with the stop-for-upgrade step; what it returns runs after that step and before
     * checkout-self-hosted (on AWS: the pre-upgrade snapshot of the data volume). The
     * provisioner itself knows nothing of where the host runs.
     */
    beforeUpgrade?: (stopped: command.remote.Command) => pulumi.Resource[];
}

export interface ApiTokenRequest {
    /** The token's name in Sentry; each run replaces the tokens of this name. */
    name: string;
    scopes: readonly string[];
    /** Raise it to make a new token (the old one stops working in the same `pulumi up`). */
    rotation: number;
}

/** The optional step after the others (not in STEPS: only stacks with sentry:projects run it). */
export const API_TOKEN_STEP = "create-api-token";

/** The api-token step's script inputs: a pure function, so tests can read them. */
export function apiTokenEnvironment(dataDir: string, adminEmail: string, request: ApiTokenRequest): Record<string, string> {
    return {
        SENTRY_DIR: hostLayout(dataDir).sentryDir,
        SENTRY_ADMIN_EMAIL: adminEmail,
        SENTRY_API_TOKEN_NAME: request.name,
        SENTRY_API_TOKEN_SCOPES: request.scopes.join(" "),
    };
}

/** The token in the step's stdout (its only line); an error that shows none of the output otherwise. */
export function tokenFromStdout(stdout: string): string {
    const token = stdout.trim();
    if (!/^sntryu_[0-9a-f]{64}$/.test(token)) {
        throw new Error(`${API_TOKEN_STEP} printed no Sentry user auth token (${token.length} characters on stdout, not shown); run it by hand on the host to see why`);
    }
    return token;
}

/** The steps, in order; each name is also its script's file name and its child's suffix. */
export const STEPS = [
    "wait-for-host",
    "authorize-ssh-keys",
    "prepare-data",
    "install-docker",
    "configure-updates",
    "stop-for-upgrade",
    "checkout-self-hosted",
    "configure-sentry",
    "install-sentry",
    "start-sentry",
    "create-admin",
    "check-health",
    "install-heartbeat",
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
    monitoring?: Omit<HostMonitoring, "heartbeatUrl">;
    /** Whether an SMTP password travels on configure-sentry's stdin (its value never comes here). */
    smtpPassword?: boolean;
}

/** Every step's script inputs: a pure function of the settings, so tests can read them. */
export function stepEnvironments(i: StepInputs): Record<StepName, Record<string, string>> {
    const layout = hostLayout(i.storage.dataDir);
    const s = i.sentry;
    const sentryDir = { SENTRY_DIR: layout.sentryDir, SENTRY_STATE_DIR: layout.stateDir };
    // Mirrors: only the variables that are set, so a stack without mirrors renders as before.
    const m = s.mirrors ?? {};
    const imageMirrors = imageMirrorsEnv(m.registries);
    const dockerMirrors = {
        ...(m.ubuntuApt ? { UBUNTU_APT_MIRROR: m.ubuntuApt } : {}),
        ...(m.dockerApt ? { DOCKER_APT_REPO_URL: m.dockerApt } : {}),
        ...(m.dockerAptKey ? { DOCKER_APT_KEY_URL: m.dockerAptKey } : {}),
        ...(m.dockerHub && m.dockerHub.length > 0 ? { DOCKER_REGISTRY_MIRRORS: m.dockerHub.join(" ") } : {}),
    };
    const images: Record<string, string> = imageMirrors ? { SENTRY_IMAGE_MIRRORS: imageMirrors } : {};
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
            ...dockerMirrors,
        },
        "configure-updates": { ...(s.rebootWindow ? { REBOOT_WINDOW: s.rebootWindow } : {}) },
        "stop-for-upgrade": { ...sentryDir, SENTRY_VERSION: s.version },
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
            ...images,
        },
        "install-sentry": { ...sentryDir, SENTRY_VERSION: s.version, SENTRY_PROFILE: s.profile, ...images, ...(m.buildProxy ? { SENTRY_BUILD_PROXY: m.buildProxy } : {}) },
        "start-sentry": { ...sentryDir },
        "create-admin": { SENTRY_DIR: layout.sentryDir, SENTRY_ADMIN_EMAIL: s.adminEmail },
        "check-health": { SENTRY_DIR: layout.sentryDir, HEALTH_URL: `http://127.0.0.1:${s.webPort}/_health/` },
        "install-heartbeat": {
            HEARTBEAT_INTERVAL_SECONDS: "60",
            HEALTH_URL: `http://127.0.0.1:${s.webPort}/_health/`,
            DATA_DIR: i.storage.dataDir,
            SENTRY_STATE_DIR: layout.stateDir,
            ...(i.monitoring?.metricsNamespace ? { METRICS_NAMESPACE: i.monitoring.metricsNamespace, AWS_REGION: i.monitoring.region ?? "" } : {}),
            ...(i.monitoring ? { DISK_CRITICAL_PERCENT: String(i.monitoring.diskCriticalPercent), MEMORY_CRITICAL_PERCENT: String(i.monitoring.memoryCriticalPercent) } : {}),
        },
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
/** The steps a new SMTP password runs again (its secret digest is among their triggers). */
export const SMTP_PASSWORD_STEPS: readonly StepName[] = ["configure-sentry", "start-sentry", "check-health", "test-mail"];

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
    /** With args.apiToken: the token step and its token (a secret). */
    readonly apiTokenStep?: command.remote.Command;
    readonly apiToken?: pulumi.Output<string>;

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

        // With SES the SMTP username is the access key id, known once the key exists. It is an
        // identifier, not a credential (the password is), so it reaches the env files in the
        // open and the step commands stay readable in previews.
        const smtpUsername = args.smtpUsername !== undefined ? pulumi.unsecret(pulumi.output(args.smtpUsername)) : pulumi.output(undefined);
        const envs = pulumi
            .all([publicUrl, pulumi.output(args.storage.volumeId), smtpUsername])
            .apply(([publicUrl, volumeId, username]) =>
                stepEnvironments({
                    storage: { dataDir: args.storage.dataDir, volumeId, volumeSizeGb: args.storage.volumeSizeGb, device: args.storage.device },
                    sentry: username !== undefined && args.sentry.mail !== undefined ? { ...args.sentry, mail: { ...args.sentry.mail, username } } : args.sentry,
                    publicUrl,
                    sshUser: args.connection.user,
                    sshPublicKeys: args.sshPublicKeys,
                    monitoring: args.monitoring && {
                        metricsNamespace: args.monitoring.metricsNamespace,
                        region: args.monitoring.region,
                        diskCriticalPercent: args.monitoring.diskCriticalPercent,
                        memoryCriticalPercent: args.monitoring.memoryCriticalPercent,
                    },
                    smtpPassword: smtpPassword !== undefined,
                }),
            );

        const steps: Partial<Record<StepName, command.remote.Command>> = {};
        const revision: Partial<Record<StepName, pulumi.Output<string>>> = {};
        let previous: command.remote.Command | undefined;
        let upgradeGate: pulumi.Resource[] = [];
        const lib = readScript("lib.sh");
        for (const step of STEPS) {
            const extra: Record<string, string> = step === "install-heartbeat" ? { "heartbeat.sh": readScript("heartbeat.sh") } : {};
            let create = envs.apply((e) => renderStepCommand(step, readScript(`${step}.sh`), e[step], lib, extra));
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
            // what mounts it, and the health check follows) and is worth a new test message. Its
            // digest is a trigger of those steps of its own: the revisions other steps follow stay
            // plain, so a preview and the offline diff still show which step re-runs and why.
            const secretInputs = SMTP_PASSWORD_STEPS.includes(step) && smtpPasswordRevision !== undefined ? [smtpPasswordRevision] : [];
            revision[step] = pulumi.all([create, ...after]).apply((parts) => digest(...parts));
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
                    ...(step === "install-heartbeat" && args.monitoring?.heartbeatUrl !== undefined ? { stdin: pulumi.secret(args.monitoring.heartbeatUrl) } : {}),
                    triggers: triggers.length > 0 ? triggers : undefined,
                    // Inputs go through the env file; SSH env requests would be dropped by sshd.
                    addPreviousOutputInEnv: false,
                    logging: step === "create-admin" ? "none" : "stdoutAndStderr",
                },
                {
                    parent: this,
                    dependsOn: previous ? [previous, ...(step === "checkout-self-hosted" ? upgradeGate : [])] : args.dependsOn,
                    additionalSecretOutputs: step === "create-admin" ? ["stdout", "stderr"] : undefined,
                },
            );
            previous = steps[step];
            if (step === "stop-for-upgrade" && args.beforeUpgrade) {
                upgradeGate = args.beforeUpgrade(steps[step]);
            }
        }
        this.steps = steps as Record<StepName, command.remote.Command>;
        if (args.apiToken !== undefined) {
            const request = args.apiToken;
            // Re-runs (making a new token) only when the rotation counter, the host or the
            // script changes: a config change that re-runs the health check keeps the token.
            this.apiTokenStep = new command.remote.Command(
                `${name}-${API_TOKEN_STEP}`,
                {
                    connection,
                    create: renderStepCommand(API_TOKEN_STEP, readScript(`${API_TOKEN_STEP}.sh`), apiTokenEnvironment(args.storage.dataDir, args.sentry.adminEmail, request), lib),
                    triggers: [request.rotation, ...(args.hostId !== undefined ? [pulumi.output(args.hostId)] : [])],
                    addPreviousOutputInEnv: false,
                    // stdout is the token: never logged, stored only as a secret.
                    logging: "none",
                },
                { parent: this, dependsOn: [this.steps["check-health"]], additionalSecretOutputs: ["stdout", "stderr"] },
            );
            this.apiToken = pulumi.secret(this.apiTokenStep.stdout.apply(tokenFromStdout));
        }
        // The URL is only worth handing out once the health check has passed.
        this.url = pulumi.all([publicUrl, this.steps["check-health"].stdout]).apply(([u]) => u);
        this.registerOutputs({ url: this.url });
    }
}
