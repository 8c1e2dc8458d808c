# shellcheck shell=bash
# The `--security` profile of up.sh: certificates, listeners and users for TLS and SASL tests.
# Sourced by lib.sh, not executed.
#
# Each node of a secure cluster listens, besides PLAINTEXT (inter-broker and bootstrap checks)
# and CONTROLLER, on:
#   broker port + 20  SASL_SSL  SCRAM-SHA-256, SCRAM-SHA-512 (users made at format time) and
#                               PLAIN (users in the listener's JAAS config)
#   broker port + 30  SSL       mutual TLS: the client must present a certificate of the CA
#   broker port + 40  SSL       server certificate that expired in 2020 (client-side checks)
# The certificates (RUN_DIR/tls) and RUN_DIR/security.json, which lists ports, files and users
# for the tests, are made by kn_make_security_material.

KN_SASL_PORT_OFFSET=20
KN_MTLS_PORT_OFFSET=30
KN_EXPIRED_PORT_OFFSET=40
KN_SECURE_BASE_PORT_1=19292 # brokers 19292, controllers 19302, SASL_SSL 19312, mTLS 19322, expired 19332
KN_SECURE_BASE_PORT_3=19392

# Test users. Distinctive passwords, so tests can prove they never appear in logs or errors.
KN_SASL_USER=alice
KN_SASL_PASSWORD=alice-pw-Zq83kLm2
KN_SASL_USER2=bob
KN_SASL_PASSWORD2=bob-pw-Hv61pXt9

kn_sasl_port() { echo $(($(kn_broker_port "$1") + KN_SASL_PORT_OFFSET)); }
kn_mtls_port() { echo $(($(kn_broker_port "$1") + KN_MTLS_PORT_OFFSET)); }
kn_expired_port() { echo $(($(kn_broker_port "$1") + KN_EXPIRED_PORT_OFFSET)); }

kn_list_ports() { # prints "port1,port2,..." for PORT_FN over nodes 1..KN_NODES
  local fn="$1" i out=""
  for ((i = 1; i <= KN_NODES; i++)); do out+="${out:+,}127.0.0.1:$("$fn" "$i")"; done
  echo "$out"
}

# CA, broker, client, expired-broker and foreign-CA certificates (RSA 2048, PEM) in RUN_DIR/tls.
kn_make_security_material() {
  local d="$KN_RUN_DIR/tls"
  command -v openssl >/dev/null 2>&1 || kn_die "openssl is needed for --security"
  rm -rf "$d"
  mkdir -p "$d"
  (
    set -e
    cd "$d"
    exec </dev/null >openssl.log 2>&1
    key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }
    cat >ext.cnf <<'EOF'
[server]
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
[client]
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EOF
    key ca.key
    openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/CN=kafka-native test CA" -out ca.pem
    key other-ca.key
    openssl req -x509 -new -key other-ca.key -sha256 -days 30 -subj "/CN=kafka-native unrelated CA" -out other-ca.pem

    key broker.key
    openssl req -new -key broker.key -subj "/CN=localhost" -out broker.csr
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 \
      -extfile ext.cnf -extensions server -out broker.crt
    cat broker.key broker.crt ca.pem >broker-keystore.pem

    key client.key
    openssl req -new -key client.key -subj "/CN=kafka-native-client" -out client.csr
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 \
      -extfile ext.cnf -extensions client -out client.pem
    # The same key, encrypted, to test `ssl.passphrase`.
    openssl pkcs8 -topk8 -in client.key -v2 aes-256-cbc -passout pass:client-key-pass -out client-encrypted.key

    # A broker certificate valid from 2020-01-01 to 2020-01-02: `x509 -req` of OpenSSL 3.0 cannot
    # back-date, `openssl ca` can.
    mkdir -p ca-db
    : >ca-db/index.txt
    echo 1000 >ca-db/serial
    cat >ca.cnf <<EOF
[ca]
default_ca=test
[test]
dir=$d/ca-db
database=$d/ca-db/index.txt
serial=$d/ca-db/serial
new_certs_dir=$d/ca-db
default_md=sha256
policy=any
copy_extensions=none
unique_subject=no
[any]
commonName=supplied
EOF
    key broker-expired.key
    openssl req -new -key broker-expired.key -subj "/CN=localhost" -out broker-expired.csr
    openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in broker-expired.csr \
      -startdate 20200101000000Z -enddate 20200102000000Z -extfile ext.cnf -extensions server \
      -notext -out broker-expired.crt
    cat broker-expired.key broker-expired.crt ca.pem >broker-expired-keystore.pem
  ) || {
    tail -n 20 "$d/openssl.log" >&2 || true
    kn_die "generating the test certificates in $d failed"
  }
}

