// What a reviewer reads in an offline plan, and the difference between two plans: pure
// functions of Plan objects (tools/planner.ts), generic over resource types, so that a new
// resource of any type shows up with all of its inputs without a change here.
//
// - reviewOf(plan): resources in the order they are created (dependencies first), every input
//   with deploy-time values labelled <after-deploy: ...>, security group rules in full, IAM
//   roles with their trust and permission policies, and the host steps in run order with the
//   files each one writes (scripts, env files) read back from its command.
// - diffPlans(base, head): added, removed, updated and replaced resources, each changed input
//   old -> new, replacements from tools/replacements.ts, protected resources that would be
//   deleted first, and the host steps that run again with unified diffs of what they write.
import { createTwoFilesPatch } from "diff";
import { RERUN_AFTER, STEPS } from "../components/host/provisioner";
import type { Plan, PlanResource } from "./planner";
import { forcesReplacement } from "./replacements";

/** How a value that only exists at deploy time is shown. */
export const placeholderText = (label: string): string => `<after-deploy: ${label}>`;

/** Types of the program's own component resources: groupings with no cloud object of their own. */
const isComponent = (r: PlanResource): boolean => r.type.startsWith("sentry:");

// ---------------------------------------------------------------------------------------------
// Deploy-time values

/**
 * Replaces every value the mocks made up (plan.placeholders) with its label. Long values
 * (ids, ARNs, keys) are also replaced inside longer strings (a policy's Resource, a URL);
 * short ones (a private address) only when they are the whole value, so that they cannot
 * match by accident.
 */
export function labeller(placeholders: Record<string, string>): (value: unknown) => unknown {
    const exact = new Map(Object.entries(placeholders));
    const inner = Object.keys(placeholders)
        .filter((k) => k.length >= 12)
        .sort((a, b) => b.length - a.length);
    const label = (value: unknown): unknown => {
        if (typeof value === "string") {
            const whole = exact.get(value);
            if (whole !== undefined) {
                return placeholderText(whole);
            }
            let out = value;
            for (const k of inner) {
                if (out.includes(k)) {
                    out = out.split(k).join(placeholderText(placeholders[k]));
                }
            }
            return out;
        }
        if (Array.isArray(value)) {
            return value.map(label);
        }
        if (value && typeof value === "object") {
            return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, label(v)]));
        }
        return value;
    };
    return label;
}

