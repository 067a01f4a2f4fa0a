// Pure validators shared by the config loader (which names the config key) and the
// components (which name the argument). Each returns a problem description, or
// undefined when the value is fine, so callers can collect every problem at once.
import * as ipaddr from "ipaddr.js";

export type Problem = string | undefined;

// ---------------------------------------------------------------------------------------
// CIDR blocks. ipaddr.js parses both families and carries IANA's special-purpose ranges; the
// set arithmetic below works on the numeric ranges it yields: a block is an inclusive
// [first, last] range of addresses of one family.

type Family = 4 | 6;
type Range = readonly [first: bigint, last: bigint];

interface Block {
    family: Family;
    range: Range;
}

const WIDTH: Record<Family, number> = { 4: 32, 6: 128 };

function toBigInt(bytes: readonly number[]): bigint {
    return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

function blockOf(address: ipaddr.IPv4 | ipaddr.IPv6, prefix: number): Block {
    const family: Family = address.kind() === "ipv4" ? 4 : 6;
    const hostMask = (1n << BigInt(WIDTH[family] - prefix)) - 1n;
    const first = toBigInt(address.toByteArray()) & ~hostMask;
    return { family, range: [first, first | hostMask] };
}

/**
 * Parses an IPv4 or IPv6 CIDR; undefined when malformed. IPv4 takes four decimal parts (not
 * "10.1/16" or octal), IPv6 no zone, and the host bits must be zero.
 */
function parseCidr(value: string): Block | undefined {
    const match = /^([^/%\s]+)\/(0|[1-9]\d{0,2})$/.exec(value);
    if (!match) {
        return undefined;
    }
    const [, text, prefixText] = match;
    const prefix = Number(prefixText);
    const address = ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text) : undefined;
    if (!address || prefix > WIDTH[address.kind() === "ipv4" ? 4 : 6]) {
        return undefined;
    }
    const block = blockOf(address, prefix);
    return block.range[0] === toBigInt(address.toByteArray()) ? block : undefined;
}

/** Sorted, with overlapping and adjacent ranges joined. */
function merge(ranges: readonly Range[]): Range[] {
    const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const out: [bigint, bigint][] = [];
    for (const [first, last] of sorted) {
        const prev = out[out.length - 1];
        if (prev && first <= prev[1] + 1n) {
            prev[1] = last > prev[1] ? last : prev[1];
        } else {
            out.push([first, last]);
        }
    }
    return out;
}

/** The addresses in both. */
function intersect(a: readonly Range[], b: readonly Range[]): Range[] {
    const out: Range[] = [];
    for (const [af, al] of a) {
        for (const [bf, bl] of b) {
            const first = af > bf ? af : bf;
            const last = al < bl ? al : bl;
            if (first <= last) {
                out.push([first, last]);
            }
        }
    }
    return merge(out);
}

/** The addresses of `a` outside `holes`. */
function subtract(a: readonly Range[], holes: readonly Range[]): Range[] {
    let rest: Range[] = [...a];
    for (const [hf, hl] of holes) {
        rest = rest.flatMap(([f, l]): Range[] => {
            if (hl < f || hf > l) {
                return [[f, l]];
            }
            const below: Range[] = hf > f ? [[f, hf - 1n]] : [];
            const above: Range[] = hl < l ? [[hl + 1n, l]] : [];
            return [...below, ...above];
        });
    }
    return rest;
}

function size(ranges: readonly Range[]): bigint {
    return ranges.reduce((sum, [f, l]) => sum + (l - f + 1n), 0n);
}

type SpecialRangeTable = Record<string, [ipaddr.IPv4 | ipaddr.IPv6, number] | [ipaddr.IPv4 | ipaddr.IPv6, number][]>;

/** ipaddr.js's table of IANA special-purpose ranges (the one its range() classifies by). */
function specialRanges(family: Family, include: (name: string) => boolean = () => true): Range[] {
    const table = (family === 4 ? ipaddr.IPv4.prototype : ipaddr.IPv6.prototype) as unknown as { SpecialRanges: SpecialRangeTable };
    const ranges: Range[] = [];
    for (const [name, entry] of Object.entries(table.SpecialRanges)) {
        if (include(name)) {
            const list = (Array.isArray(entry[0]) ? entry : [entry]) as [ipaddr.IPv4 | ipaddr.IPv6, number][];
            ranges.push(...list.map(([address, prefix]) => blockOf(address, prefix).range));
        }
    }
    return merge(ranges);
}

