// Pure validators shared by the config loader (which names the config key) and the
// components (which name the argument). Each returns a problem description, or
// undefined when the value is fine, so callers can collect every problem at once.

export type Problem = string | undefined;

const IPV4_OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${IPV4_OCTET}(\\.${IPV4_OCTET}){3}$`);

interface ParsedCidr {
    family: 4 | 6;
    /** Network address as a bigint, host bits cleared. */
    network: bigint;
    prefix: number;
}

function ipv4ToBigInt(ip: string): bigint {
    return ip.split(".").reduce((acc, octet) => (acc << 8n) + BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(ip: string): bigint | undefined {
    if (!/^[0-9a-fA-F:]+$/.test(ip) || ip.split("::").length > 2) {
        return undefined;
    }
    const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, undefined];
    const headParts = head ? head.split(":") : [];
    const tailParts = tail ? tail.split(":") : [];
    const missing = 8 - headParts.length - tailParts.length;
    if ((tail === undefined && missing !== 0) || missing < 0) {
        return undefined;
    }
    const parts = [...headParts, ...Array(tail === undefined ? 0 : missing).fill("0"), ...tailParts];
    if (parts.length !== 8 || parts.some((p) => !/^[0-9a-fA-F]{1,4}$/.test(p))) {
        return undefined;
    }
    return parts.reduce((acc, p) => (acc << 16n) + BigInt(parseInt(p, 16)), 0n);
}

/** Parses an IPv4 or IPv6 CIDR; undefined when malformed. Host bits must be zero. */
function parseCidr(value: string): ParsedCidr | undefined {
    const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
    if (!match) {
        return undefined;
    }
    const [, address, prefixText] = match;
    const prefix = Number(prefixText);
    let family: 4 | 6;
    let bits: bigint | undefined;
    if (IPV4.test(address)) {
        family = 4;
        bits = ipv4ToBigInt(address);
    } else {
        family = 6;
        bits = ipv6ToBigInt(address);
    }
    const width = family === 4 ? 32 : 128;
    if (bits === undefined || prefix > width) {
        return undefined;
    }
    const hostMask = (1n << BigInt(width - prefix)) - 1n;
    if ((bits & hostMask) !== 0n) {
        return undefined;
    }
    return { family, network: bits, prefix };
}

export function cidrProblem(value: string): Problem {
    if (parseCidr(value)) {
        return undefined;
    }
    return `"${value}" is not a valid CIDR block (expected e.g. 203.0.113.7/32 or 2001:db8::/64, with the host bits zero)`;
}

/** 0.0.0.0/0, ::/0 and any other spelling of "every address", even one that would not parse. */
export function isOpenToWorld(cidr: string): boolean {
    return /\/0$/.test(cidr.trim());
}

/** An ISO 8601 UTC time to the minute or second (no fractions), as sentry:expiresAt takes it. */
export function isIsoUtc(value: string): boolean {
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$/.test(value) && !Number.isNaN(Date.parse(value));
}

/** Whether two blocks of the same family overlap: they agree on the shorter prefix. */
function sameFamilyOverlap(x: ParsedCidr, y: ParsedCidr): boolean {
    const width = x.family === 4 ? 32 : 128;
    const shift = BigInt(width - Math.min(x.prefix, y.prefix));
    return x.network >> shift === y.network >> shift;
}

export function cidrsOverlap(a: string, b: string): boolean {
    const x = parseCidr(a);
    const y = parseCidr(b);
    return !!x && !!y && x.family === y.family && sameFamilyOverlap(x, y);
}

/** True when `inner` lies entirely within `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
    const o = parseCidr(outer);
    const i = parseCidr(inner);
    return !!o && !!i && o.family === i.family && i.prefix >= o.prefix && sameFamilyOverlap(o, i);
}

export function sshCidrsProblem(cidrs: readonly string[]): Problem {
    const bad = cidrs.map(cidrProblem).find((p) => p !== undefined);
    if (bad) {
        return bad;
    }
    const open = cidrs.find(isOpenToWorld);
    if (open) {
        return `"${open}" opens SSH to the whole internet (Security Hub EC2.13, CIS 5.2); list your own addresses instead, e.g. your public IP as x.x.x.x/32`;
    }
    return undefined;
}