/** The resource a made-up value belongs to ("publicIp of sentry-prod-eip" -> sentry-prod-eip). */
function ownerOf(value: unknown, placeholders: Record<string, string>): string | undefined {
    const label = typeof value === "string" ? placeholders[value] : undefined;
    return label ? / of (\S+)$/.exec(label)?.[1] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Order

/** Resources in the order the engine creates them: each after everything it depends on; ties by type and name. */
export function creationOrder(resources: readonly PlanResource[]): PlanResource[] {
    const byName = new Map(resources.map((r) => [r.name, r]));
    const rank = new Map(resources.map((r, i) => [r.name, i]));
    const remaining = new Set(resources.map((r) => r.name));
    const done = new Set<string>();
    const out: PlanResource[] = [];
    while (remaining.size > 0) {
        const ready = [...remaining]
            .filter((n) => byName.get(n)!.dependsOn.every((d) => done.has(d) || !byName.has(d) || d === n))
            .sort((a, b) => rank.get(a)! - rank.get(b)!);
        // A cycle cannot come from the engine; keep going with the first remaining resource.
        const next = ready[0] ?? [...remaining].sort((a, b) => rank.get(a)! - rank.get(b)!)[0];
        remaining.delete(next);
        done.add(next);
        out.push(byName.get(next)!);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Flattened inputs

/** A JSON document inside a string (an IAM policy), parsed; anything else as it is. */
function parsedDocument(value: unknown): unknown {
    if (typeof value === "string" && /^\s*[{[]/.test(value)) {
        try {
            return JSON.parse(value) as unknown;
        } catch {
            return value;
        }
    }
    return value;
}

/**
 * Every leaf input as [path, value]: nested blocks dotted, lists indexed, JSON documents in
 * strings opened up, so that a diff names exactly what changed.
 */
export function flatten(value: unknown, prefix = ""): [string, unknown][] {
    const doc = parsedDocument(value);
    if (Array.isArray(doc)) {
        if (doc.length === 0) {
            return [[prefix, []]];
        }
        return doc.flatMap((v, i) => flatten(v, `${prefix}[${i}]`));
    }
    if (doc && typeof doc === "object") {
        const entries = Object.entries(doc as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
        if (entries.length === 0) {
            return [[prefix, {}]];
        }
        return entries.flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
    }
    return [[prefix, doc]];
}

export function show(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// Host steps: the files a command writes, read back from its heredocs

export interface HostFile {
    path: string;
    text: string;
}

export interface HostStep {
    /** The command resource. */
    resource: string;
    /** 1-based position in run order. */
    order: number;
    /** The step's name (its script's): a provisioner step, or another host command such as prune-snapshots or create-api-token. */
    step?: string;
    /** What the command writes on the host (scripts, lib.sh, the env file), in the order it writes them. */
    files: HostFile[];
    /** The env file's KEY=value inputs (labelled), parsed from the file ending in .env. */
    env: Record<string, string>;
    /** The rest of the command once the files are taken out: what it finally runs. */
    runs: string;
    triggers: unknown[];
    stdin?: unknown;
}

const HEREDOC = /^(?:\S+ )*tee (\S+) >\/dev\/null <<'([A-Z_]+)'\n([\s\S]*?)\n?^\2$/gm;

/** Splits a rendered step command (components/host/render.ts renderStepCommand) into the files it writes and what it runs. */
export function filesOfCommand(create: string): { files: HostFile[]; runs: string } {
    const files: HostFile[] = [];
    const runs = create.replace(HEREDOC, (_m, path: string, _eof: string, body: string) => {
        files.push({ path, text: body.endsWith("\n") || body === "" ? body : `${body}\n` });
        return `# writes ${path}`;
    });
    return { files, runs: runs.trim() };
}

function envOf(files: readonly HostFile[]): Record<string, string> {
    const file = files.find((f) => f.path.endsWith(".env"));
    const env: Record<string, string> = {};
    for (const m of (file?.text ?? "").matchAll(/^([A-Z][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/gms)) {
        env[m[1]] = m[2].replace(/'\\''/g, "'");
    }
    return env;
}

const isCommand = (r: PlanResource): boolean => r.type === "command:remote:Command" || r.type === "command:local:Command";

/** A provisioner step by its resource name, or any other host command by the script it installs and runs. */
function stepName(resource: string, files: readonly HostFile[]): string | undefined {
    const script = files.map((f) => /\/sentry-deploy\/([a-z0-9-]+)\.sh$/.exec(f.path)?.[1]).find((n) => n !== undefined && n !== "lib");
    return STEPS.find((s) => resource.endsWith(`-${s}`)) ?? script;
}

// ---------------------------------------------------------------------------------------------
// Security groups and IAM

export interface SecurityGroupRule {
    direction: "ingress" | "egress";
    protocol: string;
    ports: string;
    /** CIDR, source/destination group, prefix list or "self". */
    peer: string;
    description?: string;
    /** The resource that holds the rule (a rule resource, or the group for inline rules). */
    resource: string;
}

export interface SecurityGroupView {
    name: string;
    type: string;
    vpc?: unknown;
    description?: unknown;
    rules: SecurityGroupRule[];
}

export interface IamRoleView {
    name: string;
    trust: string[];
    attachedPolicies: string[];
    inlinePolicies: { name: string; statements: string[] }[];
    instanceProfiles: string[];
}

const RULE_TYPES: Record<string, "ingress" | "egress" | "typed"> = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "ingress",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "egress",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "typed",
};
const GROUP_TYPES = new Set(["aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"]);

function protocolText(p: unknown): string {
    const s = String(p ?? "-1").toLowerCase();
    return s === "-1" || s === "all" ? "all protocols" : s;
}

function portsText(protocol: string, from: unknown, to: unknown): string {
    if (protocol === "all protocols" || from === undefined || (from === -1 && to === -1)) {
        return "all ports";
    }
    return from === to || to === undefined ? `port ${show(from)}` : `ports ${show(from)}-${show(to)}`;
}

function rulesOf(inputs: Record<string, unknown>, direction: "ingress" | "egress", resource: string, label: (v: unknown) => unknown, placeholders: Record<string, string>): SecurityGroupRule[] {
    const protocol = protocolText(inputs.ipProtocol ?? inputs.protocol);
    const ports = portsText(protocol, inputs.fromPort, inputs.toPort);
    const group = (v: unknown) => ownerOf(v, placeholders) ?? show(label(v));
    const peers: string[] = [
        ...[inputs.cidrIpv4, inputs.cidrIpv6].filter((v) => v !== undefined).map(show),
        ...((inputs.cidrBlocks ?? []) as unknown[]).map(show),
        ...((inputs.ipv6CidrBlocks ?? []) as unknown[]).map(show),
        ...[inputs.referencedSecurityGroupId, inputs.sourceSecurityGroupId].filter((v) => v !== undefined).map((v) => `security group ${group(v)}`),
        ...((inputs.securityGroups ?? []) as unknown[]).map((v) => `security group ${group(v)}`),
        ...[inputs.prefixListId].filter((v) => v !== undefined).map((v) => `prefix list ${show(label(v))}`),
        ...((inputs.prefixListIds ?? []) as unknown[]).map((v) => `prefix list ${show(label(v))}`),
        ...(inputs.self === true ? ["the group itself"] : []),
    ];
    const description = typeof inputs.description === "string" ? inputs.description : undefined;
    return (peers.length > 0 ? peers : ["(no peer: matches nothing)"]).map((peer) => ({ direction, protocol, ports, peer, description, resource }));
}

export function securityGroupsOf(plan: Plan): SecurityGroupView[] {
    const placeholders = plan.placeholders ?? {};
    const label = labeller(placeholders);
    const groups = new Map<string, SecurityGroupView>();
    for (const r of plan.resources.filter((x) => GROUP_TYPES.has(x.type))) {
        const rules: SecurityGroupRule[] = [];
        for (const dir of ["ingress", "egress"] as const) {
            for (const rule of (r.inputs[dir] ?? []) as Record<string, unknown>[]) {
                rules.push(...rulesOf(rule, dir, r.name, label, placeholders));
            }
        }
        groups.set(r.name, { name: r.name, type: r.type, vpc: label(r.inputs.vpcId), description: r.inputs.description, rules });
    }
    for (const r of plan.resources) {
        const kind = RULE_TYPES[r.type];
        if (!kind) {
            continue;
        }
        const direction = kind === "typed" ? (r.inputs.type === "egress" ? "egress" : "ingress") : kind;
        const owner = ownerOf(r.inputs.securityGroupId, placeholders) ?? show(label(r.inputs.securityGroupId));
        const group = groups.get(owner) ?? { name: owner, type: "(a security group outside this stack)", rules: [] };
        group.rules.push(...rulesOf(r.inputs, direction, r.name, label, placeholders));
        groups.set(owner, group);
    }
    for (const g of groups.values()) {
        g.rules.sort((a, b) => a.direction.localeCompare(b.direction) || a.resource.localeCompare(b.resource));
    }
    return [...groups.values()];
}

function statementLines(doc: unknown, label: (v: unknown) => unknown): string[] {
    const parsed = parsedDocument(doc) as { Statement?: unknown } | string | undefined;
    if (!parsed || typeof parsed !== "object") {
        return parsed === undefined ? [] : [show(label(parsed))];
    }
    const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
    const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => show(label(x))).join(", ");
    return (statements as Record<string, unknown>[]).map((s) => {
        const principal = s.Principal && typeof s.Principal === "object" ? Object.entries(s.Principal as Record<string, unknown>).map(([k, v]) => `${k} ${list(v)}`).join("; ") : s.Principal !== undefined ? show(s.Principal) : undefined;
        const parts = [
            `${show(s.Effect ?? "Allow")} ${list(s.Action ?? s.NotAction)}${s.NotAction ? " (NotAction)" : ""}`,
            principal ? `to ${principal}` : undefined,
            s.Resource !== undefined || s.NotResource !== undefined ? `on ${list(s.Resource ?? s.NotResource)}` : undefined,
            s.Condition !== undefined ? `if ${JSON.stringify(label(s.Condition))}` : undefined,
        ];
        return parts.filter(Boolean).join(" ");
    });
}

export function iamRolesOf(plan: Plan): IamRoleView[] {
    const placeholders = plan.placeholders ?? {};
    const label = labeller(placeholders);
    const roles = new Map<string, IamRoleView>();
    for (const r of plan.resources.filter((x) => x.type === "aws:iam/role:Role")) {
        const inline = ((r.inputs.inlinePolicies ?? []) as Record<string, unknown>[]).map((p) => ({ name: show(p.name ?? "(inline)"), statements: statementLines(p.policy, label) }));
        roles.set(r.name, {
            name: r.name,
            trust: statementLines(r.inputs.assumeRolePolicy, label),
            attachedPolicies: ((r.inputs.managedPolicyArns ?? []) as unknown[]).map((a) => show(label(a))),
            inlinePolicies: inline,
            instanceProfiles: [],
        });
    }
    const roleOf = (v: unknown) => roles.get(ownerOf(v, placeholders) ?? "") ?? [...roles.values()].find((x) => x.name === v);
    const policies = new Map(plan.resources.filter((x) => x.type === "aws:iam/policy:Policy").map((p) => [p.name, p]));
    for (const r of plan.resources) {
        const role = roleOf(r.inputs.role);
        if (!role) {
            continue;
        }
        if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
            const policy = policies.get(ownerOf(r.inputs.policyArn, placeholders) ?? "");
            role.attachedPolicies.push(policy ? `${policy.name} (this stack's policy): ${statementLines(policy.inputs.policy, label).join("; ")}` : show(label(r.inputs.policyArn)));
        } else if (r.type === "aws:iam/rolePolicy:RolePolicy") {
            role.inlinePolicies.push({ name: r.name, statements: statementLines(r.inputs.policy, label) });
        } else if (r.type === "aws:iam/instanceProfile:InstanceProfile") {
            role.instanceProfiles.push(r.name);
        }
    }
    return [...roles.values()];
}

// ---------------------------------------------------------------------------------------------
// The review of one plan

export interface ResourceView {
    type: string;
    name: string;
    protect: boolean;
    retainOnDelete: boolean;
    ignoreChanges?: string[];
    /** Every input, deploy-time values labelled; a command's `create` is described under steps instead. */
    inputs: Record<string, unknown>;
}

export interface Review {
    stack: string;
    region?: string;
    resources: ResourceView[];
    securityGroups: SecurityGroupView[];
    iamRoles: IamRoleView[];
    steps: HostStep[];
}

export function reviewOf(plan: Plan): Review {
    const label = labeller(plan.placeholders ?? {});
    const ordered = creationOrder(plan.resources.filter((r) => !isComponent(r)));
    const resources = ordered.map((r) => ({
        type: r.type,
        name: r.name,
        protect: r.protect,
        retainOnDelete: r.retainOnDelete,
        ...(r.ignoreChanges ? { ignoreChanges: r.ignoreChanges } : {}),
        inputs: label(r.inputs) as Record<string, unknown>,
    }));
    const steps = resources.filter((r) => isCommand(r as PlanResource)).map((r, i): HostStep => {
        const { files, runs } = filesOfCommand(typeof r.inputs.create === "string" ? r.inputs.create : "");
        return {
            resource: r.name,
            order: i + 1,
            ...(stepName(r.name, files) ? { step: stepName(r.name, files) } : {}),
            files,
            env: envOf(files),
            runs,
            triggers: (r.inputs.triggers ?? []) as unknown[],
            ...(r.inputs.stdin !== undefined ? { stdin: r.inputs.stdin } : {}),
        };
    });
    return { stack: plan.stack, region: plan.region, resources, securityGroups: securityGroupsOf(plan), iamRoles: iamRolesOf(plan), steps };
}

function inputLines(r: ResourceView): string[] {
    const lines: string[] = [];
    for (const [key, value] of Object.entries(r.inputs).sort(([a], [b]) => a.localeCompare(b))) {
        if (isCommand(r as PlanResource) && key === "create") {
            lines.push(`create: (the host step below: the files it writes and what it runs)`);
            continue;
        }
        if ((key === "tags" || key === "tagsAll") && value && typeof value === "object" && !Array.isArray(value)) {
            lines.push(`${key}: ${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${show(v)}`).join(", ")}`);
            continue;
        }
        for (const [path, v] of flatten(value, key)) {
            lines.push(`${path}: ${show(v)}`);
        }
    }
    return lines;
}

const indent = (text: string, by: string) =>
    text
        .split("\n")
        .map((l) => (l ? by + l : l))
        .join("\n");

export function renderReview(review: Review, opts: { scripts?: boolean } = {}): string {
    const out: string[] = [];
    out.push(`Resources, in the order they are created (${review.resources.length}):`);
    for (const r of review.resources) {
        const flags = [r.protect ? "protected" : "", r.retainOnDelete ? "retained on delete" : "", r.ignoreChanges ? `ignores changes to ${r.ignoreChanges.join(", ")}` : ""].filter(Boolean);
        out.push(`+ ${r.name}  (${r.type})${flags.length ? `  [${flags.join(", ")}]` : ""}`);
        out.push(...inputLines(r).map((l) => `    ${l}`));
    }

    out.push("", "Security groups, every rule:");
    if (review.securityGroups.length === 0) {
        out.push("  (none)");
    }
    for (const g of review.securityGroups) {
        out.push(`  ${g.name}${g.description ? `: ${show(g.description)}` : ""}`);
        if (g.rules.length === 0) {
            out.push(`    no rules: allows no traffic in or out${g.type.includes("defaultSecurityGroup") ? " (the VPC's default group, locked down)" : ""}`);
        }
        for (const rule of g.rules) {
            const towards = rule.direction === "ingress" ? "from" : "to";
            out.push(`    ${rule.direction.padEnd(7)} ${rule.protocol} ${rule.ports} ${towards} ${rule.peer}${rule.description ? `  "${rule.description}"` : ""}  (${rule.resource})`);
        }
    }

    out.push("", "IAM roles:");
    if (review.iamRoles.length === 0) {
        out.push("  (none)");
    }
    for (const role of review.iamRoles) {
        out.push(`  ${role.name}${role.instanceProfiles.length ? `  (instance profile ${role.instanceProfiles.join(", ")})` : ""}`);
        out.push(...role.trust.map((t) => `    trust: ${t}`));
        out.push(...role.attachedPolicies.map((p) => `    attached policy: ${p}`));
        for (const p of role.inlinePolicies) {
            out.push(...p.statements.map((s) => `    inline policy ${p.name}: ${s}`));
        }
        if (role.attachedPolicies.length === 0 && role.inlinePolicies.length === 0) {
            out.push("    no permissions attached");
        }
    }

    out.push("", "Host steps, in run order:");
    if (review.steps.length === 0) {
        out.push("  (none)");
    }
    for (const s of review.steps) {
        out.push(`  ${s.order}. ${s.step ?? s.resource}  (${s.resource})`);
        out.push(...s.files.map((f) => `       writes ${f.path} (${f.text.split("\n").length - 1} lines)`));
        const env = Object.entries(s.env);
        if (env.length > 0) {
            out.push(`       inputs: ${env.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`);
        }
        if (s.stdin !== undefined) {
            out.push(`       stdin: ${show(s.stdin)}`);
        }
        if (s.triggers.length > 0) {
            const revisions = revisionTriggers(s.step, s.triggers);
            const named = s.triggers.map((t, i) => (revisions.has(i) && typeof t === "string" && REVISION.test(t) ? `the revision of ${revisions.get(i)} (${t})` : show(t)));
            out.push(`       runs again when these change: ${named.join(", ")}`);
        }
        const last = s.runs.split("\n").filter((l) => l && !l.startsWith("# writes") && !/^as_root (chmod|install -d)/.test(l)).pop();
        if (last) {
            out.push(`       runs: ${last}`);
        }
    }
    if (opts.scripts !== false && review.steps.length > 0) {
        out.push("", "Host files, each as the steps write it (a file written by several steps is shown once):");
        const seen = new Map<string, string>();
        for (const s of review.steps) {
            for (const f of s.files) {
                if (seen.get(f.path) === f.text || f.path.endsWith(".env")) {
                    continue;
                }
                seen.set(f.path, f.text);
                out.push("", `----- ${f.path}  (written by ${s.step ?? s.resource})`, f.text.replace(/\n$/, ""));
            }
        }
    }
    return out.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// The difference between two plans

export type ChangeKind = "create" | "delete" | "update" | "replace";

export interface InputChange {
    path: string;
    old?: unknown;
    new?: unknown;
    /** true: this change replaces the resource; false: updated in place; undefined: the table does not know the type. */
    replaces?: boolean;
    /** Why the value will differ at deploy although it reads the same offline (a replaced resource's id). */
    atDeploy?: string;
}

export interface ResourceChange {
    kind: ChangeKind;
    type: string;
    name: string;
    protect: boolean;
    changes: InputChange[];
    /** A changed input whose effect the replacement table does not know. */
    replacementUnknown?: boolean;
    /** A provisioner step's triggers that are earlier steps' revision digests: "triggers[1]" -> "configure-sentry". */
    triggerNames?: Record<string, string>;
}

export interface FileDiff {
    path: string;
    /** A unified diff (the `diff` package's createTwoFilesPatch). */
    patch: string;
}

export interface StepRun {
    order: number;
    resource: string;
    step?: string;
    kind: "create" | "update" | "replace" | "delete";
    reasons: string[];
    files: FileDiff[];
    env?: FileDiff;
    /** Runs only because of these secrets' changed encrypted values, and only if a value is really new. */
    ifSecretNew?: string[];
}

/** What a secret's value reaches: a resource whose inputs differ when only that secret's value does. */
export interface SecretEffect {
    resource: string;
    type: string;
    /** What a new value does to it on deploy (a remote command's update runs its `create` again; a trigger replaces it, which runs it too). */
    kind: ChangeKind;
    /** The inputs that change, e.g. "stdin", "triggers[2]", "connection.privateKey" (never a value). */
    inputs: string[];
    /** A host step: its name and 1-based position in run order. */
    step?: string;
    order?: number;
}

/** The reach of one secret, or why it could not be worked out. */
export type SecretReach = { effects: SecretEffect[] } | { error: string };

/** A secret setting whose encrypted value the change adds, removes or changes in the stack file. */
export interface SecretChange {
    key: string;
    kind: "added" | "removed" | "changed";
    /** Fingerprints of the encrypted values (tools/stackFile.ts secretFingerprints); never a ciphertext or a plaintext. */
    before?: string;
    after?: string;
    /** What a new value re-runs or replaces on deploy, from this checkout evaluated again with only this secret different (tools/secretReach.ts). */
    reach?: SecretReach;
}

export interface PlanDiff {
    stack: string;
    /** Protected (or retained) resources the change would delete or replace: said first. */
    protectedDeletions: { name: string; type: string; kind: ChangeKind; retained: boolean }[];
    resources: ResourceChange[];
    steps: StepRun[];
    unchanged: number;
    /**
     * Secret settings added, removed or re-encrypted in the stack file. Offline every secret
     * reads as the same [secret], so a changed value shows nowhere else.
     */
    secrets: SecretChange[];
    /** Why secret changes cannot be told (a base saved before plans carried fingerprints). */
    secretsUnknown?: string;
}

const keyOf = (r: { type: string; name: string }) => `${r.type}::${r.name}`;

function sameValue(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

function leafMap(inputs: Record<string, unknown>, skip: (key: string) => boolean): Map<string, unknown> {
    const m = new Map<string, unknown>();
    for (const [k, v] of Object.entries(inputs)) {
        if (!skip(k)) {
            for (const [path, leaf] of flatten(v, k)) {
                m.set(path, leaf);
            }
        }
    }
    return m;
}

function patch(path: string, oldText: string, newText: string): string {
    return createTwoFilesPatch(`a${path}`, `b${path}`, oldText, newText, "base", "this change", { context: 3 });
}

/**
 * Compares `base` (e.g. the plan of the target branch) with `head` (this change). Both are
 * labelled with the union of their deploy-time values, so made-up ids compare equal by what
 * they stand for; a resource that is replaced gets a new id at deploy, and every input that
 * refers to it changes then too: those are followed through (a replaced subnet replaces the
 * instance that names it).
 */
export function diffPlans(base: Plan, head: Plan): PlanDiff {
    const placeholders = { ...(base.placeholders ?? {}), ...(head.placeholders ?? {}) };
    const label = labeller(placeholders);
    const norm = (p: Plan) =>
        new Map(
            p.resources
                .filter((r) => !isComponent(r))
                .map((r) => [keyOf(r), { ...r, inputs: label(r.inputs) as Record<string, unknown> }]),
        );
    const before = norm(base);
    const after = norm(head);
    const headOrder = creationOrder([...after.values()]);
    const baseOrder = creationOrder([...before.values()]);

    const changes = new Map<string, ResourceChange>();
    for (const r of headOrder) {
        const old = before.get(keyOf(r));
        if (!old) {
            changes.set(keyOf(r), { kind: "create", type: r.type, name: r.name, protect: r.protect, changes: [] });
            continue;
        }
        const ignored = new Set(r.ignoreChanges ?? []);
        const skip = (k: string) => ignored.has(k);
        const a = leafMap(old.inputs, skip);
        const b = leafMap(r.inputs, skip);
        const list: InputChange[] = [];
        for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
            if (!sameValue(a.get(path), b.get(path))) {
                list.push({ path, old: a.get(path), new: b.get(path), replaces: forcesReplacement(r.type, path) });
            }
        }
        for (const opt of ["protect", "retainOnDelete"] as const) {
            if (old[opt] !== r[opt]) {
                list.push({ path: `(option) ${opt}`, old: old[opt], new: r[opt], replaces: false });
            }
        }
        if (list.length > 0) {
            changes.set(keyOf(r), {
                kind: list.some((c) => c.replaces) ? "replace" : "update",
                type: r.type,
                name: r.name,
                protect: old.protect || r.protect,
                changes: list,
                ...(list.some((c) => c.replaces === undefined) ? { replacementUnknown: true } : {}),
            });
        }
    }
    for (const r of baseOrder) {
        if (!after.has(keyOf(r))) {
            changes.set(keyOf(r), { kind: "delete", type: r.type, name: r.name, protect: r.protect, changes: [] });
        }
    }

    // Follow replacements: a replaced resource's deploy-time values are new values.
    for (let changed = true; changed; ) {
        changed = false;
        const replaced = new Set([...changes.values()].filter((c) => c.kind === "replace").map((c) => c.name));
        for (const r of headOrder) {
            const c = changes.get(keyOf(r));
            if (c?.kind === "create" || !before.has(keyOf(r))) {
                continue;
            }
            const extra: InputChange[] = [];
            for (const [path, value] of leafMap(r.inputs, (k) => (r.ignoreChanges ?? []).includes(k))) {
                const owner = typeof value === "string" ? [...replaced].find((n) => value.includes(` of ${n}>`)) : undefined;
                if (owner && !c?.changes.some((x) => x.path === path)) {
                    extra.push({ path, old: value, new: value, replaces: forcesReplacement(r.type, path), atDeploy: `${owner} is replaced: its new value` });
                }
            }
            if (extra.length > 0) {
                const list = [...(c?.changes ?? []), ...extra];
                changes.set(keyOf(r), {
                    kind: list.some((x) => x.replaces) ? "replace" : "update",
                    type: r.type,
                    name: r.name,
                    protect: r.protect || (before.get(keyOf(r))?.protect ?? false),
                    changes: list,
                    ...(list.some((x) => x.replaces === undefined) ? { replacementUnknown: true } : {}),
                });
                changed = changed || (list.some((x) => x.replaces) && c?.kind !== "replace");
            }
        }
    }

    // Name the revision digests among a step's triggers.
    for (const c of changes.values()) {
        const step = c.type.startsWith("command:") ? stepName(c.name, []) : undefined;
        const triggers = after.get(keyOf(c))?.inputs.triggers;
        if (step && Array.isArray(triggers)) {
            const revisions = revisionTriggers(step, triggers);
            if (revisions.size > 0) {
                c.triggerNames = Object.fromEntries([...revisions].map(([i, s]) => [`triggers[${i}]`, s]));
            }
        }
    }

    const retained = (name: string) => [...before.values(), ...after.values()].some((r) => r.name === name && r.retainOnDelete);
    const ordered = [...headOrder, ...baseOrder.filter((r) => !after.has(keyOf(r)))].map((r) => changes.get(keyOf(r))).filter((c): c is ResourceChange => c !== undefined);
    const protectedDeletions = ordered
        .filter((c) => (c.kind === "delete" || c.kind === "replace") && (c.protect || retained(c.name)))
        .map((c) => ({ name: c.name, type: c.type, kind: c.kind, retained: retained(c.name) }));

    // Host steps that run: created, changed (any input of a command re-runs it: pulumi-command
    // runs `create` again on an update without its own `update`; `triggers` replace it), deleted.
    const steps: StepRun[] = [];
    const baseSteps = new Map(reviewOf({ ...base, placeholders }).steps.map((s) => [s.resource, s]));
    const headSteps = reviewOf({ ...head, placeholders }).steps;
    for (const s of headSteps) {
        const res = [...after.values()].find((r) => r.name === s.resource);
        const c = res ? changes.get(keyOf(res)) : undefined;
        if (!c) {
            continue;
        }
        const old = baseSteps.get(s.resource);
        const reasons: string[] = [];
        const files: FileDiff[] = [];
        let env: FileDiff | undefined;
        if (!old) {
            reasons.push("a new step: runs for the first time");
        } else {
            const oldFiles = new Map(old.files.map((f) => [f.path, f.text]));
            for (const f of s.files) {
                const before = oldFiles.get(f.path) ?? "";
                if (before !== f.text) {
                    const d = { path: f.path, patch: patch(f.path, before, f.text) };
                    if (f.path.endsWith(".env")) {
                        env = d;
                        reasons.push(`its inputs changed (${f.path})`);
                    } else {
                        files.push(d);
                        reasons.push(`${f.path} changed`);
                    }
                }
            }
            for (const f of old.files.filter((x) => !s.files.some((y) => y.path === x.path))) {
                files.push({ path: f.path, patch: patch(f.path, f.text, "") });
                reasons.push(`${f.path} is no longer written`);
            }
            for (const ch of c.changes.filter((x) => !x.path.startsWith("create"))) {
                if (ch.path.startsWith("triggers")) {
                    const follows = c.triggerNames?.[ch.path];
                    reasons.push(ch.atDeploy ? `the host it runs on changes (${ch.atDeploy})` : follows ? `an earlier step it follows re-runs (${follows})` : `a trigger changed (${ch.path})`);
                } else {
                    reasons.push(`${ch.path}: ${show(ch.old)} -> ${show(ch.new)}${ch.atDeploy ? ` (${ch.atDeploy})` : ""}`);
                }
            }
            if (reasons.length === 0 && c.changes.some((x) => x.path.startsWith("create"))) {
                reasons.push("its command changed");
            }
        }
        steps.push({ order: s.order, resource: s.resource, ...(s.step ? { step: s.step } : {}), kind: c.kind === "delete" ? "delete" : c.kind, reasons: [...new Set(reasons)], files, ...(env ? { env } : {}) });
    }
    for (const s of baseSteps.values()) {
        if (!headSteps.some((h) => h.resource === s.resource)) {
            steps.push({ order: 0, resource: s.resource, ...(s.step ? { step: s.step } : {}), kind: "delete", reasons: ["removed: it will not run again (a remote command without a delete command leaves the host as it is)"], files: [] });
        }
    }

    const unchanged = [...after.keys()].filter((k) => !changes.has(k)).length;
    return { stack: head.stack, protectedDeletions, resources: ordered, steps, unchanged, ...diffSecrets(base, head) };
}

/** A revision digest among a step's triggers (components/host/provisioner.ts digest: 16 hex). */
const REVISION = /^[0-9a-f]{16}$/;

/**
 * Which step's revision each trigger of a host step is. The provisioner's triggers are [host id
 * (when it has one), ...a revision of each step in RERUN_AFTER[step], ...digests of secrets (the
 * SMTP password's, for SMTP_PASSWORD_STEPS)], so the revisions start after the host id, whatever
 * follows them. Returns trigger index -> step name.
 */
export function revisionTriggers(step: string | undefined, triggers: readonly unknown[]): Map<number, string> {
    const follows = step ? (RERUN_AFTER[step as keyof typeof RERUN_AFTER] ?? []) : [];
    const offset = triggers.length > 0 && !(typeof triggers[0] === "string" && REVISION.test(triggers[0])) ? 1 : 0;
    return new Map(follows.map((s, j) => [offset + j, s] as [number, string]).filter(([i]) => i < triggers.length));
}

/** The secret settings whose encrypted value differs between two plans' stack files, by fingerprint. */
export function diffSecrets(base: Plan, head: Plan): Pick<PlanDiff, "secrets" | "secretsUnknown"> {
    if (base.secrets === undefined || head.secrets === undefined) {
        const which = base.secrets === undefined ? "the base" : "this change's plan";
        return { secrets: [], secretsUnknown: `${which} carries no fingerprints of the stack file's encrypted values (a plan saved before plans carried them): a changed secret cannot be told` };
    }
    const a = base.secrets;
    const b = head.secrets;
    const secrets: SecretChange[] = [];
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        const kind = a[key] === undefined ? "added" : b[key] === undefined ? "removed" : a[key] !== b[key] ? "changed" : undefined;
        if (kind) {
            secrets.push({ key, kind, ...(a[key] !== undefined ? { before: a[key] } : {}), ...(b[key] !== undefined ? { after: b[key] } : {}) });
        }
    }
    return { secrets };
}

/**
 * Attaches to `d.secrets` what each secret reaches (tools/secretReach.ts) and lists the host
 * steps a new value runs among the steps that run on deploy, in run order, marked as running
 * only if the value is really new.
 */
export function addSecretReach(d: PlanDiff, reach: Readonly<Record<string, SecretReach>>): PlanDiff {
    for (const c of d.secrets) {
        const r = reach[c.key];
        if (r === undefined) {
            continue;
        }
        c.reach = r;
        if ("error" in r) {
            continue;
        }
        for (const e of r.effects.filter((x) => x.order !== undefined)) {
            const why = `${c.key} ${c.kind === "added" ? "is added to" : "has a new encrypted value in"} the stack file (if its value is new: ${e.inputs.join(", ")} ${e.inputs.length === 1 ? "changes" : "change"})`;
            const run = d.steps.find((s) => s.resource === e.resource);
            if (run) {
                run.reasons.push(why);
                if (run.ifSecretNew) {
                    run.ifSecretNew.push(c.key);
                }
            } else {
                d.steps.push({ order: e.order!, resource: e.resource, ...(e.step ? { step: e.step } : {}), kind: e.kind === "replace" ? "replace" : "update", reasons: [why], files: [], ifSecretNew: [c.key] });
            }
        }
    }
    // Run order; steps that are removed (order 0) stay last.
    d.steps.sort((x, y) => (x.order === 0 ? Infinity : x.order) - (y.order === 0 ? Infinity : y.order));
    return d;
}

const SYMBOL: Record<ChangeKind, string> = { create: "+", delete: "-", update: "~", replace: "+-" };

export function renderDiff(d: PlanDiff, opts: { baseName?: string } = {}): string {
    const out: string[] = [];
    const count = (k: ChangeKind) => d.resources.filter((r) => r.kind === k).length;
    out.push(
        `Changes to stack ${d.stack}${opts.baseName ? ` against ${opts.baseName}` : ""}: ${count("create")} to create, ${count("update")} to update, ${count("replace")} to replace, ${count("delete")} to delete, ${d.unchanged} unchanged`,
    );
    if (d.protectedDeletions.length > 0) {
        out.push("", "!! PROTECTED RESOURCES THIS CHANGE WOULD DELETE:");
        for (const p of d.protectedDeletions) {
            const what = p.kind === "replace" ? "replaced (the old one deleted)" : "deleted";
            out.push(`!!   ${p.name} (${p.type}) would be ${what}${p.retained ? "; it is retained on delete, so AWS keeps it but the stack forgets it" : ""}. Pulumi refuses while it is protected: unprotect it on purpose, or undo this change.`);
        }
    }
    out.push(...secretLines(d));
    if (d.resources.length === 0) {
        out.push("", "No resource changes.");
    } else {
        out.push("", "Resources (in the order they are created; deletions last):");
    }
    for (const r of d.resources) {
        const why = r.kind === "replace" ? `  REPLACE because of ${r.changes.filter((c) => c.replaces).map((c) => c.path).join(", ")}` : "";
        out.push(`${SYMBOL[r.kind].padEnd(2)} ${r.name}  (${r.type})${r.protect ? "  [protected]" : ""}${why}`);
        for (const c of r.changes) {
            if (c.path.startsWith("create") && r.type.startsWith("command:")) {
                continue;
            }
            const mark = c.replaces ? " (forces replacement)" : c.replaces === undefined ? " (replacement unknown: type not in tools/replacements.ts)" : "";
            const revision = r.triggerNames?.[c.path];
            const value = c.atDeploy ? `${show(c.old)} (${c.atDeploy})` : `${c.old === undefined ? "(unset)" : show(c.old)} -> ${c.new === undefined ? "(unset)" : show(c.new)}`;
            out.push(`     ${c.path}${revision ? ` (the revision of ${revision})` : ""}: ${value}${mark}`);
        }
        if (r.type.startsWith("command:") && r.changes.some((c) => c.path.startsWith("create"))) {
            out.push("     create: changed (see the host steps below)");
        }
    }
    out.push("", "Host steps that run on deploy, in run order:");
    if (d.steps.length === 0) {
        out.push("  none");
    }
    for (const s of d.steps) {
        out.push(`  ${s.order > 0 ? `${s.order}.` : "-"} ${s.step ?? s.resource}  (${s.resource}, ${s.kind}${s.ifSecretNew ? `, only if the value of ${s.ifSecretNew.join(", ")} is new` : ""})`);
        out.push(...s.reasons.map((r) => `       because ${r}`));
    }
    const patches = d.steps.flatMap((s) => [...s.files, ...(s.env ? [s.env] : [])].map((f) => ({ step: s.step ?? s.resource, ...f })));
    if (patches.length > 0) {
        out.push("", "What the steps write, changed (unified diffs):");
        const shown = new Set<string>();
        for (const p of patches) {
            if (shown.has(p.patch)) {
                continue;
            }
            shown.add(p.patch);
            out.push("", `# ${p.step}: ${p.path}`, p.patch.replace(/^=+\n/, "").replace(/\n$/, ""));
        }
    }
    return out.join("\n") + "\n";
}

/** A reached input as a reader takes it: a trigger is one made from the secret (the provisioner's digest of it). */
const inputText = (path: string): string => (/^triggers\[\d+\]$/.test(path) ? `${path} (a trigger made from it)` : path);

/** The secret settings section of the diff: after the protected deletions, before the resources (which cannot show them). */
function secretLines(d: PlanDiff): string[] {
    if (d.secretsUnknown) {
        return ["", `Secret settings: unknown; ${d.secretsUnknown}.`];
    }
    if (d.secrets.length === 0) {
        return [];
    }
    const out = ["", "Secret settings the stack file changes (values stay encrypted: the offline plan cannot read them, and shows none):"];
    for (const c of d.secrets) {
        if (c.kind === "changed") {
            out.push(`~  ${c.key}: [secret] -> [secret] (encrypted value changed in the stack file: a new value, or the same one set again, since Pulumi re-encrypts with a fresh nonce)`);
        } else if (c.kind === "added") {
            out.push(`+  ${c.key}: (unset) -> [secret] (added to the stack file)`);
        } else {
            out.push(`-  ${c.key}: [secret] -> (unset) (removed from the stack file; what stops reading it shows among the resource changes below)`);
        }
        const r = c.reach;
        if (r === undefined) {
            continue;
        }
        if ("error" in r) {
            out.push(`     what it re-runs on deploy could not be worked out: ${r.error}`);
            continue;
        }
        if (r.effects.length === 0) {
            out.push("     nothing in this change reads its value: a new value changes no resource");
            continue;
        }
        out.push(`     ${c.kind === "changed" ? "the same value set again changes nothing on deploy (Pulumi compares decrypted values); a new value" : "its value"} reaches, in run order:`);
        for (const e of r.effects) {
            const what = e.kind === "replace" ? "replaced (runs again)" : e.type.startsWith("command:") ? "updated (runs its create again)" : e.kind === "update" ? "updated in place" : e.kind;
            out.push(`       ${e.order !== undefined ? `${e.order}. ${e.step ?? e.resource}  (${e.resource}` : `${e.resource}  (${e.type}`}, ${what}: ${e.inputs.map(inputText).join(", ")})`);
        }
    }
    return out;
}

export { indent };
