import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  SELF_HOSTED_BUNDLE,
  SELF_HOSTED_FIXTURE,
  SENTRY_DIR,
  STANDIN_BIN,
  copySelfHosted,
  installerRuns,
  makeSandbox,
  onPath,
  removeSandboxes,
  runFile,
  runScript,
  upstreamTree,
  type Sandbox,
} from "./harness";

afterAll(removeSandboxes);

const BEGIN = "# BEGIN configure-sentry.sh managed block (edits inside are overwritten on the next deploy)";
const END = "# END configure-sentry.sh managed block";
const fixture = (p: string) => fs.readFileSync(path.join(SELF_HOSTED_FIXTURE, p), "utf8");

const base = {
  SENTRY_DIR,
  SENTRY_URL: "http://203.0.113.10:9000",
  SENTRY_PROFILE: "errors-only",
  SENTRY_ADMIN_EMAIL: "ops@example.com",
};

function checkout(): Sandbox {
  const sb = makeSandbox();
  copySelfHosted(sb);
  return sb;
}
const file = (sb: Sandbox, p: string) => sb.read(`${SENTRY_DIR}/${p}`);
const LOCAL_FILES = ["sentry/config.yml", "sentry/sentry.conf.py", ".env.custom", "docker-compose.override.yml", "nginx.behind-tls-proxy.conf"];
const snapshot = (sb: Sandbox) =>
  Object.fromEntries(LOCAL_FILES.map((p) => [p, sb.exists(`${SENTRY_DIR}/${p}`) ? file(sb, p) : null]));