/** Self-hosted releases are calendar versions: YY.M.PATCH, e.g. 26.8.0. */
const SENTRY_VERSION_PATTERN = /^(\d{2})\.(\d{1,2})\.(\d+)$/;

export function sentryVersionProblem(value: string): Problem {
    const match = SENTRY_VERSION_PATTERN.exec(value);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 12) {
        return `"${value}" is not a self-hosted release tag (expected a calendar version such as 26.8.0; "master", "latest" and "nightly" are refused because the installer runs nightly images and refuses stale master checkouts)`;
    }
    return undefined;
}

/**
 * An origin is what a browser sends in the Origin header: scheme://host[:port], nothing
 * after it. Sentry compares system.url-prefix and CSRF_TRUSTED_ORIGINS against it
 * literally, so a trailing slash or a path here is exactly the CSRF failure we avoid.
 */
export function originProblem(value: string): Problem {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return `"${value}" is not a URL (expected an origin such as https://sentry.example.com or http://203.0.113.10:9000)`;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
        return `"${value}" must start with http:// or https://`;
    }
    if (value.endsWith("/") || url.pathname !== "/" || url.search || url.hash || url.username || url.password) {
        return `"${value}" must be a bare origin (scheme://host[:port]) with no path, query or trailing slash: Sentry compares it literally with the browser's Origin header`;
    }
    if (url.origin !== value) {
        return `"${value}" must be written as browsers send it, "${url.origin}" (lower case, no default port): Sentry compares it literally with the browser's Origin header`;
    }
    return undefined;
}

/** An absolute directory path of plain characters, other than / itself. */
export function isDataDir(value: string): boolean {
    return /^\/[A-Za-z0-9._/-]+$/.test(value) && value !== "/";
}

export function emailProblem(value: string): Problem {
    if (!/^[^\s@'"\\$`]+@[^\s@'"\\$`]+\.[^\s@'"\\$`]+$/.test(value)) {
        return `"${value}" is not an email address`;
    }
    return undefined;
}

export const MIN_DATA_VOLUME_GB = 20;
export const MAX_GP3_GB = 16384;

export function dataVolumeSizeProblem(sizeGb: number): Problem {
    if (!Number.isInteger(sizeGb) || sizeGb < MIN_DATA_VOLUME_GB || sizeGb > MAX_GP3_GB) {
        return `${sizeGb} GB is outside ${MIN_DATA_VOLUME_GB}-${MAX_GP3_GB} GB; self-hosted needs at least ${MIN_DATA_VOLUME_GB} GB and real installs grow to tens or hundreds of GB (Kafka, ClickHouse, Postgres, images)`;
    }
    return undefined;
}

export function gp3PerformanceProblem(sizeGb: number, iops: number, throughputMBps: number): Problem {
    if (!Number.isInteger(iops) || iops < 3000 || iops > 16000) {
        return `${iops} IOPS is outside gp3's 3000-16000`;
    }
    if (iops > sizeGb * 500) {
        return `${iops} IOPS exceeds gp3's 500 IOPS per GB for a ${sizeGb} GB volume`;
    }
    if (!Number.isInteger(throughputMBps) || throughputMBps < 125 || throughputMBps > 1000) {
        return `${throughputMBps} MB/s is outside gp3's 125-1000 MB/s`;
    }
    if (throughputMBps > iops / 4) {
        return `${throughputMBps} MB/s exceeds gp3's limit of 0.25 MB/s per provisioned IOPS (${iops} IOPS allows ${Math.floor(iops / 4)} MB/s)`;
    }
    return undefined;
}

export function sshPublicKeyProblem(value: string): Problem {
    if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+=*( [^\n'\\]*)?$/.test(value)) {
        return `"${value.slice(0, 40)}..." is not a single-line OpenSSH public key (e.g. "ssh-ed25519 AAAA... you@laptop")`;
    }
    return undefined;
}

/** Values that end up in shell-sourced files must not smuggle quotes or newlines. */
export function shellSafeProblem(value: string): Problem {
    if (/['"\\`$\n\r]/.test(value)) {
        return `"${value}" contains a quote, backslash, backtick, $ or newline, which the host's shell-sourced files cannot carry safely`;
    }
    return undefined;
}
