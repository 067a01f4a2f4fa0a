// The edge Relay's config.yml, rendered by a pure function that tests read (and check against
// the key paths of Relay's own Config structs: test/fixtures/relay-config-keys.json).
//
// What Relay does with these keys, from getsentry/relay relay-config/src/config.rs (the
// snapshot named in that fixture) and relay-server/src/endpoints/common.rs:
//  - relay.mode `proxy`: "Events are normalized and rate limits from the upstream are
//    enforced, but the relay will not fetch project configurations from the upstream" (enum
//    RelayMode). No registration of the Relay in Sentry, no credentials file. `static` is gone
//    from recent Relays ("has been removed"); `managed` needs the Relay's key registered in
//    Sentry (Settings > Relays), a manual step this program avoids.
//  - Rate limits: a 429 from Sentry (a key's limit, system.rate-limit) is remembered and the
//    Relay answers the SDK 429 with Retry-After itself (BadStoreRequest::RateLimited), without
//    forwarding: a flood stops at the application's host.
//  - The buffer: envelopes wait in memory, then in an SQLite file at spool.envelopes.path
//    (struct EnvelopeSpool). "When the on-disk buffer reaches [max_disk_size], new envelopes
//    will be dropped"; envelopes older than max_envelope_delay_secs are dropped. When the
//    buffer refuses an envelope (envelope_buffer.try_push fails) or memory is above
//    health.max_memory_bytes (memory_checker), handle_envelope fails with
//    BadStoreRequest::QueueFailed, which the SDK receives at once as 503 Service Unavailable.
//    SDKs drop an event on a 503 (they do not queue it): the application never waits and
//    nothing grows without bound.
//  - http.timeout: "Timeout for upstream requests in seconds ... until receiving response
//    headers" (default 5); http.connection_timeout (default 3) covers connecting and TLS.
//    They bound how long the Relay waits on Sentry; the SDK never waits on them, because the
//    Relay answers the SDK once the envelope is in its buffer.
//  - limits.max_concurrent_requests: "How many requests can be sent concurrently from Relay
//    to the upstream before Relay starts buffering" (default 100).
//  - Relay's Config structs are `#[serde(default)]` without deny_unknown_fields: a misspelt key
//    is silently ignored by Relay. That is why the test checks every rendered key path.
// ByteSize values are rendered as strings ("500MiB"): a number is read as a u32 of bytes
// (relay-config/src/byte_size.rs), which would cap sizes at 4 GiB.

/** Where the spool lives in the container: /etc/relay is a VOLUME of the image, owned by the relay user (uid 10001). */
export const RELAY_SPOOL_DIR = "/etc/relay";
export const RELAY_SPOOL_FILE = `${RELAY_SPOOL_DIR}/envelopes.db`;
/** The image's WORKDIR is /work and `relay run` reads ./.relay/config.yml. */
export const RELAY_CONFIG_FILE = "/work/.relay/config.yml";
export const RELAY_CONTAINER_PORT = 3000;

export interface RelayConfigInput {
    /** Sentry's origin as the edge host reaches it, e.g. https://sentry.example.com. */
    upstream: string;
    /** Seconds Relay waits for Sentry's response headers (http.timeout). */
    upstreamTimeoutSeconds: number;
    /** Seconds Relay waits to connect to Sentry, TLS included (http.connection_timeout). */
    connectTimeoutSeconds: number;
    /** Concurrent requests to Sentry before buffering (limits.max_concurrent_requests). */
    maxConcurrentRequests: number;
    /** The on-disk buffer's cap; 0: no disk buffer (memory only, still bounded by maxMemoryMb). */
    spoolMaxDiskMb: number;
    /** Envelopes older than this are dropped from the buffer (spool.envelopes.max_envelope_delay_secs). */
    maxEnvelopeAgeSeconds: number;
    /** Above it Relay answers 503 to new envelopes (health.max_memory_bytes). */
    maxMemoryMb: number;
}

export interface RelayConfig {
    relay: { mode: "proxy"; upstream: string; host: string; port: number };
    http: { timeout: number; connection_timeout: number; max_retry_interval: number; outage_grace_period: number };
    limits: { max_concurrent_requests: number; max_concurrent_queries: number; query_timeout: number; shutdown_timeout: number };
    spool: { envelopes: { path?: string; max_disk_size?: string; max_envelope_delay_secs: number } };
    health: { max_memory_bytes: string };
}

function problems(i: RelayConfigInput): string[] {
    const out: string[] = [];
    let url: URL | undefined;
    try {
        url = new URL(i.upstream);
    } catch {
        out.push(`upstream "${i.upstream}" is not a URL such as https://sentry.example.com`);
    }
    if (url && !["http:", "https:"].includes(url.protocol)) {
        out.push(`upstream "${i.upstream}" must be http:// or https://`);
    }
    if (url && (url.pathname !== "/" || url.search !== "" || url.username !== "")) {
        out.push(`upstream "${i.upstream}" must be a bare origin (no path, query or credentials): Relay adds /api/... itself`);
    }
    const whole = (name: string, v: number, min: number, max: number) => {
        if (!Number.isInteger(v) || v < min || v > max) {
            out.push(`${name} ${v} must be a whole number from ${min} to ${max}`);
        }
    };
    whole("upstreamTimeoutSeconds", i.upstreamTimeoutSeconds, 1, 300);
    whole("connectTimeoutSeconds", i.connectTimeoutSeconds, 1, 60);
    whole("maxConcurrentRequests", i.maxConcurrentRequests, 1, 10_000);
    whole("spoolMaxDiskMb", i.spoolMaxDiskMb, 0, 1_000_000);
    whole("maxEnvelopeAgeSeconds", i.maxEnvelopeAgeSeconds, 60, 7 * 24 * 3600);
    whole("maxMemoryMb", i.maxMemoryMb, 64, 1_000_000);
    return out;
}

/** The config as data (what the YAML holds); throws naming every bad input. */
export function relayConfig(i: RelayConfigInput): RelayConfig {
    const bad = problems(i);
    if (bad.length > 0) {
        throw new Error(`edge Relay configuration: ${bad.join("; ")}`);
    }
    return {
        relay: { mode: "proxy", upstream: new URL(i.upstream).origin + "/", host: "0.0.0.0", port: RELAY_CONTAINER_PORT },
        http: { timeout: i.upstreamTimeoutSeconds, connection_timeout: i.connectTimeoutSeconds, max_retry_interval: 60, outage_grace_period: 10 },
        limits: { max_concurrent_requests: i.maxConcurrentRequests, max_concurrent_queries: 5, query_timeout: 30, shutdown_timeout: 10 },
        spool: {
            envelopes:
                i.spoolMaxDiskMb > 0
                    ? { path: RELAY_SPOOL_FILE, max_disk_size: `${i.spoolMaxDiskMb}MiB`, max_envelope_delay_secs: i.maxEnvelopeAgeSeconds }
                    : { max_envelope_delay_secs: i.maxEnvelopeAgeSeconds },
        },
        health: { max_memory_bytes: `${i.maxMemoryMb}MiB` },
    };
}

/**
 * config.yml's text: JSON, which is YAML (Relay reads it with serde_yaml), under a comment
 * header. Stable key order, so an unchanged config never replaces the container.
 */
export function renderRelayConfig(i: RelayConfigInput): string {
    return [
        "# Edge Relay (proxy mode), rendered by components/edge/relayConfig.ts; do not edit on the host.",
        "# Full buffer or memory above health.max_memory_bytes: new envelopes get 503 at once (dropped, never queued without bound).",
        JSON.stringify(relayConfig(i), null, 2),
        "",
    ].join("\n");
}