/** IPv6 transition prefixes that carry real internet hosts (tunnelled IPv4 ones). */
const IPV6_TUNNELS = ["6to4", "teredo"];
const IPV6_GLOBAL_UNICAST: Range = [0x2000n << 112n, (0x4000n << 112n) - 1n]; // 2000::/3

/**
 * The public address space: the addresses a host on the internet sends from. IPv4: all but
 * IANA's special-purpose ranges (private, shared/CGNAT, loopback, link-local, documentation,
 * benchmarking, multicast, reserved...). IPv6: global unicast (2000::/3, the only part IANA
 * allocates) but its special-purpose ranges, except 6to4 and Teredo, which are real hosts.
 */
const PUBLIC: Record<Family, Range[]> = {
    4: subtract([[0n, (1n << 32n) - 1n]], specialRanges(4)),
    6: merge([...subtract([IPV6_GLOBAL_UNICAST], specialRanges(6)), ...specialRanges(6, (name) => IPV6_TUNNELS.includes(name))]),
};

/**
 * "Open to the internet": a set of CIDRs that together covers MORE public addresses of one
 * family than one /8 (IPv4, 16,777,216 addresses) or one /32 (IPv6). A /8 is the largest
 * block ever assigned to one organisation as its own network (the old class A) and a /32 is
 * an ISP's whole allocation, so an allow-list larger than that can only be other people's
 * networks - the internet, however it is split (0.0.0.0/1 + 128.0.0.0/1, sixteen /4s...).
 * Private and reserved ranges do not count: 10.0.0.0/8 behind a VPN is not the internet.
 */
const INTERNET_BOUND: Readonly<Record<Family, { addresses: bigint; block: string }>> = {
    4: { addresses: 1n << 24n, block: "/8" },
    6: { addresses: 1n << 96n, block: "/32" },
};

export interface InternetExposure {
    family: Family;
    /** The CIDRs (as given, in their order) that open it: dropping them all closes it. */
    cidrs: string[];
    /** Public addresses they cover together. */
    publicAddresses: bigint;
    /** They cover every public address of the family. */
    wholeInternet: boolean;
}

/**
 * Per family, whether the CIDRs together are open to the internet (INTERNET_BOUND) and which
 * of them make it so: the widest first, as few as open it, and again among the rest until what
 * remains is closed - so that one message names every entry to drop. Malformed entries are
 * ignored (cidrProblem reports them).
 */
export function internetExposures(cidrs: readonly string[]): InternetExposure[] {
    const exposures: InternetExposure[] = [];
    for (const family of [4, 6] as const) {
        const publicSpace = PUBLIC[family];
        const covered = (ranges: readonly Range[]) => size(intersect(merge(ranges), publicSpace));
        let rest = cidrs
            .map((cidr, index) => ({ cidr, index, block: parseCidr(cidr.trim()) }))
            .filter((p) => p.block?.family === family)
            .map((p) => ({ cidr: p.cidr, index: p.index, range: p.block!.range, own: covered([p.block!.range]) }))
            .filter((p) => p.own > 0n)
            .sort((a, b) => (a.own > b.own ? -1 : a.own < b.own ? 1 : a.index - b.index));
        const named: typeof rest = [];
        for (;;) {
            const n = rest.findIndex((_, i) => covered(rest.slice(0, i + 1).map((p) => p.range)) > INTERNET_BOUND[family].addresses);
            if (n < 0) {
                break;
            }
            named.push(...rest.slice(0, n + 1));
            rest = rest.slice(n + 1);
        }
        if (named.length > 0) {
            const publicAddresses = covered(named.map((p) => p.range));
            named.sort((a, b) => a.index - b.index);
            exposures.push({ family, cidrs: named.map((p) => p.cidr), publicAddresses, wholeInternet: publicAddresses === size(publicSpace) });
        }
    }
    return exposures;
}

