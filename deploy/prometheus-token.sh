#!/bin/sh
# Writes the viewer token Prometheus scrapes agentwatch with (from the environment) to a file, as
# prometheus.yml's credentials_file expects, then starts Prometheus with the given arguments.
set -eu
umask 077
printf '%s' "${AW_VIEWER_TOKEN:?set AW_VIEWER_TOKEN}" > /tmp/agentwatch-viewer-token
exec /bin/prometheus "$@"
