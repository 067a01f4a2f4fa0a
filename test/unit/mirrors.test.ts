// sentry:mirrors from the stack file to the variables each host step receives.
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSource, parseConfig, StackConfig } from "../../config";
import { stepEnvironments } from "../../components/host/provisioner";

function source(values: Record<string, unknown>): ConfigSource {
    const all: Record<string, string> = { "aws:region": "cn-northwest-1", "sentry:adminPassword": "correct horse battery" };
    for (const [k, v] of Object.entries(values)) {
        all[`sentry:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return { values: all, isSecret: (k) => k === "sentry:adminPassword" };
}
const valid = { profile: "errors-only", instanceType: "c6i.xlarge", adminEmail: "ops@acme-corp.cn", webCidrs: ["100.64.10.0/24"], adminSshCidrs: ["100.64.10.7/32"] };
const parse = (values: Record<string, unknown>): StackConfig => parseConfig(source({ ...valid, ...values }), "staging");
function problems(values: Record<string, unknown>): string[] {
    try {
        parse(values);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems;
    }
    throw new Error("expected the configuration to be refused");
}
const envs = (c: StackConfig) => stepEnvironments({ storage: { dataDir: "/data" }, sentry: c.sentry, publicUrl: "http://10.0.0.5:9000", sshUser: "ubuntu", sshPublicKeys: [] });

const MIRRORS = {
    selfHostedRepo: "https://git.acme-corp.cn/mirrors/self-hosted.git",
    ubuntuApt: "https://mirrors.tuna.tsinghua.edu.cn/ubuntu",
    dockerApt: "https://mirrors.aliyun.com/docker-ce/linux",
    dockerAptKey: "https://mirrors.aliyun.com/docker-ce/linux/ubuntu/gpg",
    dockerHub: ["https://hub.acme-corp.cn", "https://hub2.acme-corp.cn"],
    buildProxy: "http://proxy.acme-corp.cn:3128",
    registries: { "ghcr.io": "registry.acme-corp.cn/ghcr", "docker.io": "registry.acme-corp.cn/hub", "registry.gitlab.com": "registry.acme-corp.cn/gitlab" },
};

describe("sentry:mirrors", () => {
    it("reaches each step that downloads, as the variables its script documents", () => {
        const e = envs(parse({ mirrors: MIRRORS }));
        expect(e["checkout-self-hosted"].SENTRY_REPO_URL).toBe(MIRRORS.selfHostedRepo);
        expect(e["install-docker"]).toMatchObject({
            UBUNTU_APT_MIRROR: MIRRORS.ubuntuApt,
            DOCKER_APT_REPO_URL: MIRRORS.dockerApt,
            DOCKER_APT_KEY_URL: MIRRORS.dockerAptKey,
            DOCKER_REGISTRY_MIRRORS: "https://hub.acme-corp.cn https://hub2.acme-corp.cn",
        });
        const images = "docker.io=registry.acme-corp.cn/hub ghcr.io=registry.acme-corp.cn/ghcr registry.gitlab.com=registry.acme-corp.cn/gitlab";
        expect(e["configure-sentry"].SENTRY_IMAGE_MIRRORS).toBe(images);
        expect(e["install-sentry"].SENTRY_IMAGE_MIRRORS).toBe(images);
        expect(e["install-sentry"].SENTRY_BUILD_PROXY).toBe("http://proxy.acme-corp.cn:3128");
        // Steps that download nothing carry no mirror.
        for (const step of ["wait-for-host", "authorize-ssh-keys", "prepare-data", "start-sentry", "create-admin", "check-health"] as const) {
            expect(Object.keys(e[step]).filter((k) => /MIRROR|REPO_URL|APT/.test(k)), step).toEqual([]);
        }
    });

    it("unset, renders no mirror variable and clones from GitHub", () => {
        const e = envs(parse({}));
        expect(e["checkout-self-hosted"].SENTRY_REPO_URL).toBe("https://github.com/getsentry/self-hosted.git");
        const all = Object.values(e).flatMap((v) => Object.keys(v));
        expect(all.filter((k) => /MIRROR|APT_KEY|BUILD_PROXY/.test(k))).toEqual([]);
        expect(e["install-docker"].DOCKER_APT_REPO_URL).toBeUndefined();
    });

    it("refuses bad values, naming the field and a fix", () => {
        const p = problems({ mirrors: { ubuntuApt: "ftp://mirror.cn/ubuntu", dockerApt: "https://m.cn/docker/", registries: { "ghcr.io": "https://m.cn/ghcr", GHCR: "m.cn/ghcr" }, dockerHub: ["hub.cn"], typo: 1 } });
        expect(p.find((x) => x.startsWith("sentry:mirrors.ubuntuApt = ftp://mirror.cn/ubuntu: must be an http(s) URL"))).toContain("Fix: pulumi config set --path sentry:mirrors.ubuntuApt https://");
        expect(p.some((x) => x.startsWith("sentry:mirrors.dockerApt = https://m.cn/docker/: must be a plain base URL without a trailing slash"))).toBe(true);
        expect(p.some((x) => x.includes("sentry:mirrors.registries") && x.includes("without a scheme"))).toBe(true);
        expect(p.some((x) => x.includes("sentry:mirrors.registries") && x.includes('"GHCR" is not a registry host'))).toBe(true);
        expect(p.some((x) => x.includes("sentry:mirrors.dockerHub") && x.includes("must be an http(s) URL"))).toBe(true);
        expect(p.some((x) => x.startsWith("sentry:mirrors.typo = 1: mirrors has no field typo"))).toBe(true);
        expect(p.filter((x) => x.startsWith("sentry:mirrors"))).toHaveLength(6);
    });

    it("refuses a build proxy on loopback, which the image builds' containers cannot reach", () => {
        for (const proxy of ["http://127.0.0.1:3128", "http://localhost:7890", "http://[::1]:3128", "http://0.0.0.0:3128"]) {
            const p = problems({ mirrors: { buildProxy: proxy } });
            expect(p, proxy).toHaveLength(1);
            expect(p[0]).toMatch(new RegExp(`^sentry:mirrors\\.buildProxy = ${proxy.replace(/[.[\]]/g, "\\$&")}: must not be a loopback address \\(`));
            expect(p[0]).toContain("on Docker's bridge network");
            expect(p[0]).toContain("Fix: pulumi config set --path sentry:mirrors.buildProxy");
        }
        // The host's own Docker bridge address, or one on the LAN, is fine.
        expect(envs(parse({ mirrors: { buildProxy: "http://10.250.0.1:3128" } }))["install-sentry"].SENTRY_BUILD_PROXY).toBe("http://10.250.0.1:3128");
        expect(envs(parse({ mirrors: { buildProxy: "http://192.168.1.20:3128" } }))["install-sentry"].SENTRY_BUILD_PROXY).toBe("http://192.168.1.20:3128");
    });

    it("says at preview which registry the release pulls from has no mirror, and how to add one", () => {
        const notices = (values: Record<string, unknown>) => parse(values).notices ?? [];
        const ghcrOnly = notices({ mirrors: { registries: { "ghcr.io": "registry.acme-corp.cn/ghcr" } } });
        expect(ghcrOnly).toEqual([
            "sentry:mirrors.registries has no mirror for docker.io, which self-hosted 26.8.0 pulls images from: the host will pull those from docker.io itself. Add one: pulumi config set --path 'sentry:mirrors.registries[\"docker.io\"]' <your mirror>/<path>",
            "sentry:mirrors.registries has no mirror for registry.gitlab.com, which self-hosted 26.8.0 pulls images from: the host will pull those from registry.gitlab.com itself. Add one: pulumi config set --path 'sentry:mirrors.registries[\"registry.gitlab.com\"]' <your mirror>/<path>",
        ]);
        // A Docker Hub mirror (registry-mirrors) covers docker.io; the full set says nothing; no
        // registries at all is a choice (no mirrors), not an omission.
        expect(notices({ mirrors: { dockerHub: ["https://hub.acme-corp.cn"], registries: { "ghcr.io": "registry.acme-corp.cn/ghcr" } } })).toEqual([ghcrOnly[1]]);
        expect(notices({ mirrors: MIRRORS })).toEqual([]);
        expect(notices({ mirrors: { dockerHub: ["https://hub.acme-corp.cn"] } })).toEqual([]);
        expect(notices({ sentryVersion: "26.7.2", mirrors: { registries: { "ghcr.io": "r.cn/ghcr", "docker.io": "r.cn/hub" } } })).toEqual([ghcrOnly[1].replace("26.8.0", "26.7.2")]);
    });

    it("reads the old sentry:selfHostedRepoUrl with a notice saying how to move it", () => {
        const c = parse({ selfHostedRepoUrl: "https://git.acme-corp.cn/self-hosted.git" });
        expect(c.sentry.repoUrl).toBe("https://git.acme-corp.cn/self-hosted.git");
        expect(c.notices).toEqual([
            "sentry:selfHostedRepoUrl is deprecated; it still works. Move it: pulumi config rm sentry:selfHostedRepoUrl; pulumi config set --path sentry:mirrors.selfHostedRepo https://git.acme-corp.cn/self-hosted.git",
        ]);
        expect(parse({ mirrors: { selfHostedRepo: "https://git.acme-corp.cn/self-hosted.git" } }).notices).toEqual([]);
    });

    it("refuses the old and the new key when they disagree", () => {
        expect(problems({ selfHostedRepoUrl: "https://a.cn/self-hosted.git", mirrors: { selfHostedRepo: "https://b.cn/self-hosted.git" } })).toEqual([
            "sentry:selfHostedRepoUrl = https://a.cn/self-hosted.git: contradicts sentry:mirrors.selfHostedRepo https://b.cn/self-hosted.git (selfHostedRepoUrl is its deprecated alias). Fix: pulumi config rm sentry:selfHostedRepoUrl",
        ]);
    });
});