/** "the whole internet", or how much of it, for messages. */
export function exposureText(e: InternetExposure): string {
    if (e.wholeInternet) {
        return "the whole internet";
    }
    const bound = INTERNET_BOUND[e.family];
    return `the internet (${e.publicAddresses.toLocaleString("en-US")} public IPv${e.family} addresses, more than the ${bound.addresses.toLocaleString("en-US")} of a ${bound.block})`;
}

/** One CIDR that is open to the internet by itself (0.0.0.0/0, ::/0, 0.0.0.0/1...). */
export function isOpenToWorld(cidr: string): boolean {
    return internetExposures([cidr]).length > 0;
}

export function cidrProblem(value: string): Problem {
    if (parseCidr(value)) {
        return undefined;
    }
    return `"${value}" is not a valid CIDR block (expected e.g. 203.0.113.7/32 or 2001:db8::/64, with the host bits zero)`;
}

function sameFamily(a: string, b: string): [Range, Range] | undefined {
    const x = parseCidr(a);
    const y = parseCidr(b);
    return x && y && x.family === y.family ? [x.range, y.range] : undefined;
}

export function cidrsOverlap(a: string, b: string): boolean {
    const pair = sameFamily(a, b);
    return !!pair && pair[0][0] <= pair[1][1] && pair[1][0] <= pair[0][1];
}

/** True when `inner` lies entirely within `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
    const pair = sameFamily(outer, inner);
    return !!pair && pair[0][0] <= pair[1][0] && pair[1][1] <= pair[0][1];
}

const quoted = (cidrs: readonly string[]) => cidrs.map((c) => `"${c}"`).join(", ");

export function sshCidrsProblem(cidrs: readonly string[]): Problem {
    const bad = cidrs.map(cidrProblem).find((p) => p !== undefined);
    if (bad) {
        return bad;
    }
    const open = internetExposures(cidrs).map((e) => `${quoted(e.cidrs)} ${e.cidrs.length > 1 ? "together open" : "opens"} SSH to ${exposureText(e)}`);
    if (open.length > 0) {
        return `${open.join("; ")} (Security Hub EC2.13, CIS 5.2); list your own addresses instead, e.g. your public IP as x.x.x.x/32`;
    }
    return undefined;
}

/**
 * A list of CIDRs in which an entry repeats another (after normalising: "2001:DB8::/32" is
 * "2001:db8::/32") or lies inside another. Each entry becomes its own security-group rule:
 * AWS refuses a repeated one at `pulumi up`, and a contained one only hides what was meant.
 */
export function duplicateCidrsProblem(cidrs: readonly string[]): Problem {
    const found: string[] = [];
    cidrs.forEach((b, j) => {
        const outer = cidrs.slice(0, j).find((a) => cidrContains(a, b) || cidrContains(b, a));
        if (outer === undefined) {
            return;
        }
        if (cidrContains(outer, b) && cidrContains(b, outer)) {
            found.push(`"${b}" repeats "${outer}" (drop "${b}")`);
        } else {
            const [big, small] = cidrContains(outer, b) ? [outer, b] : [b, outer];
            found.push(`"${small}" lies inside "${big}" (drop "${small}")`);
        }
    });
    if (found.length === 0) {
        return undefined;
    }
    return `${found.join("; ")}: each entry becomes its own security-group rule, and AWS refuses a rule that repeats another (InvalidPermission.Duplicate) at \`pulumi up\``;
}

