#!/bin/bash
# Stand-in for ghcr.io/getsentry/sentry's /docker-entrypoint.sh (test images only), which
# upstream's sentry/entrypoint.sh sources: Sentry's sub-commands are run as `sentry <cmd>`.
set -e
if [ "${1:0:1}" = '-' ]; then set -- sentry "$@"; fi
case "${1:-}" in
celery | cleanup | config | createuser | devserver | django | exec | export | help | import | init | plugins | queues | repair | run | shell | start | tsdb | upgrade) set -- sentry "$@" ;;
esac
exec "$@"
