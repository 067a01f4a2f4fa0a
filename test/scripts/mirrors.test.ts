// Every mirror of sentry:mirrors, through the real scripts (real bash; the stand-ins of
// test/fixtures/bin for apt-get, curl, docker and systemctl, which cannot run here), and
// the image mirrors against the real self-hosted 26.8.0 tree.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RELEASE_REGISTRIES } from "../../components/versions";
import { SELF_HOSTED_BUNDLE, SENTRY_DIR, STATE_DIR, callsOf, copySelfHosted, git, makeSandbox, removeSandboxes, runScript, upstreamTree, type Sandbox } from "./harness";

afterAll(removeSandboxes);

const REGISTRIES = "ghcr.io=registry.acme-corp.cn/ghcr docker.io=registry.acme-corp.cn/hub registry.gitlab.com=registry.acme-corp.cn/gitlab";

function ubuntuHost(): Sandbox {
  const sb = makeSandbox();
  sb.write("/etc/os-release", "ID=ubuntu\nVERSION_CODENAME=noble\n");
  fs.mkdirSync(sb.host("/data"), { recursive: true });
  return sb;
}

describe("install-docker.sh mirrors", () => {
  // What cloud-init writes on an EC2 Ubuntu 24.04 host (deb822), and a classic list beside it.
  const UBUNTU_SOURCES = [
    "Types: deb",
    "URIs: http://cn-northwest-1.ec2.archive.ubuntu.com/ubuntu/",
    "Suites: noble noble-updates noble-backports",
    "Components: main universe restricted multiverse",
    "Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg",
    "",
    "Types: deb",
    "URIs: http://security.ubuntu.com/ubuntu/",
    "Suites: noble-security",
    "Components: main universe restricted multiverse",
    "",
  ].join("\n");

  it("points Ubuntu's apt sources, Docker's apt repository and key, and Docker Hub at the mirrors", () => {
    const sb = ubuntuHost();
    sb.write("/etc/apt/sources.list.d/ubuntu.sources", UBUNTU_SOURCES);
    sb.write("/etc/apt/sources.list", "deb http://archive.ubuntu.com/ubuntu noble main\ndeb http://ports.ubuntu.com/ubuntu-ports noble main\ndeb https://packages.example.org/x noble main\n");
    const env = {
      DOCKER_DATA_ROOT: "/data/docker",
      STANDIN_DOCKER_MISSING: "1",
      UBUNTU_APT_MIRROR: "https://mirrors.tuna.tsinghua.edu.cn/ubuntu",
      DOCKER_APT_REPO_URL: "https://mirrors.aliyun.com/docker-ce/linux",
      DOCKER_APT_KEY_URL: "https://keys.acme-corp.cn/docker.gpg",
      DOCKER_REGISTRY_MIRRORS: "https://hub.acme-corp.cn https://hub2.acme-corp.cn",
    };
    const r = runScript(sb, "install-docker.sh", env);
    expect(r.status, r.output).toBe(0);
    expect(sb.read("/etc/apt/sources.list.d/ubuntu.sources")).toBe(UBUNTU_SOURCES.replace(/http:\/\/[a-z0-9.-]*ubuntu\.com\/ubuntu\//g, "https://mirrors.tuna.tsinghua.edu.cn/ubuntu"));
    expect(sb.read("/etc/apt/sources.list")).toBe(
      "deb https://mirrors.tuna.tsinghua.edu.cn/ubuntu noble main\ndeb https://mirrors.tuna.tsinghua.edu.cn/ubuntu noble main\ndeb https://packages.example.org/x noble main\n",
    );
    expect(sb.read("/etc/apt/sources.list.d/ubuntu.sources.before-install-docker")).toBe(UBUNTU_SOURCES);
    expect(sb.read("/etc/apt/sources.list.d/docker.list")).toBe(
      "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://mirrors.aliyun.com/docker-ce/linux/ubuntu noble stable\n",
    );
    expect(callsOf(sb, "curl")).toEqual([expect.stringContaining(" https://keys.acme-corp.cn/docker.gpg ")]);
    expect(JSON.parse(sb.read("/etc/docker/daemon.json"))["registry-mirrors"]).toEqual(["https://hub.acme-corp.cn", "https://hub2.acme-corp.cn"]);
    // No URL of an upstream site is left in anything apt reads.
    const aptText = ["/etc/apt/sources.list", "/etc/apt/sources.list.d/ubuntu.sources", "/etc/apt/sources.list.d/docker.list"].map(sb.read).join("");
    expect(aptText).not.toMatch(/ubuntu\.com|download\.docker\.com/);

    // A second run changes nothing.
    const before = ["/etc/apt/sources.list", "/etc/apt/sources.list.d/ubuntu.sources", "/etc/docker/daemon.json"].map(sb.read);
    sb.clearCalls();
    expect(runScript(sb, "install-docker.sh", env).status).toBe(0);
    expect(["/etc/apt/sources.list", "/etc/apt/sources.list.d/ubuntu.sources", "/etc/docker/daemon.json"].map(sb.read)).toEqual(before);
    expect(callsOf(sb, "apt-get")).toEqual([]);
  });

  it("derives the key from the repository mirror when no key URL is given", () => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", { DOCKER_DATA_ROOT: "/data/docker", STANDIN_DOCKER_MISSING: "1", DOCKER_APT_REPO_URL: "https://mirrors.aliyun.com/docker-ce/linux" });
    expect(r.status, r.output).toBe(0);
    expect(callsOf(sb, "curl")[0]).toContain(" https://mirrors.aliyun.com/docker-ce/linux/ubuntu/gpg ");
    expect(JSON.parse(sb.read("/etc/docker/daemon.json"))).not.toHaveProperty("registry-mirrors");
  });

  it.each([
    ["UBUNTU_APT_MIRROR", "mirrors.tuna.tsinghua.edu.cn/ubuntu", "must be an http(s) URL without a trailing slash"],
    ["DOCKER_APT_KEY_URL", "ftp://keys/gpg", "must be an http(s) URL"],
    ["DOCKER_REGISTRY_MIRRORS", "https://ok.cn hub.cn", "DOCKER_REGISTRY_MIRRORS contains 'hub.cn'"],
  ])("refuses %s=%s before changing anything", (name, value, message) => {
    const sb = ubuntuHost();
    const r = runScript(sb, "install-docker.sh", { DOCKER_DATA_ROOT: "/data/docker", [name]: value });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
    expect(sb.exists("/etc/docker/daemon.json")).toBe(false);
  });
});

describe.skipIf(SELF_HOSTED_BUNDLE === undefined)("image mirrors against the real self-hosted 26.8.0 tree", () => {
  const tree = () => upstreamTree("26.8.0");
  const configure = (sb: Sandbox, extra: Record<string, string> = {}) =>
    runScript(sb, "configure-sentry.sh", { SENTRY_DIR, SENTRY_URL: "http://10.0.0.5:9000", SENTRY_PROFILE: "errors-only", SENTRY_ADMIN_EMAIL: "ops@acme-corp.cn", ...extra });
  function checkout(): Sandbox {
    const sb = makeSandbox();
    fs.cpSync(tree(), sb.host(SENTRY_DIR), { recursive: true });
    return sb;
  }
  const mirrored = (ref: string): string => {
    const [first, ...rest] = ref.split("/");
    if (rest.length > 0 && /[.:]/.test(first)) {
      const map: Record<string, string> = { "ghcr.io": "registry.acme-corp.cn/ghcr", "registry.gitlab.com": "registry.acme-corp.cn/gitlab" };
      return map[first] ? `${map[first]}/${rest.join("/")}` : ref;
    }
    return `registry.acme-corp.cn/hub/${ref.includes("/") ? ref : `library/${ref}`}`;
  };

  it("pulls every image of .env and of docker-compose.yml from the mirror, leaving tracked files alone", () => {
    const sb = checkout();
    const r = configure(sb, { SENTRY_IMAGE_MIRRORS: REGISTRIES, SENTRY_REDIS_MAXMEMORY: "1gb" });
    expect(r.status, r.output).toBe(0);
    // Every registry the tree names has a mirror: nothing is said to be pulled from elsewhere.
    expect(r.output).not.toContain("no mirror for");
    const dir = sb.host(SENTRY_DIR);
    // Independently of the script: every *_IMAGE of .env, every literal image and *IMAGE build arg of the compose file.
    const dotEnv = fs.readFileSync(path.join(tree(), ".env"), "utf8");
    const envImages = [...dotEnv.matchAll(/^([A-Z_]+_IMAGE)=(\S+)$/gm)].map((m) => [m[1], m[2]]);
    expect(envImages.length).toBe(8);
    const custom = fs.readFileSync(path.join(dir, ".env.custom"), "utf8");
    for (const [name, ref] of envImages) expect(custom).toContain(`\n${name}=${mirrored(ref)}\n`);

    const compose = fs.readFileSync(path.join(tree(), "docker-compose.yml"), "utf8");
    const literal = [...compose.matchAll(/^ {4}image: "?([^"\s$]+)"?\s*$/gm), ...compose.matchAll(/^ {8}[A-Z_]*IMAGE: "?([^"\s$]+)"?\s*$/gm)]
      .map((m) => m[1])
      .filter((ref) => !ref.endsWith("-local"));
    expect(literal).toEqual(expect.arrayContaining(["nginx:1.31.3-alpine", "valkey/valkey:8.1.9-alpine", "registry.gitlab.com/egos-tech/smtp", "altinity/clickhouse-server:25.3.6.10034.altinitystable"]));
    const override = fs.readFileSync(path.join(dir, "docker-compose.override.yml"), "utf8");
    for (const ref of literal) expect(override).toContain(`"${mirrored(ref)}"`);
    // No service is named twice (the Redis cap and the image share redis's block).
    const services = [...override.matchAll(/^ {2}([a-z0-9-]+):$/gm)].map((m) => m[1]);
    expect(new Set(services).size).toBe(services.length);
    expect(override).toMatch(/ {2}redis:\n {4}image: "registry\.acme-corp\.cn\/hub\/valkey\/valkey:8\.1\.9-alpine"\n {4}command:/);
    expect(override).toContain('  clickhouse:\n    build:\n      args:\n        BASE_IMAGE: "registry.acme-corp.cn/hub/altinity/clickhouse-server:25.3.6.10034.altinitystable"');
    // Tracked files are untouched.
    expect(fs.readFileSync(path.join(dir, ".env"), "utf8")).toBe(dotEnv);
    expect(fs.readFileSync(path.join(dir, "docker-compose.yml"), "utf8")).toBe(compose);

    // Taken away again: no mirrored image left, override removed when nothing else wants it.
    const again = configure(sb);
    expect(again.status, again.output).toBe(0);
    expect(fs.readFileSync(path.join(dir, ".env.custom"), "utf8")).not.toContain("acme-corp.cn/");
    expect(fs.existsSync(path.join(dir, "docker-compose.override.yml"))).toBe(false);
  });

  it("mirrors only the registries listed", () => {
    const sb = checkout();
    const r = configure(sb, { SENTRY_IMAGE_MIRRORS: "ghcr.io=registry.acme-corp.cn/ghcr" });
    expect(r.status, r.output).toBe(0);
    const custom = sb.read(`${SENTRY_DIR}/.env.custom`);
    expect(custom).toContain("\nRELAY_IMAGE=registry.acme-corp.cn/ghcr/getsentry/relay:26.8.0\n");
    expect(sb.exists(`${SENTRY_DIR}/docker-compose.override.yml`)).toBe(false);
    // The images left to their own registries are named, one line per registry, so a host
    // without free egress knows which pulls go out: 26.8.0's Docker Hub images and its smtp.
    const said = r.stdout.split("\n").filter((l) => l.includes("no mirror for"));
    expect(said).toHaveLength(2);
    expect(said[0]).toMatch(/^configure-sentry: no mirror for docker\.io in SENTRY_IMAGE_MIRRORS: .*\bnginx:1\.31\.3-alpine\b.* will be pulled from docker\.io itself \(or through daemon\.json's registry-mirrors/);
    expect(said[0]).toContain("altinity/clickhouse-server:25.3.6.10034.altinitystable");
    expect(said[0]).not.toContain("ghcr.io/");
    expect(said[1]).toBe(
      "configure-sentry: no mirror for registry.gitlab.com in SENTRY_IMAGE_MIRRORS: registry.gitlab.com/egos-tech/smtp will be pulled from registry.gitlab.com itself; add registry.gitlab.com=<mirror>/<path> to SENTRY_IMAGE_MIRRORS (sentry:mirrors.registries) to take them from a mirror",
    );
  });

  it.each(["26.7.2", "26.8.0"])("the registries the real %s tree pulls from are the program's RELEASE_REGISTRIES (its preview notice)", (tag) => {
    // configure-sentry.sh with a mirror for no registry the tree uses names every one it uses.
    const sb = makeSandbox();
    fs.cpSync(upstreamTree(tag), sb.host(SENTRY_DIR), { recursive: true });
    const r = configure(sb, { SENTRY_IMAGE_MIRRORS: "mirror-of-nothing.invalid=registry.acme-corp.cn/none" });
    expect(r.status, r.output).toBe(0);
    const named = [...r.stdout.matchAll(/^configure-sentry: no mirror for (\S+) in SENTRY_IMAGE_MIRRORS/gm)].map((m) => m[1]);
    expect(named).toEqual([...RELEASE_REGISTRIES[tag]].sort());
  });

  it("refuses a malformed mirror list", () => {
    const sb = checkout();
    const r = configure(sb, { SENTRY_IMAGE_MIRRORS: "ghcr.io=https://registry.acme-corp.cn/ghcr" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("SENTRY_IMAGE_MIRRORS contains 'ghcr.io=https://registry.acme-corp.cn/ghcr', not REGISTRY=PREFIX");
  });

  it("install-sentry.sh pulls the images install.sh uses outside compose from the mirror, under the names it uses", () => {
    const sb = makeSandbox();
    copySelfHosted(sb);
    for (const d of ["install", "jq", "geoip"]) fs.cpSync(path.join(tree(), d), sb.host(`${SENTRY_DIR}/${d}`), { recursive: true });
    sb.write(`${SENTRY_DIR}/.env.custom`, "COMPOSE_PROFILES=errors-only\n");
    const base = { SENTRY_DIR, SENTRY_VERSION: "26.8.0", SENTRY_PROFILE: "errors-only", SENTRY_STATE_DIR: STATE_DIR, SENTRY_IMAGE_MIRRORS: REGISTRIES };
    let r = runScript(sb, "install-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    const pulls = () => callsOf(sb, "docker").filter((l) => /^docker (pull|tag) /.test(l));
    expect(pulls()).toEqual([
      "docker pull -q registry.acme-corp.cn/hub/library/busybox",
      "docker tag registry.acme-corp.cn/hub/library/busybox busybox",
      "docker pull -q registry.acme-corp.cn/hub/library/debian:bookworm-slim",
      "docker tag registry.acme-corp.cn/hub/library/debian:bookworm-slim debian:bookworm-slim",
    ]);
    // With a GeoIP account configured, install.sh runs geoipupdate from ghcr.io too.
    sb.write(`${SENTRY_DIR}/geoip/GeoIP.conf`, "AccountID 1\n");
    fs.rmSync(sb.host(`${STATE_DIR}/installed`));
    sb.clearCalls();
    r = runScript(sb, "install-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(pulls()).toContain("docker tag registry.acme-corp.cn/ghcr/maxmind/geoipupdate:v6.1.0 ghcr.io/maxmind/geoipupdate:v6.1.0");
    // Without mirrors nothing is pulled ahead.
    fs.rmSync(sb.host(`${STATE_DIR}/installed`));
    sb.clearCalls();
    expect(runScript(sb, "install-sentry.sh", { ...base, SENTRY_IMAGE_MIRRORS: "" }).status).toBe(0);
    expect(pulls()).toEqual([]);
  });
});

describe("install-sentry.sh with a build proxy", () => {
  const base = { SENTRY_DIR, SENTRY_VERSION: "26.8.0", SENTRY_PROFILE: "errors-only", SENTRY_STATE_DIR: STATE_DIR };
  function configured(): Sandbox {
    const sb = makeSandbox();
    copySelfHosted(sb);
    sb.write(`${SENTRY_DIR}/.env.custom`, "COMPOSE_PROFILES=errors-only\n");
    return sb;
  }

  it("gives install.sh (which passes them to its image builds) the proxy, and every compose service as NO_PROXY", () => {
    const sb = configured();
    const r = runScript(sb, "install-sentry.sh", { ...base, SENTRY_BUILD_PROXY: "http://proxy.acme-corp.cn:3128" });
    expect(r.status, r.output).toBe(0);
    // The services: section's keys (not the volumes: section's names).
    const compose = fs.readFileSync(sb.host(`${SENTRY_DIR}/docker-compose.yml`), "utf8");
    const servicesSection = compose.slice(compose.indexOf("\nservices:\n")).split(/\n(?=[a-z])/)[1];
    const services = [...servicesSection.matchAll(/^ {2}([a-z0-9][a-z0-9_.-]*):\s*$/gm)].map((m) => m[1]);
    expect(services).toEqual(expect.arrayContaining(["redis", "web", "nginx"]));
    const noProxy = ["localhost", "127.0.0.1", "::1", ...services].join(",");
    expect(sb.recFile("install-proxy-env").split("\n").filter((l) => l !== "")).toEqual(
      [
        "HTTPS_PROXY=http://proxy.acme-corp.cn:3128",
        "HTTP_PROXY=http://proxy.acme-corp.cn:3128",
        `NO_PROXY=${noProxy}`,
        "http_proxy=http://proxy.acme-corp.cn:3128",
        "https_proxy=http://proxy.acme-corp.cn:3128",
        `no_proxy=${noProxy}`,
      ].sort(),
    );
  });

  it("gives install.sh no proxy when none is set, even one from its own environment", () => {
    const sb = configured();
    const r = runScript(sb, "install-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(sb.recFile("install-proxy-env")).toBe("");
  });

  it("refuses a proxy URL with credentials or a path", () => {
    const sb = configured();
    const r = runScript(sb, "install-sentry.sh", { ...base, SENTRY_BUILD_PROXY: "http://user:pw@proxy.acme-corp.cn:3128" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("SENTRY_BUILD_PROXY='http://user:pw@proxy.acme-corp.cn:3128' must be a proxy URL");
    expect(sb.exists(`${STATE_DIR}/installed`)).toBe(false);
  });

  it("refuses a proxy on loopback, which the builds' containers cannot reach", () => {
    for (const proxy of ["http://127.0.0.1:3128", "http://localhost:7890", "http://0.0.0.0:3128"]) {
      const sb = configured();
      const r = runScript(sb, "install-sentry.sh", { ...base, SENTRY_BUILD_PROXY: proxy });
      expect(r.status, proxy).toBe(1);
      expect(r.stderr).toContain(`SENTRY_BUILD_PROXY='${proxy}' is a loopback address: install.sh's image builds run in containers on Docker's bridge network`);
      expect(sb.recFile("install-proxy-env")).toBe("");
    }
  });
});

describe.skipIf(SELF_HOSTED_BUNDLE === undefined)("checkout-self-hosted.sh from a mirror of the repository", () => {
  it("clones the release from SENTRY_REPO_URL (a local mirror of the real repository)", () => {
    const sb = makeSandbox();
    const mirror = path.join(sb.scratch, "self-hosted-mirror.git");
    git(sb.scratch, "clone", "-q", "--bare", SELF_HOSTED_BUNDLE!, mirror);
    const r = runScript(sb, "checkout-self-hosted.sh", { SENTRY_DIR, SENTRY_VERSION: "26.8.0", SENTRY_STATE_DIR: STATE_DIR, SENTRY_REPO_URL: `file://${mirror}` });
    expect(r.status, r.output).toBe(0);
    expect(git(sb.host(SENTRY_DIR), "remote", "get-url", "origin").trim()).toBe(`file://${mirror}`);
    expect(sb.read(`${SENTRY_DIR}/.env`)).toContain("SENTRY_IMAGE=ghcr.io/getsentry/sentry:26.8.0");
  });
});
