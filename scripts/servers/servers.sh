#!/usr/bin/env bash
# Fetches (from Maven Central, cached), starts and stops the servers the integration tests use,
# on 127.0.0.1 only:
#   Kafka (KRaft, one node)  127.0.0.1:${AW_KAFKA_PORT:-19092}
#   Elasticsearch            127.0.0.1:${AW_ES_PORT:-19200}, run as the non-root user agentwatch-es
#
#   scripts/servers/servers.sh fetch
#   scripts/servers/servers.sh start  [kafka|elasticsearch|all]
#   scripts/servers/servers.sh stop   [kafka|elasticsearch|all]
#   scripts/servers/servers.sh kill   kafka          # SIGKILL, for fault tests
#   scripts/servers/servers.sh status
#
# AW_KAFKA_PORT, AW_KAFKA_CONTROLLER_PORT, AW_ES_PORT and AW_SERVERS_RUN (the data and pid folder)
# run a second, independent set, as the fault tests do.
# AW_ES_HEAP sets Elasticsearch's heap (default 2g).
#
# AW_KAFKA_SECURITY=sasl_ssl starts Kafka with a SASL_SSL listener on that port instead of the
# plain one (the default, plaintext, is what everything else uses), as managed Kafka services do:
#   - a CA and a broker certificate (for 127.0.0.1 and localhost), made with openssl in
#     $AW_SERVERS_RUN/kafka/tls: ca.pem (what clients trust), broker.pem/broker-key.pem, and a
#     client certificate signed by the same CA (client.pem/client-key.pem) for mutual TLS;
#   - SASL mechanisms SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN, one user for all three:
#     AW_KAFKA_SASL_USERNAME (default agentwatch) / AW_KAFKA_SASL_PASSWORD (default
#     agentwatch-secret); the SCRAM credentials are written when the storage is formatted, so a
#     run folder formatted in the plain mode keeps none (use a fresh AW_SERVERS_RUN);
#   - AW_KAFKA_SSL_CLIENT_AUTH (none|requested|required, default none) asks clients for a certificate.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${AW_SERVERS_CACHE:-$root/.cache/servers}"
run="${AW_SERVERS_RUN:-$cache/run}"
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
es_version="${AW_ES_VERSION:-8.19.21}"
kafka_port="${AW_KAFKA_PORT:-19092}"
kafka_controller_port="${AW_KAFKA_CONTROLLER_PORT:-19093}"
kafka_security="${AW_KAFKA_SECURITY:-plaintext}"
kafka_sasl_username="${AW_KAFKA_SASL_USERNAME:-agentwatch}"
kafka_sasl_password="${AW_KAFKA_SASL_PASSWORD:-agentwatch-secret}"
kafka_ssl_client_auth="${AW_KAFKA_SSL_CLIENT_AUTH:-none}"
es_port="${AW_ES_PORT:-19200}"
es_user="agentwatch-es"
# Elasticsearch 8.19 runs on Java 17, the machine's default JDK.
java_home="${AW_JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"

