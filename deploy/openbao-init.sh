#!/bin/sh
# Initialise, unseal and configure the Compose stack's OpenBao for mikman. Idempotent: the
# `openbao-init` service runs it on every `docker compose up` (POSIX sh: it runs in the
# OpenBao image, which has the `bao` CLI but no bash or jq).
#
#  1. waits for the server;
#  2. first run only: `bao operator init` with ONE key share; the unseal key and the root
#     token go to $OPENBAO_KEYS_DIR (volume `openbao-keys`, mode 0600, never mounted into a
#     mikman container). Move both off this host afterwards (deploy/README.md, "OpenBao");
#  3. unseals the server when it is sealed (after every restart of the openbao container);
#  4. with the root token still present: enables the transit engine at $VAULT_TRANSIT_MOUNT,
#     writes the `mikman` policy (transit on keys named mikman-tenant-* only) and
#     an AppRole `mikman` bound to it, and writes its role-id/secret-id to $OPENBAO_APPROLE_DIR
#     (volume `openbao-approle`, mounted read-only into the mikman containers).
set -eu

BAO_ADDR="${BAO_ADDR:-http://openbao:8200}"
export BAO_ADDR
keys="${OPENBAO_KEYS_DIR:-/openbao/keys}"
approle="${OPENBAO_APPROLE_DIR:-/openbao/approle}"
mount="${VAULT_TRANSIT_MOUNT:-transit}"
app_uid="${MIKMAN_UID:-10001}"
umask 077

log() { echo "openbao-init: $*"; }

# `bao status` exits 0 when unsealed, 2 when sealed or not initialised, 1 when unreachable.
status_code() {
    code=0
    bao status >/dev/null 2>&1 || code=$?
    echo "$code"
}

tries=0
while [ "$(status_code)" -eq 1 ]; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
        log "no answer from $BAO_ADDR after 120 s."
        exit 1
    fi
    sleep 2
done

# `bao operator init -status` exits 0 when initialised, 2 when not, 1 on error.
init_code=0
bao operator init -status >/dev/null 2>&1 || init_code=$?
if [ "$init_code" -eq 2 ]; then
    log "initialising with one key share (see deploy/README.md to move the key and token off this host)"
    mkdir -p "$keys"
    bao operator init -key-shares=1 -key-threshold=1 >"$keys/init.txt"
    sed -n 's/^Unseal Key 1: //p' "$keys/init.txt" >"$keys/unseal-key"
    sed -n 's/^Initial Root Token: //p' "$keys/init.txt" >"$keys/root-token"
    rm -f "$keys/init.txt"
    if [ ! -s "$keys/unseal-key" ] || [ ! -s "$keys/root-token" ]; then
        log "could not read the unseal key or root token from 'bao operator init'."
        exit 1
    fi
elif [ "$init_code" -ne 0 ]; then
    log "cannot tell whether OpenBao is initialised."
    exit 1
fi

if bao status 2>/dev/null | grep -Eq '^Sealed[[:space:]]+true'; then
    if [ ! -s "$keys/unseal-key" ]; then
        log "OpenBao is sealed and $keys/unseal-key is absent: unseal it by hand (bao operator unseal)."
        exit 1
    fi
    log "unsealing"
    bao operator unseal "$(cat "$keys/unseal-key")" >/dev/null
fi

if [ ! -s "$keys/root-token" ]; then
    if [ -s "$approle/role-id" ] && [ -s "$approle/secret-id" ]; then
        log "unsealed; no root token here (moved off the host), configuration left as it is."
        exit 0
    fi
    log "no root token in $keys/root-token and no AppRole credentials yet: put the token back once."
    exit 1
fi
BAO_TOKEN="$(cat "$keys/root-token")"
export BAO_TOKEN

if ! bao secrets list | grep -q "^${mount}/ "; then
    log "enabling the transit engine at ${mount}/"
    bao secrets enable -path="$mount" transit >/dev/null
fi

# The policy of devices/keyring/backends/vault.py: one transit key per tenant, created with the
# tenant, rotated by `manage.py rotate_tenant_key`, and destroyed with the tenant (crypto-shredding:
# hence "delete" and keys/*/config, which sets deletion_allowed). Nothing outside mikman-tenant-*.
bao policy write mikman - >/dev/null <<EOF
path "${mount}/keys/mikman-tenant-*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "${mount}/keys/mikman-tenant-*/config" {
  capabilities = ["update"]
}
path "${mount}/keys/mikman-tenant-*/rotate" {
  capabilities = ["update"]
}
path "${mount}/datakey/plaintext/mikman-tenant-*" {
  capabilities = ["update"]
}
path "${mount}/encrypt/mikman-tenant-*" {
  capabilities = ["update"]
}
path "${mount}/decrypt/mikman-tenant-*" {
  capabilities = ["update"]
}
path "${mount}/rewrap/mikman-tenant-*" {
  capabilities = ["update"]
}
EOF

if ! bao auth list | grep -q '^approle/ '; then
    log "enabling AppRole authentication"
    bao auth enable approle >/dev/null
fi
bao write auth/approle/role/mikman token_policies=mikman token_ttl=1h token_max_ttl=24h \
    secret_id_ttl=0 secret_id_num_uses=0 >/dev/null

mkdir -p "$approle"
bao read -field=role_id auth/approle/role/mikman/role-id >"$approle/role-id"
if [ ! -s "$approle/secret-id" ]; then
    log "issuing the mikman AppRole secret-id"
    bao write -f -field=secret_id auth/approle/role/mikman/secret-id >"$approle/secret-id"
fi
# Readable by the mikman containers' user only.
chown "$app_uid" "$approle/role-id" "$approle/secret-id"
chmod 0400 "$approle/role-id" "$approle/secret-id"
log "ready: transit at ${mount}/, policy mikman, AppRole mikman."
