{{/* Name of the chart, or nameOverride. */}}
{{- define "mikman.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "<release>-<chart>" (or fullnameOverride), at most 63 characters. */}}
{{- define "mikman.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "mikman.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "mikman.labels" -}}
helm.sh/chart: {{ include "mikman.chart" . }}
{{ include "mikman.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "mikman.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mikman.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of one component: call with (dict "root" $ "component" "web"). */}}
{{- define "mikman.componentSelector" -}}
{{ include "mikman.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "mikman.componentLabels" -}}
{{ include "mikman.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "mikman.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mikman.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "mikman.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Name of the Secret the pods read (created by the chart, or existing). */}}
{{- define "mikman.secretName" -}}
{{- if .Values.secrets.create }}
{{- printf "%s-secrets" (include "mikman.fullname" .) }}
{{- else }}
{{- required "secrets.existingSecret is required when secrets.create is false" .Values.secrets.existingSecret }}
{{- end }}
{{- end }}

{{/* ALLOWED_HOSTS: configured hosts, ingress hosts, and localhost for the probes. */}}
{{- define "mikman.allowedHosts" -}}
{{- $hosts := concat .Values.config.allowedHosts (ternary .Values.ingress.hosts (list) .Values.ingress.enabled) (list "localhost") }}
{{- $hosts | uniq | join "," }}
{{- end }}

{{- define "mikman.csrfOrigins" -}}
{{- if .Values.config.csrfTrustedOrigins }}
{{- .Values.config.csrfTrustedOrigins | join "," }}
{{- else if .Values.ingress.enabled }}
{{- $origins := list }}
{{- range .Values.ingress.hosts }}
{{- $origins = append $origins (printf "https://%s" .) }}
{{- end }}
{{- $origins | join "," }}
{{- end }}
{{- end }}

{{/* Non-secret settings: the ConfigMap's data, and the migration Job's env (a hook runs
before the ConfigMap exists). Values only, never a secret. */}}
{{- define "mikman.configData" -}}
DJANGO_SETTINGS_MODULE: mikman.settings.prod
MIKMAN_DATA_DIR: /var/lib/mikman
ALLOWED_HOSTS: {{ include "mikman.allowedHosts" . | quote }}
CSRF_TRUSTED_ORIGINS: {{ include "mikman.csrfOrigins" . | quote }}
TRUSTED_PROXY_COUNT: {{ .Values.config.trustedProxyCount | toString | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
LOG_JSON: {{ .Values.config.logJson | toString | quote }}
PGSSLMODE: {{ .Values.externalDatabase.sslmode | quote }}
{{- if .Values.externalDatabase.caCertConfigMap }}
PGSSLROOTCERT: /etc/mikman/db-ca/{{ .Values.externalDatabase.caCertKey }}
{{- else if hasPrefix "verify" .Values.externalDatabase.sslmode }}
PGSSLROOTCERT: system
{{- end }}
MIKMAN_KEY_BACKEND: {{ .Values.vault.keyBackend | quote }}
{{- if eq .Values.vault.keyBackend "vault" }}
VAULT_ADDR: {{ .Values.vault.addr | quote }}
VAULT_TRANSIT_MOUNT: {{ .Values.vault.transitMount | quote }}
{{- if .Values.vault.caCertConfigMap }}
VAULT_CACERT: /etc/mikman/vault-ca/{{ .Values.vault.caCertKey }}
{{- end }}
{{- end }}
{{- if .Values.metrics.enabled }}
METRICS_ALLOWED_NETWORKS: {{ join "," .Values.metrics.allowedNetworks | quote }}
METRICS_TENANT_NAMES: {{ .Values.metrics.tenantNames | toString | quote }}
{{- end }}
{{- range $key, $value := .Values.config.extraEnv }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/* The Secret's data (secrets.create=true): full URLs built from the external endpoints. */}}
{{- define "mikman.secretData" -}}
{{- $s := .Values.secrets }}
{{- $db := .Values.externalDatabase }}
{{- $r := .Values.externalRedis }}
SECRET_KEY: {{ required "secrets.secretKey is required with secrets.create" $s.secretKey | b64enc | quote }}
MIKMAN_MASTER_KEY: {{ required "secrets.masterKey is required with secrets.create" $s.masterKey | b64enc | quote }}
DATABASE_APP_URL: {{ printf "postgresql://%s:%s@%s:%d/%s" $db.appUser (required "secrets.databaseAppPassword is required with secrets.create" $s.databaseAppPassword | urlquery) $db.host (int $db.port) $db.name | b64enc | quote }}
DATABASE_OWNER_URL: {{ printf "postgresql://%s:%s@%s:%d/%s" $db.ownerUser (required "secrets.databaseOwnerPassword is required with secrets.create" $s.databaseOwnerPassword | urlquery) $db.host (int $db.port) $db.name | b64enc | quote }}
{{- $auth := ternary (printf ":%s@" ($s.redisPassword | urlquery)) "" (ne $s.redisPassword "") }}
{{- if $r.tls }}
REDIS_URL: {{ printf "rediss://%s%s:%d/%d?ssl_cert_reqs=required" $auth $r.host (int $r.port) (int $r.db) | b64enc | quote }}
{{- else }}
REDIS_URL: {{ printf "redis://%s%s:%d/%d" $auth $r.host (int $r.port) (int $r.db) | b64enc | quote }}
{{- end }}
{{- with $s.metricsToken }}
METRICS_TOKEN: {{ . | b64enc | quote }}
{{- end }}
{{- if eq .Values.vault.keyBackend "vault" }}
{{- if eq .Values.vault.auth "token" }}
VAULT_TOKEN: {{ required "secrets.vaultToken is required with vault.auth=token" $s.vaultToken | b64enc | quote }}
{{- else }}
VAULT_ROLE_ID: {{ required "secrets.vaultRoleId is required with vault.auth=approle" $s.vaultRoleId | b64enc | quote }}
VAULT_SECRET_ID: {{ required "secrets.vaultSecretId is required with vault.auth=approle" $s.vaultSecretId | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Pod-template annotations: roll the pods when settings or chart-made secrets change. */}}
{{- define "mikman.podAnnotations" -}}
checksum/config: {{ include "mikman.configData" . | sha256sum }}
{{- if .Values.secrets.create }}
checksum/secret: {{ include "mikman.secretData" . | sha256sum }}
{{- end }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod spec parts shared by every component. */}}
{{- define "mikman.podCommon" -}}
serviceAccountName: {{ include "mikman.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Volumes every pod has: scratch /tmp, the data dir, the Vault CA when configured. */}}
{{- define "mikman.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.scratchSizeLimit }}
- name: data
  emptyDir:
    sizeLimit: {{ .Values.scratchSizeLimit }}
{{- if and (eq .Values.vault.keyBackend "vault") .Values.vault.caCertConfigMap }}
- name: vault-ca
  configMap:
    name: {{ .Values.vault.caCertConfigMap }}
{{- end }}
{{- if .Values.externalDatabase.caCertConfigMap }}
- name: db-ca
  configMap:
    name: {{ .Values.externalDatabase.caCertConfigMap }}
{{- end }}
{{- end }}

{{- define "mikman.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/mikman
{{- if and (eq .Values.vault.keyBackend "vault") .Values.vault.caCertConfigMap }}
- name: vault-ca
  mountPath: /etc/mikman/vault-ca
  readOnly: true
{{- end }}
{{- if .Values.externalDatabase.caCertConfigMap }}
- name: db-ca
  mountPath: /etc/mikman/db-ca
  readOnly: true
{{- end }}
{{- end }}

{{/* Container fields shared by every component (image, security, env, mounts). */}}
{{- define "mikman.containerCommon" -}}
image: {{ include "mikman.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "mikman.fullname" . }}
  - secretRef:
      name: {{ include "mikman.secretName" . }}
volumeMounts:
  {{- include "mikman.volumeMounts" . | nindent 2 }}
{{- end }}

{{/* The probes' request: through the "proxy" (no HTTPS redirect), to an allowed host. */}}
{{- define "mikman.probeHeaders" -}}
httpHeaders:
  - name: Host
    value: localhost
  - name: X-Forwarded-Proto
    value: https
{{- end }}