log() { printf 'servers: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

fetch() {
  mkdir -p "$cache"
  local libs="$cache/kafka-$kafka_version/libs"
  if [ ! -f "$libs/kafka_2.13-$kafka_version.jar" ]; then
    log "fetching Kafka $kafka_version and its runtime dependencies"
    rm -rf "$libs.tmp"
    mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs.tmp" -DincludeScope=runtime \
      || die "mvn could not fetch Kafka $kafka_version"
    rm -rf "$libs" && mv "$libs.tmp" "$libs"
  fi
  local es_home="$cache/elasticsearch-$es_version"
  if [ ! -x "$es_home/bin/elasticsearch" ]; then
    log "fetching Elasticsearch $es_version (integ-test zip)"
    mvn -q -B dependency:copy -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$es_version:zip" \
      -DoutputDirectory="$cache" -Dmdep.stripVersion=false || die "mvn could not fetch Elasticsearch $es_version"
    rm -rf "$es_home.tmp" && mkdir -p "$es_home.tmp"
    (cd "$es_home.tmp" && unzip -q "$cache/elasticsearch-$es_version.zip")
    mv "$es_home.tmp/elasticsearch-$es_version" "$es_home" && rm -rf "$es_home.tmp" "$cache/elasticsearch-$es_version.zip"
  fi
}

wait_for() { # description, seconds, command...
  local what="$1" seconds="$2"; shift 2
  for _ in $(seq 1 "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  die "$what did not become ready within ${seconds}s"
}

kafka_ready() { grep -q "Kafka Server started" "$run/kafka/server.log"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A CA, a broker certificate for 127.0.0.1/localhost (PEM, and PKCS#12 for the broker's keystore)
# and a client certificate, in $1 (made once; kept for later starts of the same run folder).
make_kafka_tls() {
  local tls="$1"
  [ -f "$tls/broker.p12" ] && return 0
  command -v openssl >/dev/null || die "openssl is needed for AW_KAFKA_SECURITY=sasl_ssl"
  mkdir -p "$tls"
  (
    cd "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=agentwatch test CA" \
      -keyout ca-key.pem -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign"
    for who in broker client; do
      openssl req -newkey rsa:2048 -nodes -subj "/CN=agentwatch test $who" -keyout "$who-key.pem" -out "$who.csr"
      if [ "$who" = broker ]; then
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >"$who.ext"
      else
        printf 'extendedKeyUsage=clientAuth\n' >"$who.ext"
      fi
      openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
        -extfile "$who.ext" -out "$who.pem"
      rm -f "$who.csr" "$who.ext"
    done
    openssl pkcs12 -export -in broker.pem -inkey broker-key.pem -certfile ca.pem -name broker \
      -passout pass:agentwatch-test -out broker.p12.tmp
    mv broker.p12.tmp broker.p12
  ) >"$tls/make.log" 2>&1 || die "making the Kafka test certificates failed: $(tail -3 "$tls/make.log")"
  log "test CA and certificates in $tls (clients trust ca.pem)"
}

start_kafka() {
  fetch
  local dir="$run/kafka" libs="$cache/kafka-$kafka_version/libs"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then log "Kafka already running"; return; fi
  for port in "$kafka_port" "$kafka_controller_port"; do
    port_open "$port" && die "127.0.0.1:$port is taken by another process; stop it or set AW_KAFKA_PORT / AW_KAFKA_CONTROLLER_PORT"
  done
  mkdir -p "$dir/data"
  local listener="PLAINTEXT" scram=()
  case "$kafka_security" in
    plaintext) ;;
    sasl_ssl)
      listener="SASL_SSL"
      make_kafka_tls "$dir/tls"
      case "$kafka_ssl_client_auth" in none|requested|required) ;; *) die "AW_KAFKA_SSL_CLIENT_AUTH must be none, requested or required" ;; esac
      scram=(--add-scram "SCRAM-SHA-512=[name=$kafka_sasl_username,password=$kafka_sasl_password]"
             --add-scram "SCRAM-SHA-256=[name=$kafka_sasl_username,password=$kafka_sasl_password]")
      ;;
    *) die "AW_KAFKA_SECURITY must be plaintext or sasl_ssl" ;;
  esac
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$kafka_controller_port
listeners=$listener://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$kafka_controller_port
advertised.listeners=$listener://127.0.0.1:$kafka_port
controller.listener.names=CONTROLLER
listener.security.protocol.map=$listener:$listener,CONTROLLER:PLAINTEXT
inter.broker.listener.name=$listener
log.dirs=$dir/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  if [ "$kafka_security" = sasl_ssl ]; then
    # The broker talks to itself (inter-broker) over the same listener, as the same user.
    cat >>"$dir/server.properties" <<PROPS
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$kafka_sasl_username" password="$kafka_sasl_password";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$kafka_sasl_username" password="$kafka_sasl_password";
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$kafka_sasl_username" password="$kafka_sasl_password" user_$kafka_sasl_username="$kafka_sasl_password";
ssl.keystore.type=PKCS12
ssl.keystore.location=$dir/tls/broker.p12
ssl.keystore.password=agentwatch-test
ssl.key.password=agentwatch-test
ssl.truststore.type=PEM
ssl.truststore.location=$dir/tls/ca.pem
# For a SASL_SSL listener Kafka heeds only the listener-prefixed setting (KIP-684).
listener.name.sasl_ssl.ssl.client.auth=$kafka_ssl_client_auth
ssl.endpoint.identification.algorithm=https
PROPS
  fi
  if [ ! -f "$dir/data/meta.properties" ]; then
    local id
    id="$("$java_home/bin/java" -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    "$java_home/bin/java" -cp "$libs/*" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" "${scram[@]}" >"$dir/format.log" 2>&1 \
      || die "Kafka storage format failed: $(tail -3 "$dir/format.log")"
  fi
  : >"$dir/server.log"
  nohup "$java_home/bin/java" -Xms256m -Xmx768m -cp "$libs/*" kafka.Kafka "$dir/server.properties" >>"$dir/server.log" 2>&1 &
  echo $! >"$dir/pid"
  wait_for "Kafka" 60 kafka_ready
  log "Kafka $kafka_version ready on 127.0.0.1:$kafka_port ($listener)"
}

es_ready() { curl -fsS "http://127.0.0.1:$es_port/_cluster/health?wait_for_status=yellow&timeout=1s"; }

# Where Elasticsearch's files live. As root it runs as $es_user, who may not be able to enter the
# checkout's folders (a clone in root's home, or in a `mktemp -d` folder, mode 0700): its program,
# data and logs then go below a folder that user owns, outside the checkout, one run folder per
# $run (so a second set, as the fault tests start, stays apart). Otherwise (not root) they stay
# in the cache, run as the current user.
es_base="${AW_ES_BASE:-/var/lib/agentwatch-es}"
es_home() {
  if [ "$(id -u)" = 0 ]; then echo "$es_base/elasticsearch-$es_version"; else echo "$cache/elasticsearch-$es_version"; fi
}
es_dir() {
  if [ "$(id -u)" = 0 ]; then echo "$es_base/run-$(printf '%s' "$run" | sha256sum | cut -c1-16)"; else echo "$run/elasticsearch"; fi
}

start_elasticsearch() {
  fetch
  local home dir
  home="$(es_home)"
  dir="$(es_dir)"
  mkdir -p "$run/elasticsearch"
  if [ -f "$run/elasticsearch/pid" ] && kill -0 "$(cat "$run/elasticsearch/pid")" 2>/dev/null && es_ready >/dev/null 2>&1; then
    log "Elasticsearch already running"
    return
  fi
  port_open "$es_port" && die "127.0.0.1:$es_port is taken by another process; stop it or set AW_ES_PORT"
  local as_user=(env)
  if [ "$(id -u)" = 0 ]; then
    if ! id "$es_user" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$es_user"
    fi
    mkdir -p "$es_base"
    chown "$es_user" "$es_base"
    chmod 0755 "$es_base"
    # Run folders of earlier checkouts (CI clones a fresh one each time) are not kept for long.
    find "$es_base" -mindepth 1 -maxdepth 1 -name 'run-*' -mtime +2 -exec rm -rf {} + 2>/dev/null || true
    if [ ! -x "$home/bin/elasticsearch" ]; then
      log "installing Elasticsearch $es_version for $es_user in $home"
      rm -rf "$home.tmp"
      cp -a "$cache/elasticsearch-$es_version" "$home.tmp"
      chown -R "$es_user" "$home.tmp"
      mv "$home.tmp" "$home"
    fi
    as_user=(runuser -u "$es_user" --)
  fi
  "${as_user[@]}" mkdir -p "$dir/data" "$dir/logs"
  "${as_user[@]}" rm -f "$dir/pid"
  # A heap of 2 GiB: its indexing buffer (10%) then holds seconds of events at 20,000/s, so
  # segments are flushed and merged less often (with 512 MiB, merging ate the shared cores).
  # Started from a folder the service user can enter (the checkout may not be one).
  (cd "$dir" && "${as_user[@]}" env ES_JAVA_HOME="$java_home" ES_JAVA_OPTS="-Xms${AW_ES_HEAP:-2g} -Xmx${AW_ES_HEAP:-2g}" \
    "$home/bin/elasticsearch" -d -p "$dir/pid" \
    -E cluster.name=agentwatch-test -E node.name=node-1 -E discovery.type=single-node \
    -E network.host=127.0.0.1 -E http.port="$es_port" -E transport.port=$((es_port + 100)) \
    -E path.data="$dir/data" -E path.logs="$dir/logs" \
    -E cluster.routing.allocation.disk.threshold_enabled=false \
    -E action.destructive_requires_name=false -E xpack.security.enabled=false -E xpack.ml.enabled=false) >"$run/elasticsearch/start.log" 2>&1 \
    || die "Elasticsearch did not start: $(tail -5 "$run/elasticsearch/start.log")"
  wait_for "Elasticsearch" 120 es_ready
  cp "$dir/pid" "$run/elasticsearch/pid"
  log "Elasticsearch $es_version ready on 127.0.0.1:$es_port (files in $dir)"
}

stop_one() { # name, signal
  local pidfile="$run/$1/pid"
  [ -f "$pidfile" ] || return 0
  local pid
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$2" "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  log "$1 stopped ($2)"
}

status() {
  for name in kafka elasticsearch; do
    if [ -f "$run/$name/pid" ] && kill -0 "$(cat "$run/$name/pid")" 2>/dev/null; then
      echo "$name: running (pid $(cat "$run/$name/pid"))"
    else
      echo "$name: stopped"
    fi
  done
}

action="${1:-}"
target="${2:-all}"
case "$action" in
  fetch) fetch ;;
  start)
    case "$target" in
      kafka) start_kafka ;; elasticsearch) start_elasticsearch ;; all) start_kafka; start_elasticsearch ;;
      *) die "unknown server $target (kafka, elasticsearch, all)" ;;
    esac ;;
  stop)
    case "$target" in
      kafka) stop_one kafka TERM ;; elasticsearch) stop_one elasticsearch TERM ;;
      all) stop_one kafka TERM; stop_one elasticsearch TERM ;;
      *) die "unknown server $target (kafka, elasticsearch, all)" ;;
    esac ;;
  kill) stop_one "$target" KILL ;;
  status) status ;;
  *) die "usage: servers.sh fetch | start [kafka|elasticsearch|all] | stop [kafka|elasticsearch|all] | kill kafka | status" ;;
esac
