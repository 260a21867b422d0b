{{/* Chart name for labels. */}}
{{- define "vkube.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of every object: the release name (like vcluster), or fullnameOverride. 52 characters at most:
StatefulSet pods are named <name>-0 and carry a controller-revision-hash label of <name>-<hash>.
*/}}
{{- define "vkube.fullname" -}}
{{- $name := default .Release.Name .Values.fullnameOverride }}
{{- if gt (len $name) 52 }}
{{- fail (printf "name %q is longer than 52 characters: use a shorter release name or fullnameOverride" $name) }}
{{- end }}
{{- $name }}
{{- end }}

{{/* The tenant kubeconfig Secret, named like vcluster's. */}}
{{- define "vkube.kubeconfigSecretName" -}}
{{- printf "vc-%s" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vkube.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vkube.labels" -}}
helm.sh/chart: {{ include "vkube.chart" . }}
{{ include "vkube.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vkube
{{- end }}

{{- define "vkube.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vkube.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of the control-plane pod (selector labels + component). */}}
{{- define "vkube.podSelectorLabels" -}}
{{ include "vkube.selectorLabels" . }}
app.kubernetes.io/component: control-plane
{{- end }}

{{- define "vkube.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vkube.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "vkube.dedicated" -}}
{{- if eq .Values.mode "dedicated" }}true{{ end }}
{{- end }}

{{/* Where the kubeconfig Secret's content comes from: shared mode always lets the instance write it. */}}
{{- define "vkube.kubeconfigSource" -}}
{{- if eq .Values.mode "shared" }}vkube{{ else }}{{ .Values.kubeconfigSecret.source }}{{ end }}
{{- end }}

{{- define "vkube.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* The in-cluster DNS name of the tenant API. */}}
{{- define "vkube.serviceHost" -}}
{{- printf "%s.%s.svc" (include "vkube.fullname" .) .Release.Namespace }}
{{- end }}

{{- define "vkube.serverUrl" -}}
{{- if .Values.kubeconfigSecret.server }}
{{- .Values.kubeconfigSecret.server }}
{{- else if eq .Values.mode "shared" }}
{{- if .Values.shared.baseDomain }}
{{- printf "https://%s.%s" (default .Release.Name .Values.shared.tenant) .Values.shared.baseDomain }}
{{- end }}
{{- else if eq (int .Values.service.port) 443 }}
{{- printf "https://%s" (include "vkube.serviceHost" .) }}
{{- else }}
{{- printf "https://%s:%d" (include "vkube.serviceHost" .) (int .Values.service.port) }}
{{- end }}
{{- end }}

{{/*
Serving-certificate SANs beyond vkube's built-in ones (127.0.0.1, localhost, kubernetes,
kubernetes.default, kubernetes.default.svc). Passed as --tls-san AND put into the chart-generated
certificate: vkube re-issues its certificate when a --tls-san is missing, which a read-only
mounted pki directory would not allow. One name per line.
*/}}
{{- define "vkube.tlsSANs" -}}
{{- $fn := include "vkube.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $sans := list $fn (printf "%s.%s" $fn $ns) (printf "%s.%s.svc" $fn $ns) (printf "%s.%s.svc.cluster.local" $fn $ns) }}
{{- if and .Values.ingress.enabled .Values.ingress.host }}
{{- $sans = append $sans .Values.ingress.host }}
{{- end }}
{{- range .Values.server.tlsSANs }}
{{- $sans = append $sans . }}
{{- end }}
{{- /* Host pods verify the tenant CA against the host of --pod-api-address: an overridden address's
       host is served too (a DNS name or IPv4 address without the "{tenant}" placeholder). */}}
{{- if and (include "vkube.dedicated" .) .Values.syncer.enabled .Values.syncer.podApiAddress }}
{{- $host := regexReplaceAll ":[0-9]+$" .Values.syncer.podApiAddress "" }}
{{- if regexMatch "^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$" $host }}
{{- $sans = append $sans $host }}
{{- end }}
{{- end }}
{{- range uniq $sans }}
{{ . }}
{{- end }}
{{- end }}

{{/* The host namespace the syncer runs the tenant's pods in (and where its Role is). */}}
{{- define "vkube.hostNamespace" -}}
{{- default .Release.Namespace .Values.syncer.hostNamespace }}
{{- end }}

{{/* --pod-api-address: how synced host pods reach the tenant API (the Service's in-cluster DNS name). */}}
{{- define "vkube.podApiAddress" -}}
{{- if .Values.syncer.podApiAddress }}
{{- .Values.syncer.podApiAddress }}
{{- else if and .Values.tenantRequests.enabled .Values.server.baseDomain }}
{{- /* A shared instance: each tenant's pods reach their own API by SNI ("{tenant}" is substituted). */}}
{{- printf "{tenant}.%s:%d" .Values.server.baseDomain (int .Values.service.port) }}
{{- else }}
{{- printf "%s:%d" (include "vkube.serviceHost" .) (int .Values.service.port) }}
{{- end }}
{{- end }}

{{/* Whether the pod mounts a host API token. */}}
{{- define "vkube.automountToken" -}}
{{- if kindIs "bool" .Values.serviceAccount.automount }}
{{- .Values.serviceAccount.automount }}
{{- else }}
{{- or .Values.syncer.enabled (eq (include "vkube.kubeconfigSource" .) "vkube") }}
{{- end }}
{{- end }}