# The format arguments that create the SCRAM users in the cluster metadata.
kn_scram_format_args() {
  local m
  for m in SCRAM-SHA-256 SCRAM-SHA-512; do
    printf '%s\n' --add-scram "$m=[name=$KN_SASL_USER,password=$KN_SASL_PASSWORD]"
    printf '%s\n' --add-scram "$m=[name=$KN_SASL_USER2,password=$KN_SASL_PASSWORD2]"
  done
}

# Listener lines that replace the PLAINTEXT-only ones of server.properties, then the TLS and
# SASL settings.
kn_security_properties() { # node
  local n="$1" d="$KN_RUN_DIR/tls"
  cat <<EOF
listeners=PLAINTEXT://127.0.0.1:$(kn_broker_port "$n"),CONTROLLER://127.0.0.1:$(kn_controller_port "$n"),SASL_SSL://127.0.0.1:$(kn_sasl_port "$n"),MTLS://127.0.0.1:$(kn_mtls_port "$n"),EXPIRED://127.0.0.1:$(kn_expired_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(kn_broker_port "$n"),SASL_SSL://127.0.0.1:$(kn_sasl_port "$n"),MTLS://127.0.0.1:$(kn_mtls_port "$n"),EXPIRED://127.0.0.1:$(kn_expired_port "$n")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL,EXPIRED:SSL

# TLS (PEM files, no keystore passwords).
ssl.keystore.type=PEM
ssl.keystore.location=$d/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$d/ca.pem
listener.name.mtls.ssl.client.auth=required
listener.name.expired.ssl.keystore.type=PEM
listener.name.expired.ssl.keystore.location=$d/broker-expired-keystore.pem

# SASL on the SASL_SSL listener: SCRAM users live in the metadata (made at format time), PLAIN
# users in the JAAS config.
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KN_SASL_USER="$KN_SASL_PASSWORD" user_$KN_SASL_USER2="$KN_SASL_PASSWORD2";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
}

# RUN_DIR/security.json: what the security tests need to know.
kn_write_security_json() {
  local d="$KN_RUN_DIR/tls"
  cat >"$KN_RUN_DIR/security.json" <<EOF
{
  "plaintext": "$KN_BOOTSTRAP",
  "saslSsl": "$(kn_list_ports kn_sasl_port)",
  "mtls": "$(kn_list_ports kn_mtls_port)",
  "expired": "$(kn_list_ports kn_expired_port)",
  "caFile": "$d/ca.pem",
  "otherCaFile": "$d/other-ca.pem",
  "clientCertFile": "$d/client.pem",
  "clientKeyFile": "$d/client.key",
  "clientEncryptedKeyFile": "$d/client-encrypted.key",
  "clientKeyPassphrase": "client-key-pass",
  "users": [
    { "username": "$KN_SASL_USER", "password": "$KN_SASL_PASSWORD" },
    { "username": "$KN_SASL_USER2", "password": "$KN_SASL_PASSWORD2" }
  ],
  "mechanisms": ["plain", "scram-sha-256", "scram-sha-512"]
}
EOF
}