describe("configure-sentry.sh against the self-hosted fixture", () => {
  it("sets url-prefix, admin email and closed registration in config.yml, leaving upstream's content as it was", () => {
    const sb = checkout();
    const r = runScript(sb, "configure-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    const text = file(sb, "sentry/config.yml");
    // Everything before the managed block is the example, untouched.
    expect(text.startsWith(fixture("sentry/config.example.yml"))).toBe(true);
    expect(text.slice(fixture("sentry/config.example.yml").length)).toBe(
      ["", BEGIN, "system.url-prefix: 'http://203.0.113.10:9000'", "system.admin-email: 'ops@example.com'", "auth.allow-registration: false", END, ""].join("\n"),
    );
    const cfg = parseYaml(text) as Record<string, unknown>;
    expect(cfg["system.url-prefix"]).toBe("http://203.0.113.10:9000");
    expect(cfg["system.admin-email"]).toBe("ops@example.com");
    expect(cfg["auth.allow-registration"]).toBe(false);
    expect(cfg["mail.host"]).toBe("smtp");
    expect(cfg["system.secret-key"]).toBe("!!changeme!!");
    expect(cfg["mail.from"]).toBeUndefined();
  });

  it("caps the events the install accepts per minute only when asked (system.rate-limit)", () => {
    const sb = checkout();
    expect(runScript(sb, "configure-sentry.sh", { ...base, SENTRY_SYSTEM_RATE_LIMIT: "6000" }).status).toBe(0);
    expect((parseYaml(file(sb, "sentry/config.yml")) as Record<string, unknown>)["system.rate-limit"]).toBe(6000);
    expect(runScript(sb, "configure-sentry.sh", { ...base, SENTRY_SYSTEM_RATE_LIMIT: "0" }).status).toBe(0);
    expect(file(sb, "sentry/config.yml")).not.toContain("system.rate-limit");
  });

  it("sets CSRF_TRUSTED_ORIGINS and the registration feature in sentry.conf.py", () => {
    const sb = checkout();
    const r = runScript(sb, "configure-sentry.sh", {
      ...base,
      SENTRY_CSRF_TRUSTED_ORIGINS: "https://sentry.example.com http://203.0.113.10:9000 https://*.corp.example.com",
    });
    expect(r.status, r.output).toBe(0);
    const text = file(sb, "sentry/sentry.conf.py");
    expect(text.startsWith(fixture("sentry/sentry.conf.example.py"))).toBe(true);
    expect(text.slice(fixture("sentry/sentry.conf.example.py").length)).toBe(
      [
        "",
        BEGIN,
        'CSRF_TRUSTED_ORIGINS = ["http://203.0.113.10:9000", "https://sentry.example.com", "https://*.corp.example.com"]',
        'SENTRY_FEATURES["auth:register"] = False',
        END,
        "",
      ].join("\n"),
    );
  });

  it("writes only our overrides to .env.custom and leaves the tracked .env and compose file alone", () => {
    const sb = checkout();
    const r = runScript(sb, "configure-sentry.sh", { ...base, SENTRY_BIND: "127.0.0.1:9000", SENTRY_RETENTION_DAYS: "30" });
    expect(r.status, r.output).toBe(0);
    const envCustom = file(sb, ".env.custom");
    const secret = /^LAUNCHPAD_RPC_SHARED_SECRET=([0-9a-f]{64})$/m.exec(envCustom)?.[1];
    expect(secret, "a per-host launchpad secret instead of upstream's 'supersecret'").toBeDefined();
    expect(envCustom).toBe(
      [BEGIN, "COMPOSE_PROFILES=errors-only", "SENTRY_BIND=127.0.0.1:9000", "SENTRY_EVENT_RETENTION_DAYS=30", `LAUNCHPAD_RPC_SHARED_SECRET=${secret}`, END, ""].join("\n"),
    );
    // Kept across runs and settings changes; never printed.
    expect(r.output).not.toContain(secret as string);
    expect(runScript(sb, "configure-sentry.sh", { ...base, SENTRY_RETENTION_DAYS: "45" }).status).toBe(0);
    expect(file(sb, ".env.custom")).toContain(`LAUNCHPAD_RPC_SHARED_SECRET=${secret}`);
    // Another host gets another secret.
    const other = checkout();
    expect(runScript(other, "configure-sentry.sh", base).status).toBe(0);
    expect(file(other, ".env.custom")).not.toContain(secret as string);
    expect(fs.statSync(sb.host(`${SENTRY_DIR}/.env.custom`)).mode & 0o777).toBe(0o600);
    expect(file(sb, ".env")).toBe(fixture(".env"));
    expect(file(sb, "docker-compose.yml")).toBe(fixture("docker-compose.yml"));
    expect(file(sb, "redis.conf")).toBe(fixture("redis.conf"));
    expect(sb.exists(`${SENTRY_DIR}/docker-compose.override.yml`)).toBe(false);
    expect(sb.exists(`${SENTRY_DIR}/nginx.behind-tls-proxy.conf`)).toBe(false);
  });

  it("is byte-identical on a second run", () => {
    const sb = checkout();
    const env = {
      ...base,
      SENTRY_URL: "https://sentry.example.com",
      SENTRY_BEHIND_TLS_PROXY: "true",
      SENTRY_REDIS_MAXMEMORY: "1gb",
      SENTRY_MAIL_HOST: "mail.example.com",
      SENTRY_MAIL_FROM: "sentry@example.com",
    };
    expect(runScript(sb, "configure-sentry.sh", env).status).toBe(0);
    const first = snapshot(sb);
    const mtimes = LOCAL_FILES.map((p) => fs.statSync(sb.host(`${SENTRY_DIR}/${p}`)).mtimeMs);
    const r = runScript(sb, "configure-sentry.sh", env);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain("no changes");
    expect(snapshot(sb)).toEqual(first);
    expect(LOCAL_FILES.map((p) => fs.statSync(sb.host(`${SENTRY_DIR}/${p}`)).mtimeMs)).toEqual(mtimes);
  });

  it("replaces the block in place on a change, keeping the installer's and the user's edits", () => {
    const sb = checkout();
    expect(runScript(sb, "configure-sentry.sh", base).status).toBe(0);
    // The installer replaces the secret key; a user appends a setting after the block.
    const cfgPath = sb.host(`${SENTRY_DIR}/sentry/config.yml`);
    fs.writeFileSync(cfgPath, fs.readFileSync(cfgPath, "utf8").replace("'!!changeme!!'", "'generated-key'") + "slack.client-id: 'abc'\n");
    const r = runScript(sb, "configure-sentry.sh", { ...base, SENTRY_URL: "https://sentry.example.com", SENTRY_ALLOW_REGISTRATION: "true" });
    expect(r.status, r.output).toBe(0);
    const text = file(sb, "sentry/config.yml");
    expect(text.split(BEGIN)).toHaveLength(2);
    expect(text).toContain("system.secret-key: 'generated-key'\n");
    expect(text.endsWith(`${END}\nslack.client-id: 'abc'\n`)).toBe(true);
    const cfg = parseYaml(text) as Record<string, unknown>;
    expect(cfg["system.url-prefix"]).toBe("https://sentry.example.com");
    expect(cfg["auth.allow-registration"]).toBe(true);
    expect(file(sb, "sentry/sentry.conf.py")).toContain('SENTRY_FEATURES["auth:register"] = True\n');
    expect(file(sb, "sentry/sentry.conf.py")).toContain('CSRF_TRUSTED_ORIGINS = ["https://sentry.example.com"]\n');
  });

  it("keeps existing config files (does not recreate them from the examples)", () => {
    const sb = checkout();
    sb.write(`${SENTRY_DIR}/sentry/config.yml`, "system.secret-key: 'kept'\n");
    const r = runScript(sb, "configure-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(file(sb, "sentry/config.yml").startsWith("system.secret-key: 'kept'\n\n" + BEGIN)).toBe(true);
  });

  it("adds the TLS-proxy settings only when SENTRY_BEHIND_TLS_PROXY=true", () => {
    const sb = checkout();
    expect(runScript(sb, "configure-sentry.sh", base).status).toBe(0);
    expect(file(sb, "sentry/sentry.conf.py")).not.toMatch(/^SECURE_PROXY_SSL_HEADER/m);
    const r = runScript(sb, "configure-sentry.sh", { ...base, SENTRY_URL: "https://sentry.example.com", SENTRY_BEHIND_TLS_PROXY: "true" });
    expect(r.status, r.output).toBe(0);
    const py = file(sb, "sentry/sentry.conf.py");
    for (const line of [
      'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")',
      "USE_X_FORWARDED_HOST = True",
      "SESSION_COOKIE_SECURE = True",
      "CSRF_COOKIE_SECURE = True",
      "SOCIAL_AUTH_REDIRECT_IS_HTTPS = True",
    ]) {
      expect(py).toContain(`\n${line}\n`);
    }
  });

  it("puts the mail domain in .env.custom and the sender in config.yml, keeping mail.host on the smtp container", () => {
    const sb = checkout();
    const r = runScript(sb, "configure-sentry.sh", { ...base, SENTRY_MAIL_HOST: "mail.example.com", SENTRY_MAIL_FROM: "Sentry <sentry@example.com>" });
    expect(r.status, r.output).toBe(0);
    expect(file(sb, ".env.custom")).toContain("\nSENTRY_MAIL_HOST=mail.example.com\n");
    const cfg = parseYaml(file(sb, "sentry/config.yml")) as Record<string, unknown>;
    expect(cfg["mail.from"]).toBe("Sentry <sentry@example.com>");
    expect(cfg["mail.host"]).toBe("smtp");
    expect(file(sb, "sentry/sentry.conf.py")).toContain('\nSENTRY_OPTIONS["mail.from"] = "Sentry <sentry@example.com>"\n');
  });

  it.skipIf(!onPath("python3"))("produces a sentry.conf.py that Python parses", () => {
    const sb = checkout();
    expect(runScript(sb, "configure-sentry.sh", { ...base, SENTRY_URL: "https://s.example.com", SENTRY_BEHIND_TLS_PROXY: "true" }).status).toBe(0);
    const r = spawnSync("python3", ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", sb.host(`${SENTRY_DIR}/sentry/sentry.conf.py`)], {
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
  });

  it("runs in the current directory when SENTRY_DIR is not set", () => {
    const sb = checkout();
    const r = runScript(sb, "configure-sentry.sh", { ...base, SENTRY_DIR: undefined }, { cwd: sb.host(SENTRY_DIR) });
    expect(r.status, r.output).toBe(0);
    expect(file(sb, ".env.custom")).toContain("COMPOSE_PROFILES=errors-only");
  });

  it("refuses to run outside a self-hosted checkout", () => {
    const sb = makeSandbox();
    fs.mkdirSync(sb.host(SENTRY_DIR), { recursive: true });
    const r = runScript(sb, "configure-sentry.sh", base);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("is not a self-hosted checkout");
  });

  it("refuses a file with broken markers instead of guessing", () => {
    const sb = checkout();
    expect(runScript(sb, "configure-sentry.sh", base).status).toBe(0);
    fs.appendFileSync(sb.host(`${SENTRY_DIR}/sentry/config.yml`), `${BEGIN}\n`);
    const before = file(sb, "sentry/config.yml");
    const r = runScript(sb, "configure-sentry.sh", base);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("unmatched or repeated");
    expect(file(sb, "sentry/config.yml")).toBe(before);
  });

  it("notes settings outside the block that the block overrides", () => {
    const sb = checkout();
    sb.write(`${SENTRY_DIR}/sentry/config.yml`, "system.url-prefix: 'http://old'\n");
    const r = runScript(sb, "configure-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain("sentry/config.yml also sets");
    expect(r.stdout).toContain("(line 1)");
  });
});

describe("configure-sentry.sh .env.custom consumers", () => {
  it("is read by the installer the way install/_lib.sh reads it (profile, bind, retention)", () => {
    const sb = checkout();
    expect(runScript(sb, "configure-sentry.sh", { ...base, SENTRY_BIND: "9100", SENTRY_RETENTION_DAYS: "14", SENTRY_MAIL_HOST: "mail.example.com" }).status).toBe(0);
    const dir = sb.host(SENTRY_DIR);
    const r = runFile(sb, path.join(dir, "install.sh"), ["--skip-user-creation", "--no-report-self-hosted-issues"], {}, { cwd: dir });
    expect(r.status, r.output).toBe(0);
    expect(installerRuns(sb)).toEqual([
      expect.objectContaining({ COMPOSE_PROFILES: "errors-only", SENTRY_BIND: "9100", SENTRY_EVENT_RETENTION_DAYS: "14", SENTRY_MAIL_HOST: "mail.example.com", result: "ok" }),
    ]);
  });

  it("overrides .env when compose gets --env-file .env --env-file .env.custom", () => {
    const sb = checkout();
    expect(runScript(sb, "configure-sentry.sh", base).status).toBe(0);
    const dir = sb.host(SENTRY_DIR);
    const dockerStandin = path.join(STANDIN_BIN, "docker");
    expect(runFile(sb, dockerStandin, ["compose", "--env-file", ".env", "--env-file", ".env.custom", "config"], {}, { cwd: dir }).status).toBe(0);
    expect(runFile(sb, dockerStandin, ["compose", "config"], {}, { cwd: dir }).status).toBe(0);
    expect(sb.recFile("compose.log").trim().split("\n")).toEqual([
      "config\tCOMPOSE_PROFILES=errors-only\tenv-files=.env,.env.custom",
      // What plain `docker compose` would do: back to upstream's default.
      "config\tCOMPOSE_PROFILES=feature-complete\tenv-files=.env",
    ]);
  });
});

describe("configure-sentry.sh Redis cap", () => {
  it("writes a compose override that repeats upstream's redis command and appends maxmemory", () => {
    const sb = checkout();
    const r = runScript(sb, "configure-sentry.sh", { ...base, SENTRY_REDIS_MAXMEMORY: "2GB" });
    expect(r.status, r.output).toBe(0);
    const override = parseYaml(file(sb, "docker-compose.override.yml")) as { services: Record<string, Record<string, unknown>> };
    expect(Object.keys(override.services)).toEqual(["redis"]);
    expect(override.services.redis).toEqual({
      command: ["valkey-server", "/usr/local/etc/redis/redis.conf", "--maxmemory", "2gb", "--maxmemory-policy", "volatile-lru"],
    });
    expect(file(sb, "docker-compose.override.yml")).toMatch(/^# Managed by configure-sentry\.sh/);
  });

  it("removes its own override when the cap is emptied", () => {
    const sb = checkout();
    expect(runScript(sb, "configure-sentry.sh", { ...base, SENTRY_REDIS_MAXMEMORY: "1gb" }).status).toBe(0);
    const r = runScript(sb, "configure-sentry.sh", { ...base, SENTRY_REDIS_MAXMEMORY: "" });
    expect(r.status, r.output).toBe(0);
    expect(sb.exists(`${SENTRY_DIR}/docker-compose.override.yml`)).toBe(false);
  });

  it("never overwrites an override file it did not write", () => {
    const sb = checkout();
    sb.write(`${SENTRY_DIR}/docker-compose.override.yml`, "services:\n  web:\n    mem_limit: 4g\n");
    let r = runScript(sb, "configure-sentry.sh", { ...base, SENTRY_REDIS_MAXMEMORY: "1gb" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("docker-compose.override.yml exists and was not written by this script");
    r = runScript(sb, "configure-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(file(sb, "docker-compose.override.yml")).toBe("services:\n  web:\n    mem_limit: 4g\n");
  });

  it("refuses when upstream starts redis differently than expected", () => {
    const sb = checkout();
    const compose = sb.host(`${SENTRY_DIR}/docker-compose.yml`);
    fs.writeFileSync(compose, fs.readFileSync(compose, "utf8").replace(/^    command: \["valkey-server".*$/m, "    command: valkey-server --save 60 1"));
    const r = runScript(sb, "configure-sentry.sh", { ...base, SENTRY_REDIS_MAXMEMORY: "1gb" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("no longer starts the redis service");
    expect(sb.exists(`${SENTRY_DIR}/docker-compose.override.yml`)).toBe(false);
  });
});

type Override = { services: Record<string, { command?: string[]; volumes?: unknown[] }> };
const override = (sb: Sandbox) => parseYaml(file(sb, "docker-compose.override.yml")) as Override;
const TLS = { ...base, SENTRY_URL: "https://sentry.example.com", SENTRY_BEHIND_TLS_PROXY: "true" };
const PROTO = "\tproxy_set_header X-Forwarded-Proto $scheme;";
const DERIVED_PROTO = [
  "\tmap $http_x_forwarded_proto $sentry_deploy_forwarded_proto {",
  "\t\tdefault $scheme;",
  "\t\thttps https;",
  "\t\thttp http;",
  "\t}",
  "\tproxy_set_header X-Forwarded-Proto $sentry_deploy_forwarded_proto;",
];
/** What the derived nginx.conf must be: the checkout's own, with only the X-Forwarded-Proto directive replaced. */
const expectedDerived = (upstream: string) =>
  [
    "# Derived by configure-sentry.sh from this checkout's nginx.conf (SENTRY_BEHIND_TLS_PROXY=true);",
    "# re-derived on every deploy, edits are overwritten. Only X-Forwarded-Proto differs.",
    upstream.replace(`${PROTO}\n`, `${DERIVED_PROTO.join("\n")}\n`),
  ].join("\n");
const NGINX_MOUNT = { type: "bind", read_only: true, source: "./nginx.behind-tls-proxy.conf", target: "/etc/nginx/nginx.conf" };

describe("configure-sentry.sh behind a TLS proxy (X-Forwarded-Proto)", () => {
  it("mounts a derived nginx.conf that passes on the proxy's scheme over upstream's, leaving the tracked file alone", () => {
    const sb = checkout();
    const r = runScript(sb, "configure-sentry.sh", TLS);
    expect(r.status, r.output).toBe(0);
    expect(file(sb, "nginx.behind-tls-proxy.conf")).toBe(expectedDerived(fixture("nginx.conf")));
    expect(file(sb, "nginx.conf")).toBe(fixture("nginx.conf"));
    expect(override(sb).services).toEqual({ nginx: { volumes: [NGINX_MOUNT] } });
    // Sentry trusts the header only together with this.
    expect(file(sb, "sentry/sentry.conf.py")).toContain('\nSECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")\n');
  });

  it("merges the Redis cap and the nginx mount into one managed override, and takes each away on its own", () => {
    const sb = checkout();
    expect(runScript(sb, "configure-sentry.sh", { ...TLS, SENTRY_REDIS_MAXMEMORY: "1gb" }).status).toBe(0);
    expect(Object.keys(override(sb).services)).toEqual(["redis", "nginx"]);
    expect(runScript(sb, "configure-sentry.sh", { ...base, SENTRY_REDIS_MAXMEMORY: "1gb" }).status).toBe(0);
    expect(Object.keys(override(sb).services)).toEqual(["redis"]);
    expect(sb.exists(`${SENTRY_DIR}/nginx.behind-tls-proxy.conf`)).toBe(false);
    expect(runScript(sb, "configure-sentry.sh", TLS).status).toBe(0);
    expect(override(sb).services).toEqual({ nginx: { volumes: [NGINX_MOUNT] } });
    const r = runScript(sb, "configure-sentry.sh", base);
    expect(r.status, r.output).toBe(0);
    expect(sb.exists(`${SENTRY_DIR}/docker-compose.override.yml`)).toBe(false);
    expect(sb.exists(`${SENTRY_DIR}/nginx.behind-tls-proxy.conf`)).toBe(false);
  });

  it.each([
    ["is missing", (t: string) => t.replace(`${PROTO}\n`, ""), "0 times"],
    ["is there twice", (t: string) => t.replace(`${PROTO}\n`, `${PROTO}\n${PROTO}\n`), "2 times"],
    ["sends another value", (t: string) => t.replace(PROTO, "\tproxy_set_header X-Forwarded-Proto https;"), "0 times"],
  ])("refuses when upstream's X-Forwarded-Proto directive %s, writing nothing", (_name, edit, count) => {
    const sb = checkout();
    const conf = sb.host(`${SENTRY_DIR}/nginx.conf`);
    fs.writeFileSync(conf, edit(fs.readFileSync(conf, "utf8")));
    const r = runScript(sb, "configure-sentry.sh", TLS);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`nginx.conf sets 'proxy_set_header X-Forwarded-Proto $scheme;' ${count}, not once`);
    expect(sb.exists(`${SENTRY_DIR}/nginx.behind-tls-proxy.conf`)).toBe(false);
    expect(sb.exists(`${SENTRY_DIR}/docker-compose.override.yml`)).toBe(false);
  });

  it("refuses when upstream's nginx no longer mounts ./nginx.conf", () => {
    const sb = checkout();
    const compose = sb.host(`${SENTRY_DIR}/docker-compose.yml`);
    fs.writeFileSync(compose, fs.readFileSync(compose, "utf8").replace("source: ./nginx.conf", "source: ./nginx/nginx.conf"));
    const r = runScript(sb, "configure-sentry.sh", TLS);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("nginx service no longer bind-mounts ./nginx.conf at /etc/nginx/nginx.conf");
  });

  it("never overwrites an override file it did not write", () => {
    const sb = checkout();
    sb.write(`${SENTRY_DIR}/docker-compose.override.yml`, "services:\n  web:\n    mem_limit: 4g\n");
    const r = runScript(sb, "configure-sentry.sh", TLS);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("docker-compose.override.yml exists and was not written by this script");
    expect(file(sb, "docker-compose.override.yml")).toBe("services:\n  web:\n    mem_limit: 4g\n");
  });
});

describe.skipIf(SELF_HOSTED_BUNDLE === undefined)("configure-sentry.sh against the real self-hosted tree", () => {
  /** The fixture checkout with upstream's docker-compose.yml and nginx.conf of a release. */
  const atRelease = (sb: Sandbox, tag: string) => {
    for (const f of ["docker-compose.yml", "nginx.conf"]) fs.copyFileSync(path.join(upstreamTree(tag), f), sb.host(`${SENTRY_DIR}/${f}`));
  };

  it.each(["26.7.2", "26.8.0"])("derives nginx.conf from %s's own, changing only X-Forwarded-Proto", (tag) => {
    const sb = checkout();
    atRelease(sb, tag);
    const r = runScript(sb, "configure-sentry.sh", TLS);
    expect(r.status, r.output).toBe(0);
    const upstream = fs.readFileSync(path.join(upstreamTree(tag), "nginx.conf"), "utf8");
    expect(file(sb, "nginx.behind-tls-proxy.conf")).toBe(expectedDerived(upstream));
  });

  it("re-derives the Redis command on an upgrade: 26.7.2's redis-server, then 26.8.0's valkey-server", () => {
    const sb = checkout();
    const env = { ...TLS, SENTRY_REDIS_MAXMEMORY: "1gb" };
    atRelease(sb, "26.7.2");
    expect(runScript(sb, "configure-sentry.sh", env).status).toBe(0);
    expect(override(sb).services.redis.command?.slice(0, 2)).toEqual(["redis-server", "/usr/local/etc/redis/redis.conf"]);
    atRelease(sb, "26.8.0");
    const r = runScript(sb, "configure-sentry.sh", env);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain("updated: docker-compose.override.yml");
    expect(override(sb).services.redis.command).toEqual(["valkey-server", "/usr/local/etc/redis/redis.conf", "--maxmemory", "1gb", "--maxmemory-policy", "volatile-lru"]);
  });
});

describe("configure-sentry.sh input validation", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["missing SENTRY_URL", { SENTRY_URL: "" }, "SENTRY_URL is required"],
    ["trailing slash", { SENTRY_URL: "http://203.0.113.10:9000/" }, "SENTRY_URL='http://203.0.113.10:9000/' is not an origin"],
    ["a path", { SENTRY_URL: "https://example.com/sentry" }, "SENTRY_URL='https://example.com/sentry' is not an origin"],
    ["no scheme", { SENTRY_URL: "203.0.113.10:9000" }, "SENTRY_URL='203.0.113.10:9000' is not an origin"],
    ["upper case", { SENTRY_URL: "https://Sentry.Example.com" }, "must be lowercase"],
    ["default port", { SENTRY_URL: "https://sentry.example.com:443" }, "drop ':443'"],
    ["port out of range", { SENTRY_URL: "http://h.example.com:70000" }, "invalid port '70000'"],
    ["bad extra origin", { SENTRY_CSRF_TRUSTED_ORIGINS: "https://ok.example.com sentry.example.com" }, "SENTRY_CSRF_TRUSTED_ORIGINS='sentry.example.com'"],
    ["missing profile", { SENTRY_PROFILE: "" }, "SENTRY_PROFILE is required"],
    ["unknown profile", { SENTRY_PROFILE: "full" }, "SENTRY_PROFILE='full'"],
    ["bad bind", { SENTRY_BIND: "localhost:9000" }, "SENTRY_BIND='localhost:9000'"],
    ["zero retention", { SENTRY_RETENTION_DAYS: "0" }, "SENTRY_RETENTION_DAYS='0'"],
    ["missing admin email", { SENTRY_ADMIN_EMAIL: "" }, "SENTRY_ADMIN_EMAIL is required"],
    ["malformed admin email", { SENTRY_ADMIN_EMAIL: "ops@localhost" }, "SENTRY_ADMIN_EMAIL='ops@localhost'"],
    ["registration not a boolean", { SENTRY_ALLOW_REGISTRATION: "no" }, "SENTRY_ALLOW_REGISTRATION='no'"],
    ["mail host not a FQDN", { SENTRY_MAIL_HOST: "smtp" }, "SENTRY_MAIL_HOST='smtp'"],
    ["mail from with quotes", { SENTRY_MAIL_FROM: "'x'@example.com" }, "SENTRY_MAIL_FROM="],
    ["redis size", { SENTRY_REDIS_MAXMEMORY: "lots" }, "SENTRY_REDIS_MAXMEMORY='lots'"],
    ["TLS proxy with http", { SENTRY_BEHIND_TLS_PROXY: "true" }, "SENTRY_BEHIND_TLS_PROXY=true"],
    ["rate limit not a number", { SENTRY_SYSTEM_RATE_LIMIT: "100/s" }, "SENTRY_SYSTEM_RATE_LIMIT='100/s'"],
  ];
  it.each(cases)("%s fails before writing anything", (_name, extra, message) => {
    const sb = checkout();
    const r = runScript(sb, "configure-sentry.sh", { ...base, ...extra });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(snapshot(sb)).toEqual(Object.fromEntries(LOCAL_FILES.map((p) => [p, null])));
  });
});
