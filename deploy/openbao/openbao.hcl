# OpenBao for the Compose stack: one node, integrated (raft) storage on the `openbao-data`
# volume, reachable only on the stack's internal network (no published port).
#
# TLS is off on that internal network. To expose OpenBao beyond it, or to meet a policy that
# wants TLS everywhere, mount a certificate and set tls_cert_file/tls_key_file, then give the
# app VAULT_ADDR=https://openbao:8200 and VAULT_CACERT (see deploy/.env.example).
ui            = false
disable_mlock = true   # raft storage; the container has no IPC_LOCK capability
api_addr      = "http://openbao:8200"
cluster_addr  = "http://openbao:8201"

storage "raft" {
  path    = "/openbao/file"
  node_id = "openbao-1"
}

listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = true
}