/** An ISO 8601 UTC time to the minute or second (no fractions), as sentry:expiresAt takes it. */
export function isIsoUtc(value: string): boolean {
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$/.test(value) && !Number.isNaN(Date.parse(value));
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

/** A mirror's base URL: http(s), a host, no credentials, query or trailing slash (scripts append paths). */
export function mirrorUrlProblem(value: string): Problem {
    let u: URL;
    try {
        u = new URL(value);
    } catch {
        return "must be an http(s) URL such as https://mirrors.example.cn/ubuntu";
    }
    if (u.protocol !== "https:" && u.protocol !== "http:") {
        return `must be an http(s) URL (found ${u.protocol.replace(/:$/, "")}://)`;
    }
    if (u.username !== "" || u.password !== "") {
        return "must not carry credentials (they would land in apt sources and the stack's state)";
    }
    if (u.search !== "" || u.hash !== "" || value.endsWith("/") || /[\s'"\\`$]/.test(value)) {
        return "must be a plain base URL without a trailing slash, query, quotes or spaces";
    }
    return undefined;
}

/**
 * The proxy install.sh's image builds use (sentry:mirrors.buildProxy): a mirror URL whose host the
 * builds' containers can reach. They run on Docker's bridge network, where a loopback address is
 * the container itself (measured on Docker 29 with BuildKit: the docker29 end-to-end suite).
 */
export function buildProxyProblem(value: string): Problem {
    const urlProblem = mirrorUrlProblem(value);
    if (urlProblem) {
        return urlProblem;
    }
    const host = new URL(value).hostname.replace(/^\[|\]$/g, "");
    const range = ipaddr.isValid(host) ? ipaddr.process(host).range() : undefined;
    if (host === "localhost" || host.endsWith(".localhost") || range === "loopback" || range === "unspecified") {
        return (
            `must not be a loopback address (${host}): install.sh's image builds run in containers on Docker's bridge network, where ${host} is the build container itself. ` +
            "Give an address the containers reach: the proxy's LAN or VPC address, or for a proxy on the host itself its Docker bridge address (10.250.0.1 with the default sentry:dockerAddressPool), with the proxy listening there"
        );
    }
    return undefined;
}

/** A git remote a mirror of self-hosted may live at: http(s), ssh, git or file URLs, or scp-like user@host:path. */
export function gitUrlProblem(value: string): Problem {
    if (!/^(https?|ssh|git|file):\/\/[^\s]+$|^[^\s@]+@[^\s:]+:[^\s]+$/.test(value)) {
        return "is not a git URL such as https://git.example.cn/mirrors/self-hosted.git";
    }
    return shellSafeProblem(value);
}

const REGISTRY_HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/;

/** A registry's host name as image references spell it (ghcr.io, docker.io, registry.gitlab.com). */
export function registryHostProblem(value: string): Problem {
    return REGISTRY_HOST.test(value) && (value.includes(".") || value.includes(":") || value === "localhost") ? undefined : `"${value}" is not a registry host such as ghcr.io or docker.io`;
}

/** Where a registry's images are mirrored: host[:port][/path], no scheme (an image reference's prefix). */
export function registryPrefixProblem(value: string): Problem {
    const [host, ...path] = value.split("/");
    if (value.includes("://")) {
        return "must be an image-name prefix without a scheme, e.g. mirror.example.cn/ghcr";
    }
    if (registryHostProblem(host) !== undefined || !path.every((p) => /^[a-z0-9]+([._-][a-z0-9]+)*$/.test(p))) {
        return "must be host[:port] and an optional lowercase path, e.g. mirror.example.cn/ghcr";
    }
    return undefined;
}

/**
 * A fully qualified DNS name users can type (RFC 1035 / RFC 1123 host names): two labels or
 * more, each 1-63 letters, digits or inner hyphens, at most 253 characters, written in lower
 * case without a trailing dot (the form Sentry, ACM and Route 53 compare).
 */
export function domainNameProblem(value: string): Problem {
    if (value !== value.toLowerCase()) {
        return `"${value}" must be written in lower case ("${value.toLowerCase()}")`;
    }
    if (value.endsWith(".")) {
        return `"${value}" must not end with a dot ("${value.slice(0, -1)}")`;
    }
    if (/^[a-z]+:\/\//.test(value) || value.includes("/") || value.includes(":")) {
        return `"${value}" must be a bare DNS name such as sentry.your-company.com (no scheme, port or path)`;
    }
    const labels = value.split(".");
    const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
    if (value.length > 253 || labels.length < 2 || !labels.every((l) => label.test(l)) || /^\d+$/.test(labels[labels.length - 1])) {
        return `"${value}" is not a DNS name (labels of letters, digits and inner hyphens, 1-63 characters each, separated by dots, e.g. sentry.your-company.com)`;
    }
    return undefined;
}

/** True when `name` is `zone` or lies below it (sentry.example.com in example.com). */
export function isInZone(name: string, zone: string): boolean {
    const z = zone.replace(/\.$/, "").toLowerCase();
    return name === z || name.endsWith(`.${z}`);
}
